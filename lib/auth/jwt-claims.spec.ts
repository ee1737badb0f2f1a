import { checkRegisteredClaims, type RegisteredClaimsPolicy } from './jwt-claims';

const NOW = 1_800_000_000;
const policy: RegisteredClaimsPolicy = {
  issuer: 'https://login.example/t/v2.0',
  audiences: ['api://a', 'b'],
  clockToleranceSeconds: 10,
  required: ['exp', 'iss', 'aud'],
};
const valid = { iss: policy.issuer, aud: 'api://a', exp: NOW + 60, nbf: NOW - 60, iat: NOW - 60 };
const check = (claims: Record<string, unknown>) => () => checkRegisteredClaims(claims, policy, NOW);

describe('checkRegisteredClaims', () => {
  it('accepts valid claims', () => {
    expect(check(valid)).not.toThrow();
  });

  it.each(['exp', 'iss', 'aud'])('refuses a missing required %s', (claim) => {
    const { [claim as keyof typeof valid]: _, ...rest } = valid;
    expect(check(rest)).toThrow(expect.objectContaining({ code: 'token_invalid' }));
  });

  it('expiry: valid until exp + tolerance, then token_expired', () => {
    expect(check({ ...valid, exp: NOW - 9 })).not.toThrow();
    expect(check({ ...valid, exp: NOW - 10 })).toThrow(
      expect.objectContaining({ code: 'token_expired' }),
    );
  });

  it('not before: accepted up to nbf - tolerance', () => {
    expect(check({ ...valid, nbf: NOW + 10 })).not.toThrow();
    expect(check({ ...valid, nbf: NOW + 11 })).toThrow(
      expect.objectContaining({ code: 'token_invalid' }),
    );
  });

  it.each([
    ['exp', '1900000000'],
    ['nbf', null],
    ['iat', Number.NaN],
    ['exp', Number.POSITIVE_INFINITY],
  ])('refuses a non-numeric %s (%p)', (claim, value) => {
    expect(check({ ...valid, [claim]: value })).toThrow(
      expect.objectContaining({ code: 'token_invalid' }),
    );
  });

  it.each([
    ['another issuer', { iss: 'https://login.example/t/v2.0/' }],
    ['an audience in another case', { aud: 'API://a' }],
    ['an empty audience array', { aud: [] }],
    ['an audience array without a match', { aud: ['c', 'd'] }],
    ['an audience object', { aud: { 0: 'b' } }],
  ])('refuses %s', (_, override) => {
    expect(check({ ...valid, ...override })).toThrow(
      expect.objectContaining({ code: 'token_invalid' }),
    );
  });

  it('accepts an audience array with one match', () => {
    expect(check({ ...valid, aud: ['c', 'b'] })).not.toThrow();
  });
});
