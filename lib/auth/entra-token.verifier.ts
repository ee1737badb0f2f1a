import { Inject, Injectable, Optional } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWK, type JWTPayload } from 'jose';
import { AuthError } from '../errors/auth.error';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { TokenVersion } from '../options/notifications-options.interface';
import { isGuid } from '../options/resolve-options';
import type {
  ResolvedAuthOptions,
  ResolvedNotificationsOptions,
} from '../options/resolved-options';
import { EntraSigningKeyProvider } from './entra-signing-key.provider';
import { checkRegisteredClaims } from './jwt-claims';
import { OBJECT_ID_CLAIM } from './oid-user.resolver';
import { hasValidRs256Signature, importRs256Key } from './rs256-signature';
import type { SigningKeyProvider } from './signing-key.provider';
import { TokenVerifier, type VerifiedToken } from './token-verifier';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REQUIRED_CLAIMS = ['exp', 'nbf', 'iat', 'iss', 'aud', 'tid'];

const invalid = AuthError.invalidToken;

/**
 * Verifies Microsoft Entra ID access tokens: RS256 with a `kid` only, tenant allow-list checked before
 * any key is fetched, issuer from the tenant's OpenID metadata, the key's own `issuer` property,
 * exact audience match, and user tokens only (a `scp` claim) unless app-only tokens are allowed.
 */
@Injectable()
export class EntraTokenVerifier extends TokenVerifier {
  private readonly auth: ResolvedAuthOptions;
  private readonly keys: SigningKeyProvider;
  /** Imported keys by JWK object: a key set refresh brings new objects, so old keys go with it. */
  private readonly imported = new WeakMap<JWK, KeyObject | null>();

  constructor(
    @Optional() @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) options: ResolvedNotificationsOptions,
  ) {
    super();
    if (!options?.auth) {
      throw new AuthError(
        'auth_unavailable',
        'EntraTokenVerifier needs the auth options of NotificationsModule.',
      );
    }
    this.auth = options.auth;
    this.keys = options.auth.signingKeys ?? new EntraSigningKeyProvider(options.auth);
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AuthError('token_missing', 'No token.');
    }
    if (Buffer.byteLength(token) > this.auth.maxTokenBytes) throw invalid('Token too large.');
    // Node's base64url decoder skips characters outside the alphabet, so one token could be spelled
    // many ways: refuse anything but the exact compact form.
    if (!COMPACT_JWS.test(token)) throw invalid('Not a signed JWT.');

    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw invalid('Malformed token.');
    }
    if (header.alg !== 'RS256') throw invalid('Only RS256 tokens are accepted.');
    // No header extension is understood here, so a token that declares one critical is refused.
    if (header.crit !== undefined) throw invalid('Unsupported critical header.');
    if (typeof header.kid !== 'string' || header.kid.length === 0)
      throw invalid('Token has no kid.');

    const tid = unverified.tid;
    if (!isGuid(tid)) throw invalid('Token has no valid tid.');
    const tenantId = tid.toLowerCase();
    if (!this.auth.tenants.includes(tenantId)) {
      throw new AuthError('tenant_not_allowed', 'Tenant not allowed.');
    }
    const version = unverified.ver;
    if ((version !== '1.0' && version !== '2.0') || !this.auth.tokenVersions.includes(version)) {
      throw invalid('Token version not accepted.');
    }

    const { jwk, issuer } = await this.findKey(tenantId, version, header.kid);
    const claims = this.verifySignatureAndClaims(token, jwk, issuer, unverified);
    this.checkTokenKind(claims);
    return { claims, expiresAt: (claims.exp as number) * 1000 };
  }

  private async findKey(
    tenantId: string,
    version: TokenVersion,
    kid: string,
  ): Promise<{ jwk: JWK; issuer: string }> {
    let set = await this.keys.getSigningKeys(tenantId, version);
    let jwk = set.keys.find((k) => k.kid === kid);
    if (!jwk) {
      set = await this.keys.getSigningKeys(tenantId, version, true);
      jwk = set.keys.find((k) => k.kid === kid);
    }
    if (!jwk) throw invalid('Unknown signing key.');
    const issuer = set.issuer.replace('{tenantid}', tenantId);
    const keyIssuer = (jwk as { issuer?: unknown }).issuer;
    if (
      keyIssuer !== undefined &&
      (typeof keyIssuer !== 'string' || keyIssuer.replace('{tenantid}', tenantId) !== issuer)
    ) {
      throw invalid('Signing key is not valid for this issuer.');
    }
    if (jwk.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig')) {
      throw invalid('Signing key is not an RSA signature key.');
    }
    return { jwk, issuer };
  }

  private verifySignatureAndClaims(
    token: string,
    jwk: JWK,
    issuer: string,
    claims: JWTPayload,
  ): VerifiedToken['claims'] {
    let key = this.imported.get(jwk);
    if (key === undefined) {
      key = importRs256Key(jwk) ?? null;
      this.imported.set(jwk, key);
    }
    if (!key) throw invalid('Signing key is not a usable RS256 key.');
    // The claims were decoded from the same bytes that the signature covers.
    if (!hasValidRs256Signature(token, key)) throw invalid('Token verification failed.');
    checkRegisteredClaims(claims, {
      issuer,
      audiences: this.auth.audiences,
      clockToleranceSeconds: this.auth.clockToleranceSeconds,
      required: REQUIRED_CLAIMS,
    });
    return claims as VerifiedToken['claims'];
  }

  /** Rule 7: a user's access token carries `scp`; app-only tokens are refused unless allowed. */
  private checkTokenKind(claims: VerifiedToken['claims']): void {
    // A missing object id is the resolver's to report (`user_id_missing`); a malformed one is forged.
    for (const claim of ['oid', OBJECT_ID_CLAIM]) {
      if (claims[claim] !== undefined && !isGuid(claims[claim]))
        throw invalid(`${claim} is not a GUID.`);
    }
    const hasScope = typeof claims.scp === 'string' && claims.scp.length > 0;
    const appOnly =
      claims.idtyp === 'app' ||
      (!hasScope && claims.oid !== undefined && claims.oid === claims.sub);
    if (appOnly) {
      if (!this.auth.allowAppTokens) {
        throw new AuthError('app_token_not_allowed', 'App-only tokens are not accepted.');
      }
      return;
    }
    if (!hasScope) throw invalid('Not a user access token.');
  }
}
