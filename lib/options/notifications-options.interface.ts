import type { Type } from '@nestjs/common';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ServerOptions } from 'socket.io';
import type { RunAccessPolicy } from '../runs/run-access.policy';
import type { SigningKeyProvider } from '../auth/signing-key.provider';
import type { TokenVerifier } from '../auth/token-verifier';
import type { UserResolver } from '../auth/user-resolver';
import type { RedisCredentialsProvider } from '../scale-out/redis-credentials';

/** Entra ID token versions (`ver` claim). */
export type TokenVersion = '1.0' | '2.0';

/** How verified tokens are accepted. Follows Microsoft.Identity.Web's defaults, stricter where cheap. */
export interface NotificationsAuthOptions {
  /** Tenant allow-list (GUIDs). A token whose `tid` is not listed is refused before any key is fetched. */
  tenants: string[];
  /**
   * Accepted `aud` values, compared exactly. Typically the API's client id and `api://<client id>`.
   */
  audiences: string[];
  /**
   * Where OpenID metadata is discovered. `http://` is accepted only for loopback hosts.
   * @default 'https://login.microsoftonline.com'
   */
  authorityHost?: string;
  /** @default ['1.0', '2.0'] */
  tokenVersions?: TokenVersion[];
  /** Leeway for `exp`/`nbf`/`iat`, in seconds. @default 60 */
  clockToleranceSeconds?: number;
  /** Accept app-only tokens (client credentials: `idtyp=app`, or no `scp` with `oid == sub`). @default false */
  allowAppTokens?: boolean;
  /** Scopes (`scp`) the HTTP guard requires; a valid token lacking one gets 403. @default [] */
  requiredScopes?: string[];
  /** Accept a token from the handshake query string (`?token=`). Leaks into access logs. @default false */
  allowTokenInQuery?: boolean;
  /** Tokens longer than this are refused before decoding. @default 16384 */
  maxTokenBytes?: number;
  /** Age after which cached signing keys are refreshed in the background. @default 3600 */
  keysRefreshSeconds?: number;
  /** Minimum interval between two forced key fetches caused by an unknown `kid`. @default 60 */
  unknownKidCooldownSeconds?: number;
  /** Time-out of one metadata or key set request. @default 5000 */
  fetchTimeoutMs?: number;
  /** Replaces OpenID discovery as the source of issuers and keys (tests, private identity providers). */
  signingKeys?: SigningKeyProvider;
  /** Notify the client (`authExpiring`) this long before its token expires. @default 60 */
  expiryWarningSeconds?: number;
}

/** Redis connection for scale-out and the run store. */
export interface NotificationsRedisOptions {
  /** `redis://` or `rediss://` URL. */
  url?: string;
  /** ioredis options, merged over the URL's (for a cluster: the options of each node's connection). */
  options?: RedisOptions;
  /**
   * Redis Cluster seed nodes (`redis://host:port`, credentials taken from the first). When set,
   * `url` is not used. Sharded mode is what a cluster is for: SPUBLISH stays on one shard.
   */
  clusterNodes?: string[];
  /** ioredis Cluster options, merged over the module's. */
  clusterOptions?: ClusterOptions;
  /** `classic` (PUBLISH, any Redis ≥ 5) or `sharded` (SPUBLISH, Redis ≥ 7). @default 'classic' */
  mode?: 'classic' | 'sharded';
  /** Prefix of every key and channel. @default 'notifications' */
  keyPrefix?: string;
  /**
   * Credentials that expire, such as a Microsoft Entra token for Azure Cache for Redis or Azure
   * Managed Redis: called once before the module connects (the app does not start if it fails),
   * then again before `expiresAt` (three quarters of the way there; every 30 minutes without
   * one). The new credentials are sent with `AUTH` on the module's live connections and used by
   * every reconnect. They override a username and password given in `url` or `options`.
   */
  credentials?: RedisCredentialsProvider;
}

/** Run log retention. */
export interface NotificationsRunOptions {
  /** Updates kept per run (approximate in Redis: `XADD MAXLEN ~`). @default 1000 */
  logMaxLength?: number;
  /** Lifetime of a run's record and log after its last update, in seconds. @default 86400 */
  ttlSeconds?: number;
}

/** Abuse limits, each answered with its own error code. */
export interface NotificationsLimitOptions {
  /** Runs one connection may be subscribed to at once (`too_many_subscriptions`). @default 100 */
  maxSubscriptionsPerConnection?: number;
  /** `subscribeToRun` calls per second per connection (`rate_limited`); bursts up to twice that. @default 20 */
  subscribesPerSecond?: number;
  /** Largest inbound socket.io message, in bytes (socket.io `maxHttpBufferSize`). @default 65536 */
  maxMessageBytes?: number;
  /** Live connections one user may hold across all instances (`too_many_connections`); 0: no limit. @default 20 */
  maxConnectionsPerUser?: number;
}

/** Presence: who is online, counted per user across instances. */
export interface NotificationsPresenceOptions {
  /** How often an instance refreshes the connections it holds. @default 10 */
  heartbeatSeconds?: number;
  /** A connection not refreshed for this long stops counting (a crashed instance's). @default 30 */
  ttlSeconds?: number;
}

/** Options of {@link NotificationsModule}. */
export interface NotificationsModuleOptions {
  /** Token validation. Required unless `tokenVerifier` is given. */
  auth?: NotificationsAuthOptions;
  /** Redis for scale-out and the run store. Omitted: in-memory, one instance only. */
  redis?: NotificationsRedisOptions;
  runs?: NotificationsRunOptions;
  limits?: NotificationsLimitOptions;
  presence?: NotificationsPresenceOptions;
  /** CORS of the socket.io server. @default undefined (same origin only) */
  cors?: ServerOptions['cors'];
  /** socket.io path. @default '/socket.io' */
  path?: string;
  /** Transports accepted. @default ['websocket', 'polling'] */
  transports?: Array<'websocket' | 'polling'>;
  /** Replaces the default Entra ID token verifier. */
  tokenVerifier?: Type<TokenVerifier> | TokenVerifier;
  /** Replaces {@link OidUserResolver}: maps verified claims to the user id. */
  userResolver?: Type<UserResolver> | UserResolver;
  /** Replaces the owner-only run access policy. */
  accessPolicy?: Type<RunAccessPolicy> | RunAccessPolicy;
  /**
   * Claims a live connection keeps of its verified token, for an access policy or handler that
   * reads `socket.data.user.claims`. The rest are dropped after the handshake: a token's full
   * claims cost about 1 KB per connection. The HTTP guard always sees every claim.
   * @default ['oid', 'tid', 'scp', 'roles']
   */
  connectionClaims?: string[];
}
