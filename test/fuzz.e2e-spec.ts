import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Socket } from 'socket.io-client';
import { ExpirySchedule } from '../lib/gateway/expiry-schedule';
import { NotificationsHub } from '../lib/gateway/notifications-hub';
import type { StatusUpdate } from '../src/protocol/messages';
import {
  FuzzGenerator,
  KNOWN_EVENTS,
  ackProblem,
  seededRandom,
  type FuzzMessage,
  type KnownEvent,
} from './utils/fuzz-payloads';
import { LocalIdentityProvider, randomGuid, unsignedToken } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

// A real, full garbage collection in this process, where the server runs too: heap figures taken
// right after it hold only what is reachable, so a before/after difference is retained memory.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL_MESSAGES = 10_000;
const WARM_UP_MESSAGES = 800;
const ATTACKERS = 4;
/** Messages an attacker sends before awaiting the acks among them: backpressure. */
const BATCH = 40;
/** Chance that a batch carries one message above the 64 KiB limit (about 15 per run). */
const OVERSIZED_PER_BATCH = 0.06;
const ACK_TIMEOUT_MS = 5_000;
/** The fuzz stops early past this, or after this many problems, so a broken server fails fast. */
const FUZZ_DEADLINE_MS = 40_000;
const MAX_PROBLEMS = 50;
const PUBLISH_EVERY_MS = 20;
/**
 * Retained-heap budget. Measured after the warm-up, the heap grows by about 2 MB whatever the
 * traffic (1.0 MB after 2,000 messages, 2.2 MB after 10,000, 2.8 MB after 30,000: it levels off,
 * so it is warm code and pools, not a leak; in one worker with other suites before it, 0.1 MB).
 * The 10,000 messages carry about 25 MB of payload (some 600 strings of ~30 KB, buffers, depth-1000
 * trees, the oversized ones), so a server that kept the payloads, or anything of 1 KB or more per
 * message (a parsed body, a pending ack with its arguments, a Nest subscription), would pass 10 MB.
 * A per-message leak smaller than that hides in the noise at this count; per-connection state is
 * checked exactly below (sockets, rooms, presence, expiry tracking) instead.
 */
const MAX_HEAP_GROWTH_BYTES = 10 * 1024 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

interface Attacker {
  index: number;
  oid: string;
  token: string;
  transport: 'websocket' | 'polling';
  socket: Socket;
  generator: FuzzGenerator;
  random: () => number;
}

/** What the attackers saw, aggregated. */
interface FuzzStats {
  sent: number;
  withAck: number;
  acked: number;
  /** Acks that never came because the attacker's own oversized message closed the connection. */
  lostToDisconnect: number;
  oversized: number;
  disconnects: number;
  disconnectReasons: Record<string, number>;
  /** Disconnects with no oversized message in flight: a malformed message closed a connection. */
  unexpectedDisconnects: string[];
  codes: Record<string, number>;
  kinds: Record<string, number>;
  /** Acks of the wrong shape, timed-out acks, acks to unknown events. */
  problems: string[];
  /** statusUpdates an attacker received (none of its own runs is ever published to). */
  leakedUpdates: number;
}

