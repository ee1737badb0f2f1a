import { AuthError } from '../errors/auth.error';

/** What {@link checkRegisteredClaims} compares a token's claims with. */
export interface RegisteredClaimsPolicy {
  issuer: string;
  audiences: readonly string[];
  clockToleranceSeconds: number;
  required: readonly string[];
}

const invalid = AuthError.invalidToken;

/**
 * RFC 7519 checks of a signed token's registered claims: required claims present, numeric dates,
 * lifetime with clock tolerance (expiry is `token_expired`, the rest `token_invalid`), exact issuer,
 * and an audience among the configured ones (compared exactly, as Entra ID issues them).
 */
export function checkRegisteredClaims(
  claims: Record<string, unknown>,
  policy: RegisteredClaimsPolicy,
  nowSeconds = Math.floor(Date.now() / 1000),
): void {
  for (const claim of policy.required) {
    if (!(claim in claims)) throw invalid(`Token has no ${claim}.`);
  }
  for (const claim of ['exp', 'nbf', 'iat']) {
    const value = claims[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      throw invalid(`${claim} is not a number.`);
  }
  const { exp, nbf } = claims as { exp?: number; nbf?: number };
  const tolerance = policy.clockToleranceSeconds;
  if (nbf !== undefined && nbf > nowSeconds + tolerance) throw invalid('Token not valid yet.');
  if (exp !== undefined && exp <= nowSeconds - tolerance)
    throw new AuthError('token_expired', 'Token expired.');
  if (claims.iss !== policy.issuer) throw invalid('Unexpected issuer.');
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((a) => typeof a === 'string' && policy.audiences.includes(a)))
    throw invalid('Unexpected audience.');
}
