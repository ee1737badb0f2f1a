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
});
