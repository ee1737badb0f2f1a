import type { JWTPayload } from 'jose';

/** A token whose signature and claims were verified. */
export interface VerifiedToken {
  /** The token's claims. */
  claims: JWTPayload & Record<string, unknown>;
  /** `exp` in milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Verifies a bearer token. The default, {@link EntraTokenVerifier}, validates Microsoft Entra ID
 * access tokens; an app may provide its own through the `tokenVerifier` option.
 * Implementations throw {@link AuthError} with a protocol code when the token is refused.
 */
export abstract class TokenVerifier {
  abstract verify(token: string): Promise<VerifiedToken>;
}
