/**
 * A run id can be used again once its run has expired (an app that names runs `report:<date>`, or
 * passes its job queue's ids). The connections that subscribed to the expired run are still in a
 * room under that id; the new run, possibly another user's, must never reach them: live, through
 * another instance, or re-emitted after a Redis outage.
 */
import type { Socket } from 'socket.io-client';
import { RunResync } from '../lib/gateway/run-resync';
import { NotificationsClient, type NotificationsClientError } from '../src/client';
import type { NotificationsModuleOptions } from '../lib';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';
import { delay, eventually } from './utils/wait';

const TTL_SECONDS = 1;
const BARRIER = 'reuse.barrier';

interface Ack {
  ok: boolean;
  lastSeq?: number;
  createdAt?: string;
  error?: { code: string };
}

function describeReuse(
  name: string,
  redis: (() => Promise<NotificationsModuleOptions['redis']>) | undefined,
  instances: number,
) {
  describe(name, () => {
    let server: RedisServerHandle | undefined;
    let idp: LocalIdentityProvider;
    let apps: LibraryApp[] = [];
    const sockets: Socket[] = [];

    beforeAll(async () => {
      idp = await LocalIdentityProvider.start();
      let redisOptions: NotificationsModuleOptions['redis'];
      if (redis) {
        server = await startRedisServer();
        redisOptions = { ...(await redis()), url: server.url };
      }
      const options = {
        auth: idp.authOptions(),
        redis: redisOptions,
        runs: { ttlSeconds: TTL_SECONDS },
      };
      for (let i = 0; i < instances; i++) apps.push(await startLibraryApp(options));
    }, 30_000);
    afterAll(async () => {
      closeAll(...sockets);
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
      await server?.stop();
      await idp?.stop();
    });

    const connect = async (app: LibraryApp, oid: string) => {
      const socket = await connectClient(app.url, await idp.issueToken({ oid }));
      sockets.push(socket);
      return {
        socket,
        updates: record<StatusUpdate>(socket, 'statusUpdate'),
        notes: record<UserNotification>(socket, 'notification'),
      };
    };

    it("a run created under an expired run's id never reaches the old run's subscribers", async () => {
      const [first, last] = [apps[0], apps[apps.length - 1]];
      const [alice, bob] = [randomGuid(), randomGuid()];
      const runId = `report:${randomGuid()}`;

      // Alice's run, watched from every instance.
      const aliceConnections = await Promise.all(apps.map((app) => connect(app, alice)));
      await first.notifications.createRun(alice, { runId, firstUpdate: { status: 'queued' } });
      for (const c of aliceConnections) {
        expect(await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId })).toMatchObject({
          ok: true,
          lastSeq: 1,
        });
        await waitUntil(c.socket, () => c.updates.length === 1);
      }
      await eventually(
        () => `run ${runId} expired`,
        async () => (await first.notifications.getRun(runId)) === null,
      );

      // Bob's run under the same id, created and published to from each instance in turn.
      await last.notifications.createRun(bob, { runId, firstUpdate: { status: 'queued' } });
      const bobConnections = await Promise.all(apps.map((app) => connect(app, bob)));
      for (const c of bobConnections) {
        expect(await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId })).toMatchObject({
          ok: true,
        });
      }
      const published: StatusUpdate[] = [];
      for (const app of [...apps, ...apps]) {
        published.push(await app.notifications.publishRunUpdate(runId, { status: 'progress' }));
      }
      // The re-emission after a subscriber outage, forced on every instance.
      for (const app of apps) await app.app.get(RunResync).resync(0);

      const expected = published.map((u) => u.seq);
      for (const c of bobConnections) {
        await waitUntil(c.socket, () =>
          expected.every((seq) => c.updates.some((u) => u.seq === seq)),
        );
      }
      // A notification to Alice sent after everything: once it arrived, anything of Bob's run
      // that was going to reach her connections has.
      first.notifications.sendToUser(alice, BARRIER, {});
      for (const c of aliceConnections) {
        await waitUntil(c.socket, () => c.notes.some((n) => n.type === BARRIER));
        expect(c.updates.map((u) => u.seq)).toEqual([1]);
      }
      // Alice resubscribing is refused: the run under that id is Bob's.
      expect(
        await emitWithAck<Ack>(aliceConnections[0].socket, 'subscribeToRun', { runId }),
      ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }, 20_000);

    it('a connection that subscribes to the new run under the id leaves the expired one', async () => {
      const [app] = apps;
      const carol = randomGuid();
      const runId = `nightly:${randomGuid()}`;
      const c = await connect(app, carol);
      await app.notifications.createRun(carol, { runId, firstUpdate: { status: 'queued' } });
      await emitWithAck(c.socket, 'subscribeToRun', { runId });
      await eventually(
        () => `run ${runId} expired`,
        async () => (await app.notifications.getRun(runId)) === null,
      );
      await app.notifications.createRun(carol, { runId, firstUpdate: { status: 'running' } });
      expect(await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId })).toMatchObject({
        ok: true,
        lastSeq: 1,
      });
      await app.notifications.publishRunUpdate(runId, { status: 'completed' });
      await waitUntil(c.socket, () => c.updates.some((u) => u.status === 'completed'));
      // One subscription: the update arrived once, and an unsubscribe ends it.
      expect(c.updates.filter((u) => u.status === 'completed')).toHaveLength(1);
      await emitWithAck(c.socket, 'unsubscribeFromRun', { runId });
      await app.notifications.publishRunUpdate(runId, { status: 'completed' });
      app.notifications.sendToUser(carol, BARRIER, {});
      await waitUntil(c.socket, () => c.notes.some((n) => n.type === BARRIER));
      expect(c.updates.filter((u) => u.status === 'completed')).toHaveLength(1);
    }, 20_000);

    it("a resubscription that names the expired run's createdAt is refused, not resumed", async () => {
      const [first, last] = [apps[0], apps[apps.length - 1]];
      const dave = randomGuid();
      const runId = `weekly:${randomGuid()}`;
      const c = await connect(last, dave);
      const old = await first.notifications.createRun(dave, {
        runId,
        firstUpdate: { status: 'queued' },
      });
      // As the protocol's own clients ask: the ack as documented, without createdAt.
      expect(await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId })).toEqual({
        ok: true,
        runId,
        lastSeq: 1,
        replayed: 1,
      });
      // A client that tracks which run it follows: null first, then the createdAt it was given.
      expect(
        await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId, afterSeq: 1, createdAt: null }),
      ).toMatchObject({ ok: true, lastSeq: 1, createdAt: old.createdAt });
      // The same run named again: resumed.
      expect(
        await emitWithAck<Ack>(c.socket, 'subscribeToRun', {
          runId,
          afterSeq: 1,
          createdAt: old.createdAt,
        }),
      ).toMatchObject({ ok: true, lastSeq: 1, createdAt: old.createdAt });
      await eventually(
        () => `run ${runId} expired`,
        async () => (await first.notifications.getRun(runId)) === null,
      );
      const renewed = await first.notifications.createRun(dave, {
        runId,
        firstUpdate: { status: 'running' },
      });
      expect(renewed.createdAt).not.toBe(old.createdAt);
      // Naming the expired run: not_found, and the new run's updates do not reach the connection.
      expect(
        await emitWithAck<Ack>(c.socket, 'subscribeToRun', {
          runId,
          afterSeq: 1,
          createdAt: old.createdAt,
        }),
      ).toMatchObject({ ok: false, error: { code: 'not_found' } });
      await first.notifications.publishRunUpdate(runId, { status: 'completed' });
      first.notifications.sendToUser(dave, BARRIER, {});
      await waitUntil(c.socket, () => c.notes.some((n) => n.type === BARRIER));
      expect(c.updates.map((u) => u.status)).toEqual(['queued']);
      // Without createdAt, as the protocol's own clients ask: the run under the id now.
      expect(await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId })).toEqual({
        ok: true,
        runId,
        lastSeq: 2,
        replayed: 2,
      });
      expect(
        await emitWithAck<Ack>(c.socket, 'subscribeToRun', { runId, createdAt: null }),
      ).toMatchObject({ ok: true, createdAt: renewed.createdAt });
    }, 20_000);

    it('the client SDK reports the run lost when its id was used again while it was away', async () => {
      const [first, last] = [apps[0], apps[apps.length - 1]];
      const erin = randomGuid();
      const runId = `hourly:${randomGuid()}`;
      await first.notifications.createRun(erin, { runId, firstUpdate: { status: 'queued' } });
      const client = new NotificationsClient({
        url: last.url,
        accessTokenFactory: () => idp.issueToken({ oid: erin }),
        transports: ['websocket'],
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      });
      const seen: StatusUpdate[] = [];
      const errors: NotificationsClientError[] = [];
      client.onError((error) => errors.push(error));
      try {
        await client.start();
        const loop = (async () => {
          for await (const update of client.runUpdates(runId)) seen.push(update);
        })();
        const ended = loop.then(
          () => undefined,
          (error: { code?: string }) => error.code,
        );
        await eventually(
          () => `${seen.length} updates`,
          () => seen.length === 1,
        );
        // Away while the run expires and another is created under its id for the same user,
        // which gets updates before the client is back.
        await client.stop();
        await eventually(
          () => `run ${runId} expired`,
          async () => (await first.notifications.getRun(runId)) === null,
        );
        await first.notifications.createRun(erin, { runId, firstUpdate: { status: 'queued' } });
        await first.notifications.publishRunUpdate(runId, { status: 'running' });
        await client.start();
        expect(await Promise.race([ended, delay(5000).then(() => 'still following')])).toBe(
          'not_found',
        );
        expect(errors).toContainEqual(expect.objectContaining({ code: 'not_found', runId }));
        // Only the expired run's update: none of the new run's was taken for a continuation.
        expect(seen.map((u) => u.status)).toEqual(['queued']);
      } finally {
        await client.stop();
      }
    }, 20_000);
  });
}

describeReuse('run id reuse: one instance in memory', undefined, 1);
describeReuse('run id reuse: two instances on Redis (classic)', async () => ({}), 2);
describeReuse(
  'run id reuse: two instances on Redis (sharded)',
  async () => ({ mode: 'sharded' as const }),
  2,
);
