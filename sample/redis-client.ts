import type { RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient } from '../lib';

/** The module's redis options for REDIS_URL: one server, or the comma-separated seed nodes of a cluster. */
export function redisTarget(redisUrl: string): { url: string } | { clusterNodes: string[] } {
  const urls = redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  return urls.length === 1 ? { url: urls[0] } : { clusterNodes: urls };
}

/**
 * A Redis connection for the sample's own keys (dev signing key, task queue), made as the module
 * makes its own: for a cluster, credentials and TLS come from the first seed URL.
 */
export function sampleRedis(redisUrl: string, options: RedisOptions = {}): RedisClient {
  return createRedisClient(redisTarget(redisUrl), options);
}
