import { DEFAULT_CONNECTION_CLAIMS } from '../auth/connection-claims';
import { NotificationsConfigError } from '../errors/notifications.error';
import type {
  NotificationsAuthOptions,
  NotificationsModuleOptions,
} from './notifications-options.interface';
import type { ResolvedAuthOptions, ResolvedNotificationsOptions } from './resolved-options';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when `value` is a GUID such as Entra ID's `tid` and `oid`. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new NotificationsConfigError(`${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new NotificationsConfigError(`${name} must be a number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === 0) return 0;
  return positiveInteger(value, fallback, name);
}

function resolvePresence(
  options: NotificationsModuleOptions,
): ResolvedNotificationsOptions['presence'] {
  const heartbeatSeconds = positiveInteger(
    options.presence?.heartbeatSeconds,
    10,
    'presence.heartbeatSeconds',
  );
  const ttlSeconds = positiveInteger(options.presence?.ttlSeconds, 30, 'presence.ttlSeconds');
  if (ttlSeconds <= heartbeatSeconds) {
    throw new NotificationsConfigError(
      `presence.ttlSeconds (${ttlSeconds}) must exceed presence.heartbeatSeconds (${heartbeatSeconds}), ideally by 3×, or live connections expire between heartbeats.`,
    );
  }
  return { heartbeatSeconds, ttlSeconds };
}

function resolveAuthorityHost(raw: string | undefined): string {
  const value = raw ?? 'https://login.microsoftonline.com';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NotificationsConfigError(
      `auth.authorityHost "${value}" is not a URL. Use e.g. "https://login.microsoftonline.com".`,
    );
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new NotificationsConfigError(
      `auth.authorityHost must use https:// (http:// is accepted only for loopback hosts), got "${value}".`,
    );
  }
  return url.origin;
}

function resolveAuth(auth: NotificationsAuthOptions): ResolvedAuthOptions {
  const tenants = auth.tenants ?? [];
  if (!Array.isArray(tenants) || tenants.length === 0) {
    throw new NotificationsConfigError(
      'auth.tenants is empty. List the tenant ids (GUIDs) whose users may connect, e.g. tenants: [process.env.AZURE_TENANT_ID].',
    );
  }
  const badTenant = tenants.find((t) => !isGuid(t));
  if (badTenant !== undefined) {
    throw new NotificationsConfigError(
      `auth.tenants must hold tenant GUIDs; "${String(badTenant)}" is not one. Find it in the Azure portal under Entra ID > Overview > Tenant ID.`,
    );
  }
  const audiences = auth.audiences ?? [];
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    audiences.some((a) => typeof a !== 'string' || a === '')
  ) {
    throw new NotificationsConfigError(
      "auth.audiences is empty. Give the API's client id and/or its App ID URI, e.g. audiences: [clientId, `api://${clientId}`].",
    );
  }
  const tokenVersions = auth.tokenVersions ?? ['1.0', '2.0'];
  if (tokenVersions.length === 0 || tokenVersions.some((v) => v !== '1.0' && v !== '2.0')) {
    throw new NotificationsConfigError(
      `auth.tokenVersions must be a non-empty list of '1.0' and '2.0'.`,
    );
  }
  return {
    tenants: tenants.map((t) => t.toLowerCase()),
    audiences: [...audiences],
    authorityHost: resolveAuthorityHost(auth.authorityHost),
    tokenVersions: [...tokenVersions],
    clockToleranceSeconds: nonNegative(
      auth.clockToleranceSeconds,
      60,
      'auth.clockToleranceSeconds',
    ),
    allowAppTokens: auth.allowAppTokens ?? false,
    requiredScopes: auth.requiredScopes ?? [],
    allowTokenInQuery: auth.allowTokenInQuery ?? false,
    maxTokenBytes: positiveInteger(auth.maxTokenBytes, 16384, 'auth.maxTokenBytes'),
    keysRefreshSeconds: positiveInteger(auth.keysRefreshSeconds, 3600, 'auth.keysRefreshSeconds'),
    unknownKidCooldownSeconds: nonNegative(
      auth.unknownKidCooldownSeconds,
      60,
      'auth.unknownKidCooldownSeconds',
    ),
    fetchTimeoutMs: positiveInteger(auth.fetchTimeoutMs, 5000, 'auth.fetchTimeoutMs'),
    signingKeys: auth.signingKeys,
    expiryWarningSeconds: nonNegative(auth.expiryWarningSeconds, 60, 'auth.expiryWarningSeconds'),
  };
}

