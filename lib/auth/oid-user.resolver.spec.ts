import { OBJECT_ID_CLAIM, OidUserResolver } from './oid-user.resolver';

const token = (claims: Record<string, unknown>) => ({ claims, expiresAt: 0 });
const OID = '5d8f7e1a-2b3c-4d5e-8f90-a1b2c3d4e5f6';

describe('OidUserResolver', () => {
  const resolver = new OidUserResolver();

  it('names the user by oid, not sub', () => {
    expect(resolver.resolve(token({ oid: OID, sub: 'per-app-subject' }))).toBe(OID);
  });

  it('reads the long objectidentifier claim when oid is absent', () => {
    expect(resolver.resolve(token({ [OBJECT_ID_CLAIM]: OID }))).toBe(OID);
  });

  it('prefers oid over the long claim', () => {
    expect(resolver.resolve(token({ oid: OID, [OBJECT_ID_CLAIM]: 'other' }))).toBe(OID);
  });

  it('normalises case, so one user has one room whatever the token spelled', () => {
    expect(resolver.resolve(token({ oid: OID.toUpperCase() }))).toBe(OID);
  });

  it.each([{}, { oid: '' }, { oid: 42 }, { oid: null }, { sub: OID }])(
    'returns undefined without a usable id (%p)',
    (claims) => {
      expect(resolver.resolve(token(claims))).toBeUndefined();
    },
  );
});
