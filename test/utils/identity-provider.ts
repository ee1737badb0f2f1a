import { generateKeyPair, KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, type JWK, type KeyLike } from 'jose';
import type { NotificationsAuthOptions } from '../../lib/options/notifications-options.interface';

const generateRsaKeyPair = promisify(generateKeyPair);

/** A signing key of the {@link LocalIdentityProvider}. */
export interface IdpKey {
  /** Key id, also published as `x5t` (as Entra does). */
  kid: string;
  privateKey: KeyLike;
  /** The public key as a JWK: `kty`, `n`, `e`, `kid`, `x5t`, `use: 'sig'`. */
  publicJwk: JWK;
  alg: string;
  /** The `issuer` property published with the key on the v2 keys endpoint (may hold `{tenantid}`). */
  issuer: string;
}

/** Options for {@link LocalIdentityProvider.issueToken}. */
export interface TokenOptions {
  /** Merged over the default claims; a key whose value is undefined is removed from the payload. */
  claims?: Record<string, unknown>;
  /** Merged over `{ alg: 'RS256', typ: 'JWT', kid }`; a key whose value is undefined is removed. */
  header?: Record<string, unknown>;
  /** Token shape; default '2.0'. */
  version?: '1.0' | '2.0';
  /** Signing key; default `keys[0]`. */
  key?: IdpKey;
  /** Lifetime; default 3600. Negative or zero gives an already expired token. */
  expiresInSeconds?: number;
  /** Shortcut for the `oid` claim (default a random GUID). */
  oid?: string;
  /** Shortcut for the tenant: sets `tid` and the issuer (default the first tenant). */
  tid?: string;
  /** Shortcut for the `scp` claim (default 'access_as_user'). */
  scp?: string;
}

/** A random GUID string (lower-case). */
export function randomGuid(): string {
  return randomUUID();
}

/**
 * Signs any protected header and payload with any jose key, without the checks `SignJWT` makes,
 * to build malformed or alg-mismatch tokens. `header.alg` is required and must suit the key.
 */
export async function signRaw(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyLike | Uint8Array,
): Promise<string> {
  if (header.alg === 'RS256' && key instanceof KeyObject) {
    // Node signs with any RSA key size and any header; jose would refuse short keys and `crit`.
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode(header)}.${encode(payload)}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  return new CompactSign(bytes)
    .setProtectedHeader(header as Parameters<CompactSign['setProtectedHeader']>[0])
    .sign(key);
}

/** An unsigned token (`alg: 'none'` style): header and payload encoded, empty signature. */
export function unsignedToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.`;
}

/** Entra's v1 issuer form, with the tenant as given (a GUID or the `{tenantid}` placeholder). */
const v1Issuer = (tid: string) => `https://sts.windows.net/${tid}/`;
/** Entra's multi-tenant aliases: their metadata carries the `{tenantid}` placeholder. */
const MULTI_TENANT = new Set(['common', 'organizations']);
/** The routes served under `/{tenant}/`, as Entra lays them out. */
const ROUTES = new Set([
  'v2.0/.well-known/openid-configuration',
  '.well-known/openid-configuration',
  'discovery/v2.0/keys',
  'discovery/keys',
]);

/**
 * A local identity provider shaped like Microsoft Entra ID, served over HTTP on 127.0.0.1: OpenID
 * metadata and key sets at Entra's paths, and a minter of RS256 access tokens in Entra's v1 and
 * v2 shapes. Lets e2e tests run token validation against a real key-fetching flow, offline.
 */
export class LocalIdentityProvider {
  /** Base URL, e.g. 'http://127.0.0.1:54321' (no trailing slash). */
  readonly authorityHost: string;
  /** The first tenant: the default for tokens and issuers. */
  readonly tenantId: string;
  /** The API's application (client) id, a random GUID. */
  readonly clientId: string;
  /** `api://${clientId}`: the default `aud` of issued tokens. */
  readonly audience: string;
  /** Keys currently published in the key sets; `keys[0]` signs by default. */
  readonly keys: IdpKey[] = [];

