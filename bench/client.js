'use strict';
/**
 * A load client process, a child of bench/run.js: holds the connections of a block of users (one
 * socket.io-client connection each, websocket transport, forceNew) and records what arrives.
 *
 * Every benchmark message carries its phase (`ph`), a unique id (`i`) and its scheduled send time
 * (`t`); a per-phase bitmap counts unique deliveries and duplicates, and latency is measured from
 * the scheduled time. Run updates are also checked per run for order (`seq`).
 */
const { io } = require('socket.io-client');
const { serve, now, sleep, sleepUntil } = require('./lib/ipc');
const { createTokenMinter, userOid } = require('./lib/identity-provider');
const { VARIANTS } = require('./lib/variants');
const { loopDelay } = require('./lib/loop-monitor');

let users = [];
const tokens = new Map();
/** idx → socket */
const sockets = new Map();
/** runId → { max, seen:Set<seq> }, across phases. */
const runState = new Map();
let rec = newRecorder(0, 0);
let closing = false;
let unexpectedDisconnects = 0;

function newRecorder(phase, total) {
  return {
    phase,
    total,
    seen: new Uint8Array(total),
    lat: new Float64Array(total).fill(NaN),
    received: 0,
    dups: 0,
    misdelivered: 0,
    stale: 0,
    lastAt: 0,
    wireDups: 0,
    reordered: 0,
    acks: { ok: 0, failed: 0, replayed: 0, errors: {} },
  };
}

// Self-test of the delivery gate: BENCH_FAULT_DROP=0.001 makes this client ignore that share of
// the messages it receives, so `npm run bench -- --quick` must exit 1.
const FAULT_DROP = Number(process.env.BENCH_FAULT_DROP) || 0;

function record(payload, idx, t) {
  if (FAULT_DROP && Math.random() < FAULT_DROP) return;
  if (!payload || payload.ph !== rec.phase) {
    rec.stale++;
    return;
  }
  if (payload.u !== undefined && payload.u !== idx) rec.misdelivered++;
  const i = payload.i;
  if (!(i >= 0 && i < rec.total)) {
    rec.stale++;
    return;
  }
  if (rec.seen[i]) {
    rec.dups++;
    return;
  }
  rec.seen[i] = 1;
  rec.lat[i] = t - payload.t;
  rec.received++;
  rec.lastAt = t;
}

function onUpdate(idx, update) {
  const t = now();
  let state = runState.get(update.runId);
  if (!state) runState.set(update.runId, (state = { max: 0, seen: new Set() }));
  if (state.seen.has(update.seq)) {
    rec.wireDups++;
  } else {
    // Arriving after a higher seq: out of order on the wire (the client SDK restores the order).
    if (update.seq < state.max) rec.reordered++;
    state.seen.add(update.seq);
    if (update.seq > state.max) state.max = update.seq;
  }
  if (update.data) record(update.data, idx, t);
}

function subscribe(socket, runId) {
  return new Promise((resolve) => {
    socket.timeout(30_000).emit('subscribeToRun', { runId, afterSeq: 0 }, (err, ack) => {
      const acks = rec.acks;
      if (!err && ack && ack.ok) {
        acks.ok++;
        acks.replayed += ack.replayed || 0;
      } else {
        acks.failed++;
        const code = err ? 'timeout' : (ack && ack.error && ack.error.code) || 'unknown';
        acks.errors[code] = (acks.errors[code] || 0) + 1;
      }
      resolve();
    });
  });
}

function attach(idx, socket) {
  socket.on('notification', (n) => {
    if (!n) return;
    if (n.type === 'bench') record(n.payload, idx, now());
    else if (n.type === 'task.started' && n.payload && n.payload.ph === rec.phase) {
      void subscribe(socket, n.payload.runId);
    }
  });
  socket.on('statusUpdate', (update) => onUpdate(idx, update));
  socket.on('disconnect', () => {
    if (!closing) unexpectedDisconnects++;
  });
}

serve({
  /** Takes this process's users and, for the library variants, mints their tokens. */
  init({ users: list, idp }) {
    users = list;
    const started = now();
    if (idp) {
      const mint = createTokenMinter(idp);
      for (const idx of users) tokens.set(idx, mint(userOid(idx)));
    }
    return { users: users.length, tokens: tokens.size, ms: now() - started };
  },

  /** Connects every user, at most `concurrency` handshakes in flight, starting at `startAt`. */
  async connect({ variant, urls, startAt, concurrency }) {
    closing = false;
    unexpectedDisconnects = 0;
    await sleepUntil(startAt);
    const errors = {};
    let connected = 0;
    let failed = 0;
    let lastAt = now();
    let next = 0;
    await new Promise((resolve) => {
      let inflight = 0;
      const pump = () => {
        while (inflight < concurrency && next < users.length) {
          const idx = users[next++];
          inflight++;
          const oid = userOid(idx);
          const socket = io(`${urls[idx % urls.length]}/notifications`, {
            transports: ['websocket'],
            forceNew: true,
            reconnection: false,
            timeout: 60_000,
            auth: VARIANTS[variant].tokens ? { token: tokens.get(idx) } : { userId: oid },
          });
          const settle = (ok, error) => {
            inflight--;
            if (ok) {
              connected++;
              lastAt = now();
              sockets.set(idx, socket);
            } else {
              failed++;
              const code =
                (error && error.data && error.data.code) || (error && error.message) || 'error';
              errors[code] = (errors[code] || 0) + 1;
              socket.close();
            }
            if (connected + failed === users.length) resolve();
            else pump();
          };
          socket.once('connect', () => {
            socket.off('connect_error');
            settle(true);
          });
          socket.once('connect_error', (error) => settle(false, error));
          attach(idx, socket);
        }
      };
      if (users.length === 0) resolve();
      else pump();
    });
    return { connected, failed, errors, lastAt };
  },

  /** Subscribes owners to runs: pairs of [user index, runId]. */
  async subscribe({ pairs }) {
    rec.acks = { ok: 0, failed: 0, replayed: 0, errors: {} };
    await Promise.all(pairs.map(([idx, runId]) => subscribe(sockets.get(idx), runId)));
    return rec.acks;
  },

  /** Starts recording a phase whose message ids are 0..total-1. */
  phase({ phase, total }) {
    rec = newRecorder(phase, total);
    return true;
  },

  progress() {
    return { received: rec.received, dups: rec.dups, lastAt: rec.lastAt };
  },

  collect() {
    const { seen, lat, ...counts } = rec;
    return { ...counts, seen, lat, unexpectedDisconnects };
  },

  cpu() {
    return { ...process.cpuUsage(), at: now() };
  },

  /** Event-loop delay and GC pauses since the last call (bench/lib/loop-monitor.js). */
  loopDelay,

  async disconnect() {
    closing = true;
    for (const socket of sockets.values()) socket.disconnect();
    const count = sockets.size;
    sockets.clear();
    runState.clear();
    rec = newRecorder(0, 0);
    await sleep(100);
    return count;
  },
});
