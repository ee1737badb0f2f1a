import { Redis } from 'ioredis';
import { RedisRunStore } from '../lib/runs/redis-run.store';
import { RedisConnections } from '../lib/scale-out/redis-connections';
import { describeRunStoreContract } from './run-store-contract';
import { LocalIdentityProvider } from './utils/identity-provider';
import { startLibraryApp } from './utils/library-app';
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
      expect(next).toMatchObject({ update: { seq: first ? 2 : 1 }, runCreatedAt: run.createdAt });
      expect((await store.readLog('r-stale', 0)).updates.map((u) => u.seq)).toEqual(
        first ? [1, 2] : [1],
      );
    }
  });

  // The first update appended after the run's creation, or given to createRun.
  const firstUpdateWays = [
    ['appended', false],
    ['given to createRun', true],
  ] as const;

  it.each(firstUpdateWays)(
    "keeps a run's two keys in one cluster slot and sets a TTL on both (first update %s)",
    async (_, given) => {
      const redis = client();
      const store = new RedisRunStore(redis, {
        keyPrefix: 'ttl',
        logMaxLength: 100,
        ttlSeconds: 120,
      });
      const r = `r-ttl-${given}`;
      const first = { status: 'running' as const, at: new Date().toISOString() };
      await store.createRun(r, 'o', given ? first : undefined);
      if (!given) await store.append(r, first);
      expect(store.runKey(r)).toBe(`ttl:run:{${r}}`);
      expect(store.logKey(r)).toBe(`ttl:run:{${r}}:log`);
      for (const key of [store.runKey(r), store.logKey(r)]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(100_000);
        expect(ttl).toBeLessThanOrEqual(120_000);
      }
      expect(await redis.xlen(store.logKey(r))).toBe(1);
    },
  );

  it.each(firstUpdateWays)(
    'stores the log as a stream whose ids are the seqs (first update %s)',
    async (_, given) => {
      const redis = client();
      const store = new RedisRunStore(redis, {
        keyPrefix: 'ids',
        logMaxLength: 100,
        ttlSeconds: 60,
      });
      const r = `r-ids-${given}`;
      const first = { status: 'queued' as const, at: new Date().toISOString() };
      await store.createRun(r, 'o', given ? first : undefined);
      if (!given) await store.append(r, first);
      await store.append(r, { status: 'running', at: new Date().toISOString() });
      const entries = await redis.xrange(store.logKey(r), '-', '+');
      expect(entries.map(([entryId]) => entryId)).toEqual(['1-0', '2-0']);
    },
  );
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
      // A command queued after the publish on the same connection fails after it: once this one
      // has, so has the publish, and a tick later its rejection would have been reported.
      const publisher = lib.app.get(RedisConnections).get('publisher')!;
      await expect(publisher.ping()).rejects.toThrow();
      await new Promise(setImmediate);
    } finally {
      await lib.close();
      await idp.stop();
      await server.stop();
    }
  });
});
