import type { JWK } from 'jose';
import type { TokenVersion } from '../options/notifications-options.interface';

/** What the identity provider states for one tenant and token version. */
export interface TenantSigningKeys {
  /** The exact `iss` of tokens of this version for this tenant, from the OpenID metadata. */
  issuer: string;
  /** The key set. A key may carry an `issuer` property with a `{tenantid}` placeholder. */
  keys: JWK[];
}

/**
 * Source of issuers and signing keys. The default discovers them from Entra ID's OpenID metadata;
 * tests and private identity providers supply their own through `auth.signingKeys`.
 */
export abstract class SigningKeyProvider {
  /**
   * The issuer and keys for a tenant. `forceRefresh` asks for a fresh key set because a token named
   * an unknown `kid`; implementations may refuse to refetch within a cooldown.
   * Throws {@link AuthError} `auth_unavailable` when no keys can be had.
   */
  abstract getSigningKeys(
    tenantId: string,
    version: TokenVersion,
    forceRefresh?: boolean,
  ): Promise<TenantSigningKeys>;
}