/**
 * Validates the options given to `forRoot`/`forRootAsync` and applies the defaults.
 * @throws NotificationsConfigError with a message that says what to fix.
 */
export function resolveOptions(
  options: NotificationsModuleOptions | undefined,
): ResolvedNotificationsOptions {
  if (options === null || typeof options !== 'object') {
    throw new NotificationsConfigError(
      'options are missing. Pass an object to forRoot(), or return one from the forRootAsync() factory.',
    );
  }
  if (!options.auth && !options.tokenVerifier) {
    throw new NotificationsConfigError(
      'no token validation configured. Set auth: { tenants, audiences } for Entra ID, or tokenVerifier for your own.',
    );
  }
  const redis = options.redis;
  if (redis) {
    if (!redis.url && !redis.options && !redis.clusterNodes) {
      throw new NotificationsConfigError(
        'redis needs a url (e.g. "redis://127.0.0.1:6379"), ioredis options, or clusterNodes.',
      );
    }
    if (redis.clusterNodes !== undefined) {
      const nodes: unknown = redis.clusterNodes;
      const bad = Array.isArray(nodes)
        ? nodes.find((n) => typeof n !== 'string' || !/^rediss?:\/\//.test(n))
        : nodes;
      if (bad !== undefined || (nodes as unknown[]).length === 0) {
        throw new NotificationsConfigError(
          `redis.clusterNodes must be a non-empty list of redis:// URLs${bad !== undefined ? `; "${String(bad)}" is not one` : ''}.`,
        );
      }
    }
    if (redis.url && !/^rediss?:\/\//.test(redis.url)) {
      throw new NotificationsConfigError(
        `redis.url must start with redis:// or rediss://, got "${redis.url}".`,
      );
    }
    if (redis.credentials !== undefined && typeof redis.credentials !== 'function') {
      throw new NotificationsConfigError(
        'redis.credentials must be a function returning { username?, password, expiresAt? }.',
      );
    }
    if (redis.mode !== undefined && redis.mode !== 'classic' && redis.mode !== 'sharded') {
      throw new NotificationsConfigError(
        `redis.mode must be 'classic' or 'sharded', got "${String(redis.mode)}".`,
      );
    }
  }
  const path = options.path ?? '/socket.io';
  if (!path.startsWith('/')) {
    throw new NotificationsConfigError(`path must start with "/", got "${path}".`);
  }
  const transports = options.transports ?? ['websocket', 'polling'];
  if (transports.length === 0 || transports.some((t) => t !== 'websocket' && t !== 'polling')) {
    throw new NotificationsConfigError(
      `transports must be a non-empty list of 'websocket' and 'polling'.`,
    );
  }
  const connectionClaims: unknown = options.connectionClaims ?? DEFAULT_CONNECTION_CLAIMS;
  if (
    !Array.isArray(connectionClaims) ||
    connectionClaims.some((c) => typeof c !== 'string' || c === '')
  ) {
    throw new NotificationsConfigError(
      `connectionClaims must be a list of claim names, e.g. ['oid', 'tid', 'roles'].`,
    );
  }
  return {
    auth: options.auth ? resolveAuth(options.auth) : undefined,
    redis: redis
      ? {
          url: redis.url,
          options: redis.options ?? {},
          clusterNodes: redis.clusterNodes,
          clusterOptions: redis.clusterOptions,
          mode: redis.mode ?? 'classic',
          keyPrefix: redis.keyPrefix ?? 'notifications',
          credentials: redis.credentials,
        }
      : undefined,
    runs: {
      logMaxLength: positiveInteger(options.runs?.logMaxLength, 1000, 'runs.logMaxLength'),
      ttlSeconds: positiveInteger(options.runs?.ttlSeconds, 86400, 'runs.ttlSeconds'),
    },
    limits: {
      maxSubscriptionsPerConnection: positiveInteger(
        options.limits?.maxSubscriptionsPerConnection,
        100,
        'limits.maxSubscriptionsPerConnection',
      ),
      subscribesPerSecond: positiveInteger(
        options.limits?.subscribesPerSecond,
        20,
        'limits.subscribesPerSecond',
      ),
      maxMessageBytes: positiveInteger(
        options.limits?.maxMessageBytes,
        65536,
        'limits.maxMessageBytes',
      ),
      maxConnectionsPerUser: nonNegativeInteger(
        options.limits?.maxConnectionsPerUser,
        20,
        'limits.maxConnectionsPerUser',
      ),
    },
    presence: resolvePresence(options),
    cors: options.cors,
    path,
    transports: [...transports],
    connectionClaims: [...(connectionClaims as string[])],
  };
}
