import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** RSA keys shorter than this are refused (RFC 7518 §3.3 asks for 2048 bits or more). */
const MIN_MODULUS_BITS = 2048;

/**
 * Imports an RSA signature JWK (the caller checks `kty` and `use`) as a public key for RS256, or
 * returns undefined when it may not verify RS256 tokens: another `alg`, or under 2048 bits.
 */
export function importRs256Key(jwk: JWK): KeyObject | undefined {
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') return undefined;
  try {
    const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= MIN_MODULUS_BITS ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the RS256 signature of a compact JWS whose form was already checked.
 *
 * Synchronous on purpose: an RSA public-key verification takes tens of microseconds, less than the
 * hop to libuv's thread pool that an asynchronous `crypto.verify` (as jose's) costs; the pool's
 * threads also keep their own malloc arenas, which grew every instance's memory during a connect
 * storm.
 */
export function hasValidRs256Signature(token: string, key: KeyObject): boolean {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  // An RS256 signature is exactly as long as the modulus.
  if (signature.length * 8 !== key.asymmetricKeyDetails?.modulusLength) return false;
  try {
    return verifySignature('RSA-SHA256', Buffer.from(token.slice(0, dot)), key, signature);
  } catch {
    return false;
  }
}
