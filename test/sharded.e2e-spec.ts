import type { Socket } from 'socket.io-client';
import { NotificationsMetrics } from '../lib';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { DEV_TENANT_ID, DevIdentity } from '../sample/dev-identity/dev-identity';
import { describeCoreScenarios } from './core-scenarios';
import { startEntraPair, type EntraPair } from './utils/entra-pair';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisCluster, type RedisClusterHandle } from './utils/redis-cluster';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

const runSteps = 3;

/** Two sample instances on the given Redis, Entra ID tokens from a local identity provider. */
function describeShardedTopology(
  name: string,
  redisUrl: () => Promise<{ url: string; stop(): Promise<void> }>,
) {
  describe(name, () => {
    let redis: { url: string; stop(): Promise<void> };
    let pair: EntraPair;

    beforeAll(async () => {
      redis = await redisUrl();
      pair = await startEntraPair(redis.url, { redisMode: 'sharded', runSteps });
    }, 30_000);
    afterAll(async () => {
      await pair?.close();
      await redis?.stop();
    });

    describeCoreScenarios('core scenarios', () => ({
      urls: () => [pair.instances[0].url, pair.instances[1].url],
      runSteps,
      tokenFor: (user) => pair.tokenFor(user),
    }));

    it("the sample's dev identity shares one signing key through this Redis", async () => {
      const [a, b] = [await DevIdentity.create(redis.url), await DevIdentity.create(redis.url)];
      const kid = async (dev: DevIdentity) =>
        (await dev.getSigningKeys(DEV_TENANT_ID, '2.0')).keys.map((k) => k.kid);
      expect(await kid(b)).toEqual(await kid(a));
    });

    it('publisher-only mode (a worker without a gateway) reaches subscribers in sharded mode', async () => {
      const target = redis.url.includes(',')
        ? { clusterNodes: redis.url.split(','), mode: 'sharded' as const }
        : { url: redis.url, mode: 'sharded' as const };
      const worker = await startLibraryApp({
        auth: pair.idp.authOptions(),
        redis: target,
        gateway: false,
      });
      try {
        const oid = randomGuid();
        const socket = await connectClient(
          pair.instances[1].url,
          await pair.idp.issueToken({ oid }),
        );
        const updates = record<StatusUpdate>(socket, 'statusUpdate');
        const notes = record<UserNotification>(socket, 'notification');
        const run = await worker.notifications.createRun(oid);
        await emitWithAck(socket, 'subscribeToRun', run.runId);
        await worker.notifications.publishRunUpdate(run.runId, { status: 'running' });
        worker.notifications.sendToUser(oid, 'from-worker', {});
        await waitUntil(socket, () => updates.length === 1 && notes.length === 1);
        socket.close();
      } finally {
        await worker.close();
      }
    });
  });
}

describeShardedTopology('sharded mode on a single Redis 7', () => startRedisServer());

describeShardedTopology('sharded mode on a 3-node Redis Cluster', async () => {
  const cluster: RedisClusterHandle = await startRedisCluster(3);
  return { url: cluster.urls.join(','), stop: () => cluster.stop() };
});

// What scale-out costs each instance: classic mode delivers every message to every instance,
// sharded mode (dynamic subscriptions) only to the instances that hold a socket in the room.
describe('routing: messages each instance receives from Redis, classic vs sharded', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  const counts: Record<string, number[]> = {};

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  async function roomMessages(app: LibraryApp): Promise<number> {
    const metric = await app.app.get(NotificationsMetrics).redisMessagesReceived.get();
    return metric.values.find((v) => v.labels.channel === 'room')?.value ?? 0;
  }

  it.each(['classic', 'sharded'] as const)('%s', async (mode) => {
    const apps = await Promise.all(
      [0, 1, 2].map(() =>
        startLibraryApp({
          auth: idp.authOptions(),
          redis: { url: redis.url, mode, keyPrefix: `routing-${mode}` },
        }),
      ),
    );
    const sockets: Socket[] = [];
    try {
      // One user pinned to each instance.
      const users = await Promise.all(
        apps.map(async (app) => {
          const oid = randomGuid();
          const socket = await connectClient(app.url, await idp.issueToken({ oid }));
          sockets.push(socket);
          return { oid, socket, notes: record<UserNotification>(socket, 'notification') };
        }),
      );
      const before = await Promise.all(apps.map(roomMessages));
      const perUser = 10;
      for (let i = 0; i < perUser; i++)
        for (const u of users) apps[0].notifications.sendToUser(u.oid, 'm', { i });
      for (const u of users) await waitUntil(u.socket, () => u.notes.length === perUser);
      const total = perUser * users.length;
      const expected = mode === 'classic' ? total : perUser;
      // Local sockets get their copy at once; the subscriber's copies arrive a moment later.
      let after = await Promise.all(apps.map(roomMessages));
      for (let i = 0; i < 50 && after.some((n, j) => n - before[j] < expected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = await Promise.all(apps.map(roomMessages));
      }
      counts[mode] = after.map((n, i) => n - before[i]);
      if (mode === 'classic') expect(counts[mode]).toEqual([total, total, total]);
      else expect(counts[mode]).toEqual([perUser, perUser, perUser]);
    } finally {
      closeAll(...sockets);
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});
