import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type KeyLike,
} from 'jose';
import { SigningKeyProvider, type TenantSigningKeys, type TokenVersion } from '../../lib';
import { sampleRedis } from '../redis-client';

/** Tenant of the development identity (not a real Entra ID tenant). */
export const DEV_TENANT_ID = '6f1c8e2a-0d5b-4c47-9a3e-000000000de7';
/** Application (client) id of the sample API in dev mode. */
export const DEV_CLIENT_ID = '6f1c8e2a-0d5b-4c47-9a3e-00000000c11e';
/** Audiences accepted in dev mode. */
export const DEV_AUDIENCES = [DEV_CLIENT_ID, `api://${DEV_CLIENT_ID}`];
const DEV_ISSUER = `https://login.microsoftonline.com/${DEV_TENANT_ID}/v2.0`;
const KEY_NAME = 'notifications:dev-identity:signing-key';
const TOKEN_LIFETIME_SECONDS = 3600;

/** The deterministic `oid` of a dev user: the same name gives the same id on every instance. */
export function devObjectId(name: string): string {
  const hex = createHash('sha256').update(`dev-user:${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A dev token as the sample's `/dev/token` returns it. */
export interface DevToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  oid: string;
}

/**
 * A development identity provider: mints RS256 tokens shaped like Entra ID v2 access tokens and serves
 * their key to the module's verifier, so dev mode runs every verification rule. The signing key is
 * shared through Redis (first instance wins), so a token minted by any instance is accepted by all.
 */
export class DevIdentity extends SigningKeyProvider {
  private constructor(
    private readonly privateKey: KeyLike,
    private readonly publicJwk: JWK,
  ) {
    super();
  }

  /** Loads the shared key from Redis (or creates it), or makes a local one without Redis. */
  static async create(redisUrl?: string): Promise<DevIdentity> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    let jwk = await exportJWK(privateKey);
    if (redisUrl) {
      // Commands wait for the connection (a Cluster connects on its own; lazyConnect would be a
      // per-node option there), and give up after a few reconnect attempts.
      const redis = sampleRedis(redisUrl, { maxRetriesPerRequest: 3 });
      redis.on('error', (error: Error) =>
        new Logger('DevIdentity').warn(`Redis: ${error.message}`),
      );
      try {
        await redis.set(KEY_NAME, JSON.stringify(jwk), 'NX');
        jwk = JSON.parse((await redis.get(KEY_NAME)) as string) as JWK;
      } finally {
        redis.disconnect();
      }
    }
    const kid = await calculateJwkThumbprint(jwk);
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
    const key = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as KeyLike;
    return new DevIdentity(key, {
      ...publicPart,
      kid,
      use: 'sig',
      alg: 'RS256',
      issuer: DEV_ISSUER,
    } as JWK);
  }

  async getSigningKeys(tenantId: string, _version: TokenVersion): Promise<TenantSigningKeys> {
    return { issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`, keys: [this.publicJwk] };
  }

  /** Mints an access token for a user name. */
  async issue(name: string): Promise<DevToken> {
    const oid = devObjectId(name);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      aud: `api://${DEV_CLIENT_ID}`,
      iss: DEV_ISSUER,
      tid: DEV_TENANT_ID,
      oid,
      sub: createHash('sha256').update(`dev-sub:${name}`).digest('base64url').slice(0, 43),
      scp: 'access_as_user',
      ver: '2.0',
      azp: DEV_CLIENT_ID,
      azpacr: '0',
      name,
      preferred_username: `${name}@dev.local`,
      uti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.publicJwk.kid as string })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
      .sign(this.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS, oid };
  }
}
