import { ConnectionClaims, DEFAULT_CONNECTION_CLAIMS } from './connection-claims';

const user = (claims: Record<string, unknown>) => ({
  userId: String(claims.oid),
  claims,
  expiresAt: 1_800_000_000_000,
});

describe('ConnectionClaims', () => {
  it('keeps only the listed claims, with the user id and expiry', () => {
    const kept = new ConnectionClaims(DEFAULT_CONNECTION_CLAIMS).keep(
      user({ oid: 'o', tid: 't', scp: 's', roles: ['r'], name: 'n', iss: 'i', aud: 'a' }),
    );
    expect(kept).toEqual({
      userId: 'o',
      claims: { oid: 'o', tid: 't', scp: 's', roles: ['r'] },
      expiresAt: 1_800_000_000_000,
    });
  });

  it('omits listed claims the token lacks, and keeps non-string values as they are', () => {
    const kept = new ConnectionClaims(['oid', 'wids', 'n']).keep(user({ oid: 'o', n: 3 }));
    expect(kept.claims).toEqual({ oid: 'o', n: 3 });
  });

  it('shares the values users have in common, not the per-user ones', () => {
    const claims = new ConnectionClaims([...DEFAULT_CONNECTION_CLAIMS, 'preferred_username']);
    for (let i = 0; i < 100; i++)
      claims.keep(
        user({ oid: `o${i}`, tid: 't', scp: 's', roles: ['r'], preferred_username: `u${i}` }),
      );
    // Only 't', 's' and 'r' are remembered: 100 user ids would fill the table for nothing.
    expect((claims as unknown as { shared: Map<string, string> }).shared.size).toBe(3);
  });
});
