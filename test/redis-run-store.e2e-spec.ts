import { Redis } from 'ioredis';
import { RedisRunStore } from '../lib/runs/redis-run.store';
import { describeRunStoreContract } from './run-store-contract';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';

describe('RedisRunStore on a real Redis', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await server?.stop();
  });

  function client(): Redis {
    const redis = new Redis(server.url);
    clients.push(redis);
    return redis;
  }

  describeRunStoreContract(
    'RedisRunStore',
    async (settings) => new RedisRunStore(client(), { keyPrefix: 'test', ...settings }),
  );

  it("keeps a run's two keys in one cluster slot and sets a TTL on both", async () => {
    const redis = client();
    const store = new RedisRunStore(redis, {
      keyPrefix: 'ttl',
      logMaxLength: 100,
      ttlSeconds: 120,
    });
    await store.createRun('r-ttl', 'o');
    await store.append('r-ttl', { status: 'running', at: new Date().toISOString() });
    expect(store.runKey('r-ttl')).toBe('ttl:run:{r-ttl}');
    expect(store.logKey('r-ttl')).toBe('ttl:run:{r-ttl}:log');
    for (const key of [store.runKey('r-ttl'), store.logKey('r-ttl')]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
    }
    expect(await redis.xlen(store.logKey('r-ttl'))).toBe(1);
  });

  it('stores the log as a stream whose ids are the seqs', async () => {
    const redis = client();
    const store = new RedisRunStore(redis, { keyPrefix: 'ids', logMaxLength: 100, ttlSeconds: 60 });
    await store.createRun('r-ids', 'o');
    await store.append('r-ids', { status: 'queued', at: new Date().toISOString() });
    await store.append('r-ids', { status: 'running', at: new Date().toISOString() });
    const entries = await redis.xrange(store.logKey('r-ids'), '-', '+');
    expect(entries.map(([entryId]) => entryId)).toEqual(['1-0', '2-0']);
  });
});
