'use strict';
/**
 * One app instance under test, run as a child of bench/run.js (with --expose-gc). Variant:
 *   baseline         bare socket.io 4.8 + @socket.io/redis-adapter (classic) on ioredis; the user id
 *                    comes from handshake.auth.userId (no auth); user rooms joined on connection.
 *   library          a Nest app importing NotificationsModule.forRoot({ auth, redis }) from dist/lib
 *                    with RedisIoAdapter: RS256 tokens verified at the handshake.
 *   library-sharded  the same with redis.mode 'sharded' (SPUBLISH, dynamic subscriptions).
 *
 * The orchestrator drives it over IPC (bench/lib/ipc.js). Sends are executed here, by the instance,
 * as application code would call NotificationService: the orchestrator ships a compact schedule
 * ahead of time and this process emits each message at its scheduled time, so the IPC hop is not on
 * the timed path, and a busy event loop shows up as latency (no coordinated omission).
 */
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { serve, now, sleep, sleepUntil } = require('./lib/ipc');
const report = require('./lib/report');
const { loopDelay } = require('./lib/loop-monitor');
const { VARIANTS } = require('./lib/variants');
const { userOid } = require('./lib/identity-provider');

/** The variant's implementation: the same five operations for every variant. */
let app;

async function startBaseline({ redisUrl }) {
  const http = require('node:http');
  const { Server } = require('socket.io');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const { Redis } = require('ioredis');

  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ['websocket', 'polling'] });
  const pub = new Redis(redisUrl, { connectionName: 'baseline:publisher' });
  const sub = new Redis(redisUrl, { connectionName: 'baseline:subscriber' });
  io.adapter(createAdapter(pub, sub, { key: 'notifications:socket.io' }));
  // Experiment only: bare socket.io with the module's sent-packet release (docs/BENCHMARKS.md).
  if (process.env.BENCH_BASELINE_RELEASE) {
    require('../dist/lib/scale-out/release-sent-packets').releaseSentPackets(io);
  }
  const nsp = io.of('/notifications');
  // What a hand-written app does: trust the user id given at the handshake, join the user's room.
  nsp.use((socket, next) => {
    const userId = socket.handshake.auth && socket.handshake.auth.userId;
    if (typeof userId !== 'string' || !userId) return next(new Error('unauthorized'));
    socket.data.userId = userId;
    next();
  });
  nsp.on('connection', (socket) => {
    socket.join(`user:${socket.data.userId}`);
    socket.on('subscribeToRun', (arg, ack) => {
      const runId = typeof arg === 'string' ? arg : arg && arg.runId;
      if (typeof runId !== 'string')
        return ack && ack({ ok: false, error: { code: 'invalid_argument' } });
      socket.join(`run:${runId}`);
      if (typeof ack === 'function') ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
    });
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));

  // No run store: a sequence number per run in memory, emitted to the run's room.
  const seqs = new Map();
  return {
    port: httpServer.address().port,
    sockets: () => nsp.sockets.size,
    sendToUser(userId, type, payload) {
      nsp
        .to(`user:${userId}`)
        .emit('notification', { id: randomUUID(), type, payload, at: new Date().toISOString() });
    },
    async createRun(ownerId, firstUpdate) {
      const runId = randomUUID();
      seqs.set(runId, 0);
      await this.publishRunUpdate(runId, firstUpdate);
      return runId;
    },
    async publishRunUpdate(runId, update) {
      const seq = seqs.get(runId) + 1;
      seqs.set(runId, seq);
      const stored = { runId, seq, status: update.status, at: new Date().toISOString() };
      if (update.data !== undefined) stored.data = update.data;
      nsp.to(`run:${runId}`).emit('statusUpdate', stored);
      return stored;
    },
    async close() {
      await new Promise((resolve) => io.close(() => resolve()));
      await Promise.all([pub.quit(), sub.quit()]);
    },
  };
}

