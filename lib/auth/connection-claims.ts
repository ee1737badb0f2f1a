import type { AuthenticatedUser } from './authenticated-user';
import { OBJECT_ID_CLAIM } from './oid-user.resolver';

/** The claims a connection keeps unless `connectionClaims` says otherwise. */
export const DEFAULT_CONNECTION_CLAIMS: readonly string[] = ['oid', 'tid', 'scp', 'roles'];

/** Distinct values remembered for sharing; past this, values are kept as they come. */
const MAX_SHARED_VALUES = 10_000;

/** Claims whose values differ from user to user: sharing them would only fill the table. */
const PER_USER_CLAIMS = new Set([
  'oid',
  OBJECT_ID_CLAIM,
  'sub',
  'name',
  'preferred_username',
  'upn',
  'unique_name',
  'email',
]);

/**
 * Slims what a live connection keeps of its user. A verified token carries 20–30 claims (about
 * 1 KB once parsed); a connection lives for hours and needs few of them, so only the listed claims
 * are kept, and their values are shared between connections: every user of a tenant holds the
 * same `tid` string, and the same scope and role strings.
 */
export class ConnectionClaims {
  private readonly shared = new Map<string, string>();

  constructor(private readonly names: readonly string[]) {}

  keep(user: AuthenticatedUser): AuthenticatedUser {
    const claims: AuthenticatedUser['claims'] = {};
    for (const name of this.names) {
      const value = user.claims[name];
      if (value === undefined) continue;
      // The user id's string is the one the connection keeps anyway.
      if (value === user.userId) claims[name] = user.userId;
      else claims[name] = PER_USER_CLAIMS.has(name) ? value : this.share(value);
    }
    return { userId: user.userId, claims, expiresAt: user.expiresAt };
  }

  private share(value: unknown): unknown {
    if (typeof value === 'string') return this.shareString(value);
    if (Array.isArray(value)) return value.map((item: unknown) => this.share(item));
    return value;
  }

  private shareString(value: string): string {
    const known = this.shared.get(value);
    if (known !== undefined) return known;
    if (this.shared.size < MAX_SHARED_VALUES) this.shared.set(value, value);
    return value;
  }
}
