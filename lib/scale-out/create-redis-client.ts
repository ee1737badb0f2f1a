import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { NotificationsRedisOptions } from '../options/notifications-options.interface';

/** A Redis connection: a single server or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** The `host:port` and credentials of a `redis://` URL, as ioredis options. */
function nodeFromUrl(raw: string): { host: string; port: number; auth: RedisOptions } {
  const url = new URL(raw);
  const auth: RedisOptions = {};
  if (url.username) auth.username = decodeURIComponent(url.username);
  if (url.password) auth.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') auth.tls = {};
  return { host: url.hostname, port: Number(url.port || 6379), auth };
}

/**
 * A Redis connection as the module makes its own, for an app's keys on the same Redis: one server
 * (`url`, `options`), or a Cluster (`clusterNodes`, with credentials and TLS taken from the first
 * URL, `clusterOptions`). `defaults` are ioredis options that `redis.options` may override.
 */
export function createRedisClient(
  redis: Pick<
    NotificationsRedisOptions,
    'url' | 'options' | 'clusterNodes' | 'clusterOptions' | 'mode'
  >,
  defaults: RedisOptions = {},
): RedisClient {
  const settings: RedisOptions = { ...defaults, ...redis.options };
  if (!redis.clusterNodes) {
    if (!redis.url) return new Redis(settings);
    // ioredis takes each option from the first argument that has it: the options go first, so
    // that they override the URL (a password in `options` beats one in the URL).
    const RedisFromOptionsThenUrl = Redis as unknown as new (
      options: RedisOptions,
      url: string,
    ) => Redis;
    return new RedisFromOptionsThenUrl(settings, redis.url);
  }
  const nodes = redis.clusterNodes.map(nodeFromUrl);
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      // Without it, SSUBSCRIBE through the cluster client fails with "Too many Cluster redirections".
      shardedSubscribers: redis.mode === 'sharded',
      ...redis.clusterOptions,
      redisOptions: { ...nodes[0].auth, ...settings, ...redis.clusterOptions?.redisOptions },
    },
  );
}
