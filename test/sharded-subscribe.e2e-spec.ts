import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { startSlowSubscribeProxy, type SlowSubscribeProxy } from './utils/slow-subscribe-proxy';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

/**
 * In sharded mode each room has its own Redis channel, subscribed when its first local socket joins.
 * Redis here confirms subscriptions 300 ms late (a proxy holds them back): what is published right
 * after a subscribe ack, or right after connect, must still arrive.
 */
describe('sharded mode: a room is subscribed before the client is told so', () => {
  let redis: RedisServerHandle;
  let proxy: SlowSubscribeProxy;
  let idp: LocalIdentityProvider;
  let gateway: LibraryApp;
  let publisher: LibraryApp;

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    proxy = await startSlowSubscribeProxy(redis.port, 300);
    const options = {
      auth: idp.authOptions(),
      redis: { url: proxy.url, mode: 'sharded' as const },
    };
    [gateway, publisher] = await Promise.all([
      startLibraryApp(options),
      startLibraryApp({ ...options, gateway: false }),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([gateway?.close(), publisher?.close()]);
    await proxy?.stop();
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  it('an update published by another instance right after the subscribe ack is delivered', async () => {
    const oid = randomGuid();
    const socket = await connectClient(gateway.url, await idp.issueToken({ oid }));
    try {
      const runs = await Promise.all([1, 2, 3].map(() => publisher.notifications.createRun(oid)));
      const delayedBefore = proxy.delayed();
      const received = record<StatusUpdate>(socket, 'statusUpdate');
      for (const run of runs) {
        const ack = await emitWithAck(socket, 'subscribeToRun', { runId: run.runId, afterSeq: 0 });
        expect(ack).toMatchObject({ ok: true, replayed: 0 });
        await publisher.notifications.publishRunUpdate(run.runId, { status: 'running' });
      }
      // Each run room's subscription went through the proxy's delay.
      expect(proxy.delayed() - delayedBefore).toBeGreaterThanOrEqual(runs.length);
      await waitUntil(socket, () => received.length === runs.length, 5000);
      expect(received.map((u) => u.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
    } finally {
      socket.close();
    }
  });

  it('a notification sent by another instance as soon as the client is connected is delivered', async () => {
    const oid = randomGuid();
    const socket = await connectClient(gateway.url, await idp.issueToken({ oid }));
    const received = record<UserNotification>(socket, 'notification');
    try {
      await publisher.notifications.sendToUser(oid, 'hello', { n: 1 });
      await waitUntil(socket, () => received.length === 1, 5000);
      expect(received[0]).toMatchObject({ type: 'hello', payload: { n: 1 } });
    } finally {
      closeAll(socket);
    }
  });
});
