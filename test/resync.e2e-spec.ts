import { Redis } from 'ioredis';
import { RunResync } from '../lib/gateway/run-resync';
import { RunStore } from '../lib/runs/run-store';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisCluster, type RedisClusterHandle } from './utils/redis-cluster';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

/** A user's connection subscribed to a new run of theirs, once its first update arrived. */
async function followNewRun(app: LibraryApp, idp: LocalIdentityProvider) {
  const oid = randomGuid();
  const socket = await connectClient(app.url, await idp.issueToken({ oid }));
  const received = record<StatusUpdate>(socket, 'statusUpdate');
  const run = await app.notifications.createRun(oid);
  await emitWithAck(socket, 'subscribeToRun', run.runId);
  await app.notifications.publishRunUpdate(run.runId, { status: 'running' });
  await waitUntil(socket, () => received.length === 1);
  return { socket, received, run };
}

/** An update logged and never emitted: what a publish lost during an outage looks like. */
function logWithoutEmitting(app: LibraryApp, runId: string) {
  return app.app.get(RunStore).append(runId, { status: 'progress', at: new Date().toISOString() });
}

// When an instance's Redis subscriber is cut, updates published meanwhile never reach it live.
// Once the subscriber is back, the instance re-emits the run log since the outage to its rooms.
describe('resync of run rooms after the Redis subscriber was lost', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  let app: LibraryApp;
  let admin: Redis;

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    app = await startLibraryApp({
      auth: idp.authOptions(),
      redis: { url: redis.url },
    });
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await app?.close();
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  it('an update that missed the live channel reaches the subscriber after the subscriber reconnects', async () => {
    const { socket, received, run } = await followNewRun(app, idp);

    // Cut the adapter's subscriber (ioredis reconnects by itself), and meanwhile lose an update.
    const killed = await admin.client('KILL', 'TYPE', 'pubsub');
    expect(Number(killed)).toBeGreaterThanOrEqual(1);
    await logWithoutEmitting(app, run.runId);

    await waitUntil(socket, () => received.some((u) => u.seq === 2), 8000);
    expect(received.find((u) => u.seq === 2)).toMatchObject({
      runId: run.runId,
      status: 'progress',
    });
    socket.close();
  });

  it("a revocation whose request to leave was lost is applied at resync: the user's connections leave the room", async () => {
    const oid = randomGuid();
    const socket = await connectClient(app.url, await idp.issueToken({ oid }));
    const received = record<StatusUpdate>(socket, 'statusUpdate');
    const notes = record<UserNotification>(socket, 'notification');
    const run = await app.notifications.createRun(oid);
    await emitWithAck(socket, 'subscribeToRun', run.runId);
    // Revoked in the store only: what an instance sees when the instruction to leave, published
    // while its subscriber was away, never reached it.
    expect(await app.app.get(RunStore).revoke(run.runId, oid)).toBe(true);
    await app.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await waitUntil(socket, () => received.length === 1); // still in the room until the resync

    await app.app.get(RunResync).resync(Date.now());
    await app.notifications.publishRunUpdate(run.runId, { status: 'completed' });
    app.notifications.sendToUser(oid, 'barrier', {});
    await waitUntil(socket, () => notes.length === 1);
    expect(received.map((u) => u.seq)).toEqual([1]);
    socket.close();
  });
});

// On a Redis Cluster in sharded mode ioredis replaces a lost subscriber by itself, without the
// connection events a single server gives: the resync must start all the same.
describe('resync after the sharded subscribers of a Redis Cluster were lost', () => {
  let cluster: RedisClusterHandle;
  let idp: LocalIdentityProvider;
  let app: LibraryApp;
  let admins: Redis[] = [];

  beforeAll(async () => {
    [cluster, idp] = await Promise.all([startRedisCluster(), LocalIdentityProvider.start()]);
    app = await startLibraryApp({
      auth: idp.authOptions(),
      redis: { clusterNodes: cluster.urls, mode: 'sharded' },
    });
    admins = cluster.urls.map((url) => new Redis(url));
  }, 60_000);
  afterAll(async () => {
    for (const admin of admins) admin.disconnect();
    await app?.close();
    await Promise.all([cluster?.stop(), idp?.stop()]);
  });

  it('an update that missed the live channel reaches the subscriber once the subscribers are back', async () => {
    const { socket, received, run } = await followNewRun(app, idp);

    let killed = 0;
    for (const admin of admins) killed += Number(await admin.client('KILL', 'TYPE', 'pubsub'));
    expect(killed).toBeGreaterThanOrEqual(1);
    await logWithoutEmitting(app, run.runId);

    await waitUntil(socket, () => received.some((u) => u.seq === 2), 10_000);
    socket.close();
  }, 30_000);
});