  private readonly tenants: Set<string>;
  private readonly counts = new Map<string, number>();
  private down = false;
  private stopped?: Promise<void>;

  private constructor(
    private readonly server: Server,
    port: number,
    tenants: string[],
  ) {
    this.authorityHost = `http://127.0.0.1:${port}`;
    this.tenants = new Set(tenants);
    this.tenantId = tenants[0];
    this.clientId = randomGuid();
    this.audience = `api://${this.clientId}`;
  }

  /** Starts the server on an ephemeral loopback port, with one RS256 key. */
  static async start(options: { tenants?: string[] } = {}): Promise<LocalIdentityProvider> {
    const tenants = options.tenants?.length ? options.tenants : [randomGuid()];
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const idp = new LocalIdentityProvider(server, (server.address() as AddressInfo).port, tenants);
    server.on('request', (req, res) => idp.handle(req, res));
    await idp.addKey();
    return idp;
  }

  /** Issuer of v2 tokens for a tenant: `${authorityHost}/${tid}/v2.0`. */
  issuerV2(tid: string = this.tenantId): string {
    return `${this.authorityHost}/${tid}/v2.0`;
  }

  /** Issuer of v1 tokens for a tenant: `https://sts.windows.net/${tid}/` (exactly Entra's form). */
  issuerV1(tid: string = this.tenantId): string {
    return v1Issuer(tid);
  }

  /**
   * HTTP requests received (including those answered 503 while down) whose path starts with
   * `pathPrefix`, or all of them without one. Useful for "zero key fetches" assertions.
   */
  requestCount(pathPrefix?: string): number {
    let total = 0;
    for (const [path, count] of this.counts) {
      if (pathPrefix === undefined || path.startsWith(pathPrefix)) total += count;
    }
    return total;
  }

  /** Zeroes the request counts. */
  resetCounts(): void {
    this.counts.clear();
  }

