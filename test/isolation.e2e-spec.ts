import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type { RunStatus, StatusUpdate, UserNotification } from '../src/protocol/messages';
import { seededRandom } from './utils/fuzz-payloads';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

const USERS = 50;
const RUNS_PER_USER = 5;
const UPDATES_PER_RUN = 6;
const FOREIGN_TRIES = 5;
const GUESSES = 5;
const STATUSES: RunStatus[] = [
  'queued',
  'running',
  'progress',
  'progress',
  'progress',
  'completed',
];
const CHECK_TYPE = 'isolation.check';
const BARRIER_TYPE = 'isolation.barrier';
const SEED = Number(process.env.ISOLATION_SEED ?? Date.now() % 2 ** 31);

interface Connection {
  socket: Socket;
  /** Index of the instance the connection is on. */
  instance: number;
  updates: StatusUpdate[];
  notifications: UserNotification[];
}

interface User {
  oid: string;
  runIds: string[];
  /** One connection on each instance. */
  connections: Connection[];
}

interface Ack {
  ok: boolean;
  runId?: string;
  lastSeq?: number;
  replayed?: number;
  error?: { code: string; message: string };
}

// Two library instances on one real Redis: every user is on both, every run is created and
// published to from either one, so a message crosses instances as often as it stays local.
describe('isolation: 50 users × 2 instances on Redis, each sees only its own runs and notifications', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  let apps: LibraryApp[] = [];
  let users: User[] = [];
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const anyInstance = () => pick(apps);
  /** The distinct items of `items`, `count` of them, in random order. */
  const sample = <T>(items: readonly T[], count: number): T[] => {
    const pool = [...items];
    const chosen: T[] = [];
    while (chosen.length < count && pool.length > 0) {
      chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
    }
    return chosen;
  };

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    const options = {
      auth: idp.authOptions(),
      redis: { url: redis.url },
      // 15 subscribes per connection, all at once: lift the limits so that the test measures
      // isolation, not rate limiting.
      limits: { subscribesPerSecond: 1000, maxSubscriptionsPerConnection: 100 },
    };
    apps = await Promise.all([startLibraryApp(options), startLibraryApp(options)]);

    users = await Promise.all(
      Array.from({ length: USERS }, async () => {
        const oid = randomGuid();
        const token = await idp.issueToken({ oid });
        const connections = await Promise.all(
          apps.map(async (app, instance) => {
            const socket = await connectClient(app.url, token);
            // Recorded from the first moment: anything that ever reaches a connection counts.
            const updates = record<StatusUpdate>(socket, 'statusUpdate');
            const notifications = record<UserNotification>(socket, 'notification');
            return { socket, instance, updates, notifications };
          }),
        );
        const runs = await Promise.all(
          Array.from({ length: RUNS_PER_USER }, () => anyInstance().notifications.createRun(oid)),
        );
        return { oid, runIds: runs.map((r) => r.runId), connections };
      }),
    );
  });

  afterAll(async () => {
    closeAll(...users.flatMap((u) => u.connections.map((c) => c.socket)));
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  it('subscribing to its own runs succeeds; to other users’ runs or guessed ids, not_found alike', async () => {
    const allRuns = users.flatMap((u) => u.runIds.map((runId) => ({ runId, owner: u.oid })));
    const attempts = users.flatMap((user) =>
      user.connections.flatMap((connection) => {
        const foreign = sample(
          allRuns.filter((r) => r.owner !== user.oid),
          FOREIGN_TRIES,
        ).map((r) => r.runId);
        const guessed = Array.from({ length: GUESSES }, () => randomUUID());
        const subscribe = (runId: string, kind: 'own' | 'foreign' | 'guessed') =>
          emitWithAck<Ack>(connection.socket, 'subscribeToRun', runId).then((ack) => ({
            ack,
            kind,
            runId,
          }));
        return [
          ...user.runIds.map((runId) => subscribe(runId, 'own')),
          ...foreign.map((runId) => subscribe(runId, 'foreign')),
          ...guessed.map((runId) => subscribe(runId, 'guessed')),
        ];
      }),
    );
    const results = await Promise.all(attempts);
    expect(results).toHaveLength(USERS * 2 * (RUNS_PER_USER + FOREIGN_TRIES + GUESSES));

    const refusals = new Set<string>();
    for (const { ack, kind, runId } of results) {
      if (kind === 'own') {
        expect(ack).toEqual({ ok: true, runId, lastSeq: 0, replayed: 0 });
      } else {
        expect(ack).toEqual({
          ok: false,
          error: { code: 'not_found', message: expect.any(String) },
        });
        refusals.add(JSON.stringify(ack));
      }
    }
    // Someone else's run and a run that does not exist get the very same answer, message
    // included: an ack must not reveal that a run exists.
    expect(refusals.size).toBe(1);
  });

  it('every update and notification reaches its owner’s connections on both instances, and no one else’s', async () => {
    const started = Date.now();
    const published = new Map<string, StatusUpdate>();
    const sent = new Map<string, UserNotification>();
    // All at once, each from a random instance: 1,500 updates (6 per run, seq assigned by the
    // run store whichever instance appends) and one notification per user.
    await Promise.all([
      ...users.flatMap((user) =>
        user.runIds.flatMap((runId) =>
          STATUSES.map(async (status, i) => {
            const update = await anyInstance().notifications.publishRunUpdate(runId, {
              status,
              message: `update ${i}`,
              data: { owner: user.oid, i },
            });
            published.set(`${runId}#${update.seq}`, update);
          }),
        ),
      ),
      ...users.map(async (user) => {
        sent.set(
          user.oid,
          anyInstance().notifications.sendToUser(user.oid, CHECK_TYPE, { userId: user.oid }),
        );
      }),
    ]);
    expect(published.size).toBe(USERS * RUNS_PER_USER * UPDATES_PER_RUN);

    // A barrier per instance, emitted after everything it published: one publisher connection
    // per instance and one subscriber connection per instance keep Redis messages in order, so a
    // connection that has both barriers has everything it will ever receive from this test.
    apps.forEach((app, instance) => app.notifications.broadcast(BARRIER_TYPE, { instance }));

    const expected = users.flatMap((user) =>
      user.connections.map((connection) => ({ user, connection })),
    );
    await Promise.all(
      expected.map(({ user, connection }) => {
        const complete = () => {
          const barriers = connection.notifications.filter((n) => n.type === BARRIER_TYPE);
          if (barriers.length < apps.length) return false;
          if (!connection.notifications.some((n) => n.type === CHECK_TYPE)) return false;
          const own = connection.updates.filter((u) => user.runIds.includes(u.runId));
          return (
            new Set(own.map((u) => `${u.runId}#${u.seq}`)).size === RUNS_PER_USER * UPDATES_PER_RUN
          );
        };
        return waitUntil(connection.socket, complete, 15_000);
      }),
    );
    const deliveredMs = Date.now() - started;

    // Over every message every connection received:
    const leakedUpdates: string[] = [];
    const leakedNotifications: string[] = [];
    const missing: string[] = [];
    const altered: string[] = [];
    let duplicates = 0;
    let received = 0;
    for (const { user, connection } of expected) {
      const where = `user ${user.oid} on instance ${connection.instance}`;
      received += connection.updates.length + connection.notifications.length;
      // …zero updates of a run the user does not own,
      for (const update of connection.updates) {
        if (!user.runIds.includes(update.runId)) {
          leakedUpdates.push(`${where} got ${update.runId}#${update.seq}`);
        } else if (
          JSON.stringify(update) !== JSON.stringify(published.get(`${update.runId}#${update.seq}`))
        ) {
          altered.push(`${where}: ${JSON.stringify(update)}`);
        }
      }
      // …zero notifications meant for someone else, and its own exactly once, as sent,
      for (const notification of connection.notifications) {
        if (notification.type === BARRIER_TYPE) continue;
        const payload = notification.payload as { userId?: string };
        if (notification.type !== CHECK_TYPE || payload.userId !== user.oid) {
          leakedNotifications.push(`${where} got ${JSON.stringify(notification)}`);
        }
      }
      const own = connection.notifications.filter((n) => n.type === CHECK_TYPE);
      if (own.length !== 1 || JSON.stringify(own[0]) !== JSON.stringify(sent.get(user.oid))) {
        missing.push(`${where}: its notification ${own.length} times`);
      }
      // …and every update of each of its runs, seq 1 to 6 (duplicates dropped by seq).
      for (const runId of user.runIds) {
        const seqs = connection.updates.filter((u) => u.runId === runId).map((u) => u.seq);
        duplicates += seqs.length - new Set(seqs).size;
        const distinct = [...new Set(seqs)].sort((a, b) => a - b);
        if (distinct.join() !== '1,2,3,4,5,6') {
          missing.push(`${where}: run ${runId} seqs [${distinct.join()}]`);
        }
      }
    }
    expect(leakedUpdates).toEqual([]);
    expect(leakedNotifications).toEqual([]);
    expect(missing).toEqual([]);
    expect(altered).toEqual([]);

    console.log(
      `isolation seed ${SEED}: ${published.size} updates and ${sent.size} notifications ` +
        `delivered to ${expected.length} connections in ${deliveredMs} ms; ${received} messages ` +
        `checked, ${duplicates} duplicate deliveries`,
    );
  });
});