function newStats(): FuzzStats {
  return {
    sent: 0,
    withAck: 0,
    acked: 0,
    lostToDisconnect: 0,
    oversized: 0,
    disconnects: 0,
    disconnectReasons: {},
    unexpectedDisconnects: [],
    codes: {},
    kinds: {},
    problems: [],
    leakedUpdates: 0,
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Heap in use after full collections; the least of a few readings, taken the same way each time. */
async function settledHeapUsed(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 5; i++) {
    gc();
    // A turn of the event loop lets weak callbacks and finalizers of one collection run, so that
    // the next collection can free what they released.
    await new Promise((resolve) => setImmediate(resolve));
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}

/** Polls server-side state (there is no client event for it) until it holds or time runs out. */
async function eventually(
  what: () => string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not met in ${timeoutMs} ms: ${what()}`);
    await delay(10);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

describe('fuzz: 10,000 malformed messages from 4 attackers while a client follows its run', () => {
  let idp: LocalIdentityProvider;
  let lib: LibraryApp;
  let hub: NotificationsHub;
  let expiry: ExpirySchedule;
  const attackers: Attacker[] = [];
  let stats = newStats();
  /** Set while an attacker has an oversized message in flight, so its disconnect is expected. */
  const oversizedInFlight = new Set<number>();

  let victim: { oid: string; socket: Socket; runId: string };
  let heapBefore = 0;
  /** Server-side state with the victim alone connected: what remains once the attackers leave. */
  const baseline = { sockets: 0, expiryEntries: 0 };

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
    lib = await startLibraryApp({
      auth: {
        tenants: [idp.tenantId],
        audiences: [idp.audience],
        authorityHost: idp.authorityHost,
      },
      // The message size limit stays at its default (64 KiB): that is what the oversized messages
      // test. The subscribe rate limit is lifted so that every malformed subscribe reaches the run
      // store and the access policy instead of stopping at `rate_limited` (the rate limiter has
      // its own test in gateway.e2e-spec.ts).
      limits: { subscribesPerSecond: 1_000_000 },
    });
    hub = lib.app.get(NotificationsHub);
    expiry = lib.app.get(ExpirySchedule);

    const victimOid = randomGuid();
    const victimToken = await idp.issueToken({ oid: victimOid });
    const { runId } = await lib.notifications.createRun(victimOid);
    victim = { oid: victimOid, socket: await connectClient(lib.url, victimToken), runId };
    baseline.sockets = hub.namespace.sockets.size;
    baseline.expiryEntries = expiry.size;

    const attackerOids = Array.from({ length: ATTACKERS }, () => randomGuid());
    // Other users' runs: the victim's (the one published to), and runs of the other attackers.
    const runsOf = await Promise.all(
      attackerOids.map((oid) =>
        Promise.all([1, 2, 3].map(() => lib.notifications.createRun(oid).then((r) => r.runId))),
      ),
    );
    const foreignTokens = [
      victimToken,
      await idp.issueToken({ oid: randomGuid() }),
      await idp.issueToken({ oid: attackerOids[0], expiresInSeconds: -600 }),
      await idp.issueToken({ oid: attackerOids[0], tid: randomGuid() }),
      await idp.issueToken({ oid: attackerOids[0], claims: { aud: 'api://another-api' } }),
      await idp.issueToken({ oid: attackerOids[0], header: { kid: 'no-such-key' } }),
      await idp.issueToken({ claims: { oid: 'not-a-guid' } }),
      unsignedToken({ alg: 'none', typ: 'JWT' }, { oid: attackerOids[0], tid: idp.tenantId }),
    ];

    for (let index = 0; index < ATTACKERS; index++) {
      const oid = attackerOids[index];
      const token = await idp.issueToken({ oid });
      const random = seededRandom(SEED + index);
      // One attacker on long-polling: its messages take the HTTP path and its size limit.
      const polling = index === ATTACKERS - 1;
      const attacker: Attacker = {
        index,
        oid,
        token,
        transport: polling ? 'polling' : 'websocket',
        socket: undefined as unknown as Socket,
        random,
        generator: new FuzzGenerator(random, {
          ownToken: token,
          ownRunIds: runsOf[index],
          foreignTokens,
          foreignRunIds: [runId, ...runsOf.filter((_, i) => i !== index).flat()],
          polling,
        }),
      };
      await connectAttacker(attacker);
      attackers.push(attacker);
    }

    // Warm-up: the same traffic on a small scale, so that lazily created state (compiled code,
    // socket.io and ws buffers, the key cache of the token verifier) exists before the baseline.
    await fuzz(WARM_UP_MESSAGES);
    stats = newStats();
    heapBefore = await settledHeapUsed();
  });

  afterAll(async () => {
    closeAll(victim?.socket, ...attackers.map((a) => a.socket));
    // Let the server handle the client closes before it shuts down: nothing is left half-open.
    if (hub)
      await eventually(
        () => 'server sockets closed',
        () => hub.namespace.sockets.size === 0,
      );
    await lib?.close();
    await idp?.stop();
  });

  async function connectAttacker(attacker: Attacker): Promise<void> {
    const socket = await connectClient(lib.url, attacker.token, {
      transports: [attacker.transport],
    });
    socket.on('statusUpdate', () => stats.leakedUpdates++);
    socket.on('disconnect', (reason: string) => {
      stats.disconnects++;
      stats.disconnectReasons[reason] = (stats.disconnectReasons[reason] ?? 0) + 1;
      if (!oversizedInFlight.has(attacker.index)) {
        stats.unexpectedDisconnects.push(`attacker ${attacker.index}: ${reason}`);
      }
    });
    attacker.socket = socket;
  }

  /** Sends one message; resolves once its ack (if awaited) has come or can no longer come. */
  function send(attacker: Attacker, message: FuzzMessage): Promise<void> | undefined {
    const { socket } = attacker;
    const emit = socket.emit.bind(socket) as (event: unknown, ...args: unknown[]) => void;
    stats.sent++;
    stats.kinds[message.kind] = (stats.kinds[message.kind] ?? 0) + 1;
    if (!message.ack) {
      emit(message.event, ...message.args);
      return undefined;
    }
    stats.withAck++;
    if (!KNOWN_EVENTS.includes(message.event as KnownEvent)) {
      // No handler, so no ack is due: one that came anyway would be a server bug. Not awaited.
      emit(message.event, ...message.args, (...reply: unknown[]) =>
        stats.problems.push(
          `unknown event ${String(message.event)} acked ${JSON.stringify(reply)}`,
        ),
      );
      return undefined;
    }
    const event = message.event as KnownEvent;
    return new Promise((resolve) => {
      const timed = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
        emit(event: unknown, ...args: unknown[]): void;
      };
      timed.emit(event, ...message.args, (error: Error | null, ack: unknown) => {
        if (error) {
          if (error.message === 'socket has been disconnected') stats.lostToDisconnect++;
          else stats.problems.push(`${event} (${message.kind}) not acked: ${error.message}`);
        } else {
          stats.acked++;
          const a = ack as { ok?: boolean; error?: { code?: string } };
          const code = a?.ok === true ? `${event}:ok` : `${event}:${a?.error?.code}`;
          stats.codes[code] = (stats.codes[code] ?? 0) + 1;
          const problem = ackProblem(event, ack);
          if (problem) stats.problems.push(`${problem} (${message.kind})`);
        }
        resolve();
      });
    });
  }

  /** One attacker's share: batches of messages, each batch's acks awaited before the next. */
  async function attack(
    attacker: Attacker,
    budget: { remaining: number; deadline: number },
  ): Promise<void> {
    while (
      budget.remaining > 0 &&
      Date.now() < budget.deadline &&
      stats.problems.length < MAX_PROBLEMS
    ) {
      const size = Math.min(BATCH, budget.remaining);
      budget.remaining -= size;
      // Oversized messages go over WebSocket only. Over long-polling the server answers 413 and
      // closes, and when no GET is pending at that moment engine.io 6.6 closes the transport
      // through a 30 s timer that nothing cancels: it would outlive the suite (an open handle).
      const oversizedAt =
        attacker.transport === 'websocket' && attacker.random() < OVERSIZED_PER_BATCH
          ? Math.floor(attacker.random() * size)
          : -1;
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < size; i++) {
        let message: FuzzMessage;
        if (i === oversizedAt) {
          message = attacker.generator.oversized();
          stats.oversized++;
          oversizedInFlight.add(attacker.index);
        } else {
          message = attacker.generator.next();
        }
        const acked = send(attacker, message);
        if (acked) pending.push(acked);
      }
      // The oversized message carries an ack: it settles when the server closes the connection
      // (or times out, recorded as a problem, if the server let it through).
      await Promise.all(pending);
      if (!attacker.socket.connected) {
        attacker.socket.close();
        await connectAttacker(attacker);
      }
      oversizedInFlight.delete(attacker.index);
    }
  }

  async function fuzz(total: number): Promise<void> {
    const budget = { remaining: total, deadline: Date.now() + FUZZ_DEADLINE_MS };
    await Promise.all(attackers.map((attacker) => attack(attacker, budget)));
  }

  it('every update reaches the well-behaved client in order, and every ack has the documented shape', async () => {
    const received = record<StatusUpdate>(victim.socket, 'statusUpdate');
    const arrivals: number[] = [];
    victim.socket.on('statusUpdate', () => arrivals.push(Date.now()));
    let victimDisconnected = '';
    victim.socket.on('disconnect', (reason: string) => (victimDisconnected = reason));
    expect(await emitWithAck(victim.socket, 'subscribeToRun', victim.runId)).toEqual({
      ok: true,
      runId: victim.runId,
      lastSeq: 0,
      replayed: 0,
    });

    let publishing = true;
    const published: StatusUpdate[] = [];
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        published.push(
          await lib.notifications.publishRunUpdate(victim.runId, {
            status: 'progress',
            message: `step ${i}`,
            data: { i },
          }),
        );
        await delay(PUBLISH_EVERY_MS);
      }
    })();

    const started = Date.now();
    await fuzz(TOTAL_MESSAGES);
    const fuzzMs = Date.now() - started;
    publishing = false;
    await publisher;
    await waitUntil(victim.socket, () => received.length >= published.length, 5_000);

    // The victim: every update, once, in seq order, with the content that was published.
    expect(victimDisconnected).toBe('');
    expect(received.map((u) => u.seq)).toEqual(published.map((_, i) => i + 1));
    expect(received).toEqual(published);
    // "Throughout": updates kept arriving during the fuzz, not in a burst after it. The publisher
    // slows down with the event loop it shares with the fuzz (one cycle took ~45 ms on average
    // here), so the count is only a sanity check; the largest silence between two deliveries is
    // the real one: 2 s would mean the server stalled on a malformed message.
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    const maxGapMs = Math.max(...gaps);
    expect(published.length).toBeGreaterThan(fuzzMs / PUBLISH_EVERY_MS / 10);
    expect(maxGapMs).toBeLessThan(2_000);

    // The attackers: all 10,000 sent, every ack of the documented shape, nothing leaked.
    expect(stats.sent).toBe(TOTAL_MESSAGES);
    expect(stats.problems).toEqual([]);
    expect(stats.leakedUpdates).toBe(0);
    expect(stats.unexpectedDisconnects).toEqual([]);
    // The module's message limit closes the sender's connection, each time.
    expect(stats.oversized).toBeGreaterThan(0);
    expect(stats.disconnects).toBe(stats.oversized);

    console.log(
      `fuzz seed ${SEED}: ${stats.sent} messages in ${fuzzMs} ms (${stats.withAck} with an ack, ` +
        `${stats.acked} acked, ${stats.lostToDisconnect} lost to an oversized message's ` +
        `disconnect); ${stats.oversized} oversized → ${stats.disconnects} disconnects ` +
        `${JSON.stringify(stats.disconnectReasons)}; victim got ${received.length}/` +
        `${published.length} updates, largest gap ${maxGapMs} ms\n` +
        `acks: ${JSON.stringify(stats.codes)}\nkinds: ${JSON.stringify(stats.kinds)}`,
    );
  }, 60_000);

  it('the server is still up: a new client connects, subscribes and receives', async () => {
    const oid = randomGuid();
    const socket = await connectClient(lib.url, await idp.issueToken({ oid }));
    try {
      const { runId } = await lib.notifications.createRun(oid);
      const received = record<StatusUpdate>(socket, 'statusUpdate');
      expect(await emitWithAck(socket, 'subscribeToRun', { runId })).toMatchObject({ ok: true });
      await lib.notifications.publishRunUpdate(runId, { status: 'completed' });
      await waitUntil(socket, () => received.length === 1);
      expect(received[0]).toMatchObject({ runId, seq: 1, status: 'completed' });
    } finally {
      socket.close();
    }
  });

  it('once the attackers are gone, the heap is back to its level and their server-side state is gone', async () => {
    for (const attacker of attackers) attacker.socket.off('disconnect');
    closeAll(...attackers.map((a) => a.socket));
    // The server learns of the closes asynchronously: wait for its sockets and presence to go.
    await eventually(
      () => `server sockets back to ${baseline.sockets} (now ${hub.namespace.sockets.size})`,
      () => hub.namespace.sockets.size === baseline.sockets,
    );
    for (const attacker of attackers) {
      await eventually(
        () => `no connection of attacker ${attacker.index} left in presence`,
        async () => (await lib.notifications.getUserConnectionCount(attacker.oid)) === 0,
      );
    }

    const heapAfter = await settledHeapUsed();
    const growth = heapAfter - heapBefore;
    console.log(
      `heap after warm-up ${mb(heapBefore)}, after the fuzz ${mb(heapAfter)}: ` +
        `growth ${mb(growth)} (bound ${mb(MAX_HEAP_GROWTH_BYTES)})`,
    );
    expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);

    // Rooms left: the victim's own socket room, user room and run room.
    expect([...hub.namespace.adapter.rooms.keys()].sort()).toEqual(
      [victim.socket.id, `user:${victim.oid}`, `run:${victim.runId}`].sort(),
    );
    // Token-expiry tracking holds only live connections. Handlers still in flight when a
    // connection closed have long finished (the heap measurement above took several turns).
    expect(expiry.size).toBe(baseline.expiryEntries);
  }, 30_000);

  it('a connection closed while its refreshToken is being verified leaves no expiry entry behind', async () => {
    const before = { sockets: hub.namespace.sockets.size, expiryEntries: expiry.size };
    const oid = randomGuid();
    const token = await idp.issueToken({ oid });
    // The RSA signature check runs on libuv's thread pool, so a close that arrives a moment after
    // the refresh is handled while the token is still being verified: what an attacker that
    // refreshes and hangs up in a loop does.
    for (const closeAfterMs of [0, 1, 2, 3, 5, 8]) {
      const socket = await connectClient(lib.url, token);
      for (let i = 0; i < 20; i++) socket.emit('refreshToken', { token });
      await delay(closeAfterMs);
      socket.close();
    }
    // A barrier: refreshes acked on a new connection were verified after those queued before.
    const barrier = await connectClient(lib.url, token);
    try {
      await Promise.all(
        Array.from({ length: 8 }, () => emitWithAck(barrier, 'refreshToken', { token })),
      );
      await eventually(
        () => `server sockets back to ${before.sockets + 1} (now ${hub.namespace.sockets.size})`,
        () => hub.namespace.sockets.size === before.sockets + 1,
      );
      // Only the barrier connection is live, so only it may be tracked.
      expect(expiry.size).toBe(before.expiryEntries + 1);
    } finally {
      barrier.close();
    }
  });
});