  /** Creates an RS256 key and publishes it at the end of the key sets. */
  async addKey(
    options: { kid?: string; issuer?: string; modulusLength?: number } = {},
  ): Promise<IdpKey> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', {
      modulusLength: options.modulusLength ?? 2048,
    });
    // Entra kids are base64url SHA-1 thumbprints (27 characters); match the look.
    const kid = options.kid ?? randomBytes(20).toString('base64url');
    const { kty, n, e } = await exportJWK(publicKey);
    const key: IdpKey = {
      kid,
      privateKey,
      publicJwk: { kty, use: 'sig', kid, x5t: kid, n, e },
      alg: 'RS256',
      issuer: options.issuer ?? `${this.authorityHost}/{tenantid}/v2.0`,
    };
    this.keys.push(key);
    return key;
  }

  /** Unpublishes a key (rotation); tokens it signed stop verifying once verifiers refetch. */
  removeKey(kid: string): void {
    const index = this.keys.findIndex((key) => key.kid === kid);
    if (index >= 0) this.keys.splice(index, 1);
  }

  /** When down, every request answers 503: simulates an outage. */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** NotificationsModule `auth` options that trust this provider, with any overrides. */
  authOptions(overrides: Partial<NotificationsAuthOptions> = {}): NotificationsAuthOptions {
    return {
      tenants: [this.tenantId],
      audiences: [this.audience],
      authorityHost: this.authorityHost,
      ...overrides,
    };
  }

  /** Mints an RS256 user access token (v2 by default), signed with `keys[0]` unless told. */
  async issueToken(opts: TokenOptions = {}): Promise<string> {
    const key = opts.key ?? this.keys[0];
    if (!key) throw new Error('no signing key: every key was removed');
    const tid = opts.tid ?? this.tenantId;
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresInSeconds ?? 3600;
    const exp = now + expiresIn;
    // An expired token was issued in the past, so iat/nbf precede exp as in a real one.
    const iat = expiresIn > 0 ? now : exp - 3600;
    const oid = opts.oid ?? randomGuid();
    const common = {
      aud: this.audience,
      iat,
      nbf: iat,
      exp,
      tid,
      oid,
      sub: randomBytes(32).toString('base64url'),
      scp: opts.scp ?? 'access_as_user',
      name: 'Test User',
      uti: randomBytes(16).toString('base64url'),
      rh: `0.${randomBytes(36).toString('base64url')}.`,
    };
    const defaults: Record<string, unknown> =
      opts.version === '1.0'
        ? {
            ...common,
            iss: this.issuerV1(tid),
            ver: '1.0',
            appid: randomGuid(),
            appidacr: '0',
            upn: 'test.user@contoso.example',
            unique_name: 'test.user@contoso.example',
          }
        : {
            ...common,
            iss: this.issuerV2(tid),
            ver: '2.0',
            azp: randomGuid(),
            azpacr: '0',
            preferred_username: 'test.user@contoso.example',
          };
    const payload = withoutUndefined({ ...defaults, ...opts.claims });
    const header = withoutUndefined({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...opts.header });
    return signRaw(header, payload, key.privateKey);
  }

  /** Same as the module-level {@link signRaw}, for convenience. */
  signRaw(
    header: Record<string, unknown>,
    payload: Record<string, unknown>,
    key: KeyLike | Uint8Array,
  ): Promise<string> {
    return signRaw(header, payload, key);
  }

  /** Closes the server and every open (keep-alive) socket, so jest has no open handles. */
  stop(): Promise<void> {
    return (this.stopped ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.authorityHost).pathname;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    if (this.down) return send(res, 503, { error: 'temporarily_unavailable' });

    // Paths are /{tenant}/{route}.
    const slash = path.indexOf('/', 1);
    const tenant = path.slice(1, slash);
    const route = path.slice(slash + 1);
    if (slash < 0 || !ROUTES.has(route)) return send(res, 404, { error: 'not_found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { error: 'method_not_allowed' });
    }
    if (!this.tenants.has(tenant) && !MULTI_TENANT.has(tenant)) {
      return send(res, 400, {
        error: 'invalid_tenant',
        error_description: `AADSTS90002: Tenant '${tenant}' not found.`,
      });
    }
    // Multi-tenant metadata names no tenant, so its issuer keeps Entra's placeholder.
    const tid = MULTI_TENANT.has(tenant) ? '{tenantid}' : tenant;
    switch (route) {
      case 'v2.0/.well-known/openid-configuration':
        return send(res, 200, this.metadata(tenant, this.issuerV2(tid), 'v2.0/'));
      case '.well-known/openid-configuration':
        return send(res, 200, this.metadata(tenant, this.issuerV1(tid), ''));
      case 'discovery/v2.0/keys':
        return send(res, 200, {
          keys: this.keys.map((k) => ({ ...k.publicJwk, issuer: k.issuer })),
        });
      default:
        return send(res, 200, {
          keys: this.keys.map((k) => ({ ...k.publicJwk, issuer: v1Issuer('{tenantid}') })),
        });
    }
  }

  /** OpenID provider metadata; `version` is 'v2.0/' or '' as in Entra's paths. */
  private metadata(tenant: string, issuer: string, version: string): Record<string, unknown> {
    const base = `${this.authorityHost}/${tenant}`;
    return {
      issuer,
      jwks_uri: `${base}/discovery/${version}keys`,
      authorization_endpoint: `${base}/oauth2/${version}authorize`,
      token_endpoint: `${base}/oauth2/${version}token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'EU',
    };
  }
}

/** Copies an object without its undefined-valued keys (how callers delete defaults). */
function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    // Entra lets key sets be cached for a day; verifiers must still refetch on an unknown kid.
    'cache-control': status === 200 ? 'max-age=86400, private' : 'no-store',
  });
  res.end(json);
}
