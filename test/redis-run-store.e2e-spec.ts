import { Redis } from 'ioredis';
import { RedisRunStore } from '../lib/runs/redis-run.store';
import { describeRunStoreContract } from './run-store-contract';
import { LocalIdentityProvider } from './utils/identity-provider';
import { startLibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { delay } from './utils/wait';

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

  it('creates a run with its first update: stream id 1-0, a TTL on both keys', async () => {
    const redis = client();
    const store = new RedisRunStore(redis, {
      keyPrefix: 'first',
      logMaxLength: 100,
      ttlSeconds: 120,
    });
    await store.createRun('r-first', 'o', { status: 'queued', at: new Date().toISOString() });
    const [hash, log] = [store.runKey('r-first'), store.logKey('r-first')];
    for (const key of [hash, log]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(110_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
    }
    expect((await redis.xrange(log, '-', '+')).map(([id]) => id)).toEqual(['1-0']);
  });

  it('drops a log left without its run before creating the run again', async () => {
    const redis = client();
    const store = new RedisRunStore(redis, {
      keyPrefix: 'stale',
      logMaxLength: 100,
      ttlSeconds: 120,
    });
    await store.createRun('r-stale', 'old', { status: 'queued', at: new Date().toISOString() });
    await store.append('r-stale', { status: 'running', at: new Date().toISOString() });
    for (const first of [{ status: 'queued' as const, at: new Date().toISOString() }, undefined]) {
      // The hash goes (evicted, or expired first); the log stays.
      await redis.del(store.runKey('r-stale'));
      const run = await store.createRun('r-stale', 'new', first);
      expect(run.ownerId).toBe('new');
      const next = await store.append('r-stale', {
        status: 'running',
        at: new Date().toISOString(),
      });
      expect(next?.seq).toBe(first ? 2 : 1);
      expect((await store.readLog('r-stale', 0)).updates.map((u) => u.seq)).toEqual(
        first ? [1, 2] : [1],
      );
    }
  });

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

// NotificationService.publishRunUpdate resolves only once the update is stored (GUARANTEES.md), and
// an instance survives Redis going away under it.
describe('publishRunUpdate and sends when Redis is unreachable', () => {
  it('rejects for a run that does not exist, and while Redis is unreachable', async () => {
    const [server, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    // A command waiting for a lost connection fails after one reconnection attempt (20 by default).
    const lib = await startLibraryApp({
      auth: idp.authOptions(),
      redis: { url: server.url, options: { maxRetriesPerRequest: 1 } },
    });
    try {
      await expect(
        lib.notifications.publishRunUpdate('no-such-run', { status: 'running' }),
      ).rejects.toMatchObject({ code: 'not_found' });
      const run = await lib.notifications.createRun('owner');
      await server.stop();
      await expect(
        lib.notifications.publishRunUpdate(run.runId, { status: 'running' }),
      ).rejects.toThrow();
      // A send meanwhile is lost, and its failed publish must not end the process (an unhandled
      // rejection would take this jest worker down with it).
      lib.notifications.sendToUser('owner', 'lost', {});
      await delay(1500);
    } finally {
      await lib.close();
      await idp.stop();
      await server.stop();
    }
  });
});
