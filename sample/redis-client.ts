import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for the sample's own keys (dev signing key, task queue). REDIS_URL may list
 * several comma-separated URLs: the seed nodes of a Redis Cluster.
 */
export function sampleRedis(redisUrl: string, options: RedisOptions = {}): Redis | Cluster {
  const urls = redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 1) return new Redis(urls[0], options);
  return new Cluster(
    urls.map((u) => {
      const url = new URL(u);
      return { host: url.hostname, port: Number(url.port || 6379) };
    }),
    { redisOptions: options },
  );
}

/** The module's redis options for REDIS_URL: one server, or the seed nodes of a cluster. */
export function redisTarget(redisUrl: string): { url: string } | { clusterNodes: string[] } {
  const urls = redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  return urls.length === 1 ? { url: urls[0] } : { clusterNodes: urls };
}
