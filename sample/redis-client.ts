import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** The URLs of REDIS_URL: one server, or the comma-separated seed nodes of a Redis Cluster. */
function redisUrls(redisUrl: string): string[] {
  return redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

/**
 * How to reach a Redis Cluster from its seed URLs: the nodes, and the connection options every
 * node shares — credentials and TLS (`rediss://`) taken from the first URL, as the module does.
 */
export function clusterSettings(
  urls: string[],
  options: RedisOptions = {},
): { nodes: Array<{ host: string; port: number }>; redisOptions: RedisOptions } {
  const nodes = urls.map((u) => {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const first = new URL(urls[0]);
  const shared: RedisOptions = {};
  if (first.username) shared.username = decodeURIComponent(first.username);
  if (first.password) shared.password = decodeURIComponent(first.password);
  if (first.protocol === 'rediss:') shared.tls = {};
  return { nodes, redisOptions: { ...shared, ...options } };
}

/**
 * A Redis connection for the sample's own keys (dev signing key, task queue). REDIS_URL may list
 * several comma-separated URLs: the seed nodes of a Redis Cluster.
 */
export function sampleRedis(redisUrl: string, options: RedisOptions = {}): Redis | Cluster {
  const urls = redisUrls(redisUrl);
  if (urls.length === 1) return new Redis(urls[0], options);
  const { nodes, redisOptions } = clusterSettings(urls, options);
  return new Cluster(nodes, { redisOptions });
}

/** The module's redis options for REDIS_URL: one server, or the seed nodes of a cluster. */
export function redisTarget(redisUrl: string): { url: string } | { clusterNodes: string[] } {
  const urls = redisUrls(redisUrl);
  return urls.length === 1 ? { url: urls[0] } : { clusterNodes: urls };
}