async function startLibrary({ redisUrl, mode, auth, redisOptions }) {
  require('reflect-metadata');
  const { Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const lib = require(path.join(__dirname, '..', 'dist', 'lib'));

  class BenchAppModule {}
  Module({
    imports: [
      lib.NotificationsModule.forRoot({
        auth: {
          tenants: [auth.tenantId],
          audiences: [auth.audience],
          authorityHost: auth.authorityHost,
        },
        // redisOptions: ioredis options for experiments (run.js --redis-options), none by default.
        redis: { url: redisUrl, mode, ...(redisOptions ? { options: redisOptions } : {}) },
      }),
    ],
  })(BenchAppModule);

  const nest = await NestFactory.create(BenchAppModule, { logger: ['error', 'warn'] });
  nest.useWebSocketAdapter(new lib.RedisIoAdapter(nest));
  await nest.listen(0, '127.0.0.1');
  const notifications = nest.get(lib.NotificationService);
  let gateway;
  try {
    gateway = nest.get(lib.TaskGateway, { strict: false });
  } catch {
    gateway = undefined;
  }
  return {
    port: nest.getHttpServer().address().port,
    // The gateway's namespace is internal; read it for the socket count only.
    sockets: () => (gateway && gateway.namespace ? gateway.namespace.sockets.size : null),
    sendToUser: (userId, type, payload) => notifications.sendToUser(userId, type, payload),
    // As the sample starts its tasks: the run and its first update in one store step.
    createRun: async (ownerId, firstUpdate) =>
      (await notifications.createRun(ownerId, { firstUpdate })).runId,
    publishRunUpdate: (runId, update) => notifications.publishRunUpdate(runId, update),
    close: () => nest.close(),
  };
}

/**
 * Calls fn(k, at) for k = 0..count-1 at startAt + offsetMs + k·intervalMs. A late event loop sends
 * the overdue messages at once, each keeping its scheduled time, so lateness counts as latency.
 */
function schedule({ startAt, count, intervalMs, offsetMs = 0 }, fn) {
  return new Promise((resolve) => {
    let k = 0;
    let maxLateMs = 0;
    const due = (i) => startAt + offsetMs + i * intervalMs;
    const tick = () => {
      const t = now();
      while (k < count && due(k) <= t) {
        maxLateMs = Math.max(maxLateMs, t - due(k));
        fn(k, due(k));
        k++;
      }
      if (k >= count) return resolve({ emitted: k, maxLateMs });
      setTimeout(tick, Math.max(0, due(k) - now() - 0.3));
    };
    setTimeout(tick, Math.max(0, due(0) - now()));
  });
}

/** p50 / p99 / max of a list of durations, in ms. */
function spread(values) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p) => report.round(report.percentile(sorted, p), 2);
  return { p50: at(50), p99: at(99), max: at(100) };
}

let profiler;
/** True while the allocation sampler runs rather than the CPU profiler. */
let sampling = false;
const post = (method, params) =>
  new Promise((resolve, reject) =>
    profiler.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

serve({
  async start(config) {
    const { redisMode } = VARIANTS[config.variant];
    app = redisMode
      ? await startLibrary({ ...config, mode: redisMode })
      : await startBaseline(config);
    return { port: app.port, pid: process.pid };
  },

  /** Memory after full GCs (the process runs with --expose-gc). */
  async mem() {
    for (let i = 0; i < 4; i++) {
      global.gc();
      await sleep(50);
    }
    const usage = process.memoryUsage();
    return { ...usage, sockets: app.sockets() };
  },

  /** Diagnostics: starts V8's CPU profiler (--profile) or allocation sampler (--alloc-profile). */
  async profileStart({ allocations } = {}) {
    profiler ??= new (require('node:inspector').Session)();
    profiler.connect();
    sampling = Boolean(allocations);
    if (allocations) {
      // Objects that survived young-generation collections (promoted) and were freed later by a
      // mark-compact: what brings the old generation's collections, and their pauses, closer.
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        // --alloc-profile=all: every allocation, also what died young.
        includeObjectsCollectedByMinorGC: allocations === 'all',
      });
      return true;
    }
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    return true;
  },

  /** Stops the profiler and writes the phase's .cpuprofile or .heapprofile. */
  async profileStop({ file }) {
    const { profile } = await post(sampling ? 'HeapProfiler.stopSampling' : 'Profiler.stop');
    require('node:fs').writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    return file;
  },

  /** Diagnostics: writes a heap snapshot (after GC) and returns its path. */
  heapSnapshot({ file }) {
    global.gc();
    return require('node:v8').writeHeapSnapshot(file);
  },

  /** Event-loop delay and GC pauses since the last call (bench/lib/loop-monitor.js). */
  loopDelay,

  cpu() {
    return { ...process.cpuUsage(), elu: performance.eventLoopUtilization(), at: now() };
  },

  /**
   * User-targeted sends: message k goes to a user on this instance when k is even and to a user on
   * the other instance when k is odd, so half of all messages cross instances.
   */
  async send({ phase, index, local, remote, ...timing }) {
    // User ids are built before the clock starts: the timed path only sends.
    const oids = [local.map(userOid), remote.map(userOid)];
    return schedule(timing, (k, at) => {
      const side = k % 2;
      const users = side === 0 ? local : remote;
      const j = (k >> 1) % users.length;
      app.sendToUser(oids[side][j], 'bench', { ph: phase, i: 2 * k + index, t: at, u: users[j] });
    });
  },

  /** Creates one run per owner, with a first 'queued' update; returns their ids. */
  createRuns({ owners }) {
    return Promise.all(owners.map((u) => app.createRun(userOid(u), { status: 'queued' })));
  },

  /** Steady run updates, round-robin over this instance's runs (their subscribers are elsewhere). */
  async runs({ phase, index, runIds, ...timing }) {
    // Preallocated and counted rather than a list of promises: the harness's own bookkeeping
    // should not weigh on the instance's garbage collector during the measured phase.
    const publishMs = new Float64Array(timing.count).fill(NaN);
    let settled = 0;
    let errors = 0;
    let firstError;
    let allSettled;
    const finished = new Promise((resolve) => (allSettled = resolve));
    const settle = () => ++settled === timing.count && allSettled();
    const result = await schedule(timing, (k, at) => {
      const started = now();
      app
        .publishRunUpdate(runIds[k % runIds.length], {
          status: 'progress',
          data: { ph: phase, i: 2 * k + index, t: at },
        })
        .then(
          () => {
            publishMs[k] = now() - started;
            settle();
          },
          (error) => {
            errors++;
            firstError ??= String(error && error.message);
            settle();
          },
        );
    });
    if (timing.count > 0) await finished;
    return { ...result, errors, firstError, publishMs: spread(publishMs.filter((ms) => ms >= 0)) };
  },

  /**
   * A burst of users starting tasks: per owner, at its start time, the task creates a run with
   * its first update (queued), tells its owner (as an HTTP response would), then publishes
   * running, progress…, completed, one step every stepMs. The owner subscribes when told, racing
   * the first updates.
   */
  async burst({ phase, startAt, owners, spreadMs, stepMs, steps, slotBase }) {
    let errors = 0;
    let firstError;
    const createMs = [];
    const publishMs = [];
    const lateMs = [];
    const statusOf = (s) =>
      s === 0 ? 'queued' : s === 1 ? 'running' : s === steps - 1 ? 'completed' : 'progress';
    await Promise.all(
      owners.map(async (u, j) => {
        const t0 = startAt + (j * spreadMs) / owners.length;
        await sleepUntil(t0);
        try {
          const oid = userOid(u);
          const step = (s, at) => ({
            status: statusOf(s),
            data: { ph: phase, i: (slotBase + j) * steps + s, t: at },
          });
          let started = now();
          const runId = await app.createRun(oid, step(0, t0));
          createMs.push(now() - started);
          app.sendToUser(oid, 'task.started', { ph: phase, runId });
          for (let s = 1; s < steps; s++) {
            const at = t0 + s * stepMs;
            await sleepUntil(at);
            started = now();
            lateMs.push(started - at);
            await app.publishRunUpdate(runId, step(s, at));
            publishMs.push(now() - started);
          }
        } catch (error) {
          errors++;
          firstError ??= String(error && error.message);
        }
      }),
    );
    return {
      tasks: owners.length,
      errors,
      firstError,
      createMs: spread(createMs),
      publishMs: spread(publishMs),
      stepLateMs: spread(lateMs),
    };
  },

  async stop() {
    await app.close();
    // Exit once the answer is sent.
    setTimeout(() => process.exit(0), 20);
    return true;
  },
});
