'use strict';
/**
 * The four workloads, as methods of the harness (mixed into Bench's prototype): (d) connect storm
 * and (a) idle memory, (b) user-targeted sends, (c) run updates steady and in a burst.
 */
const { all, sum } = require('./processes');
const { now, sleep } = require('./ipc');
const report = require('./report');
const { VARIANTS } = require('./variants');

/** (d) connect storm: every client connects its users at once, RS256 tokens for the library. */
async function connectStorm(variant, servers) {
  const cpu0 = await this.cpuSnapshot(servers);
  const startAt = now() + 300;
  const results = await all(
    this.clients,
    'connect',
    {
      variant,
      urls: servers.map((s) => s.url),
      startAt,
      concurrency: this.config.connectConcurrency,
    },
    300_000,
  );
  const connected = sum(results, 'connected');
  const failed = sum(results, 'failed');
  const errors = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] || 0) + v;
  const elapsed = Math.max(...results.map((r) => r.lastAt)) - startAt;
  const cpu1 = await this.cpuSnapshot(servers);
  const notes = [];
  if (failed) notes.push(`connect errors: ${JSON.stringify(errors)}`);
  return {
    connections: connected,
    connects_per_s: Math.round((connected * 1000) / elapsed),
    failed_connects: failed,
    duration_ms: Math.round(elapsed),
    // Server CPU per accepted connection: the part of the storm that does not depend on how
    // much CPU the load clients take on this machine.
    server_cpu_ms_per_connect: report.round(
      (cpu1.server - cpu0.server) / 1000 / Math.max(connected, 1),
      3,
    ),
    ...this.cpuDelta(cpu0, cpu1),
    notes,
  };
}

/**
 * (a) idle memory per connection: after a settle time, each instance's memory after full GCs,
 * against `mem0`, taken the same way before the storm.
 */
async function idleMemory(servers, mem0, connected) {
  await sleep(this.config.settleMs);
  const mem1 = await all(servers, 'mem');
  const perConn = (key) =>
    report.round((sum(mem1, key) - sum(mem0, key)) / Math.max(connected, 1) / 1024, 2);
  const serverSockets = mem1.map((m) => m.sockets);
  const notes = [];
  if (serverSockets.every((n) => typeof n === 'number') && sum(serverSockets) !== connected) {
    notes.push(`servers hold ${serverSockets.join('+')} sockets, clients ${connected}`);
  }
  return {
    connections: connected,
    rss_per_conn_kb: perConn('rss'),
    heap_per_conn_kb: perConn('heapUsed'),
    external_per_conn_kb: perConn('external'),
    rss_mb_per_instance: mem1.map((m) => Math.round(m.rss / 2 ** 20)),
    notes,
  };
}

/**
 * One timed phase: both instances run `method` on one schedule (`count` messages at `rate` msg/s in
 * all, the second instance half an interval after the first) while the clients count what
 * arrives. `params(index)` adds an instance's own arguments. Returns the instances' answers, the
 * merged delivery row (the first `warmup` messages apart), and CPU and event-loop figures.
 */
async function timedPhase(servers, { rate, count, method, params, warmup = 0 }) {
  const phase = ++this.phase;
  const perInstance = Math.round(count / 2);
  const total = perInstance * 2;
  const intervalMs = 2000 / rate;
  await all(this.clients, 'phase', { phase, total });
  const cpu0 = await this.cpuSnapshot(servers);
  await this.loopDelay(servers);
  const startAt = now() + 300;
  let done = false;
  const calls = Promise.all(
    servers.map((srv, index) =>
      srv.call(
        method,
        {
          phase,
          index,
          startAt,
          count: perInstance,
          intervalMs,
          offsetMs: (index * intervalMs) / 2,
          ...params(index),
        },
        120_000,
      ),
    ),
  ).finally(() => (done = true));
  const lastScheduled = startAt + (perInstance - 0.5) * intervalMs;
  await this.drain(total, lastScheduled, () => done);
  const answers = await calls;
  const cpu1 = await this.cpuSnapshot(servers);
  const loop = await this.loopDelay(servers);
  const { row, parts } = await this.collect(total, startAt, lastScheduled, warmup);
  const delivered = total - row.lost;
  // CPU spent per delivered message: what bounds throughput once CPU-bound.
  const perMessage = (key) => (delivered ? Math.round((cpu1[key] - cpu0[key]) / delivered) : null);
  return {
    answers,
    row,
    parts,
    // Event-loop delay over the phase, worst instance and worst client: stalls show as a large max.
    loop,
    cpu: {
      ...this.cpuDelta(cpu0, cpu1),
      server_cpu_us_per_msg: perMessage('server'),
      redis_cpu_us_per_msg: perMessage('redis'),
    },
  };
}

/** (b) user-targeted sends at one offered rate, half of them crossing instances. */
async function sendStep(servers, rate, connected) {
  const { answers, row, loop, cpu } = await this.timedPhase(servers, {
    rate,
    count: rate * this.config.sendSeconds,
    method: 'send',
    params: (index) => ({ local: this.usersOn[index], remote: this.usersOn[1 - index] }),
  });
  return {
    connections: connected,
    offered_per_s: rate,
    ...row,
    sched_late_max_ms: report.round(Math.max(...answers.map((s) => s.maxLateMs)), 1),
    ...loop,
    ...cpu,
  };
}

/** (c) steady run updates: runs owned by users of one instance, published by the other. */
async function runsSteady(servers, connected) {
  const { runsCount, runsRate, runsSeconds, runsWarmupSeconds } = this.config;
  const half = runsCount / 2;
  const owners = [0, 1].map((s) => this.usersOn[1 - s].slice(0, half));
  const runIds = await Promise.all(
    servers.map((srv, s) => srv.call('createRuns', { owners: owners[s] }, 60_000)),
  );
  const pairs = this.clients.map(() => []);
  owners.forEach((list, s) =>
    list.forEach((idx, j) => pairs[this.clientOf(idx)].push([idx, runIds[s][j]])),
  );
  const acks = await Promise.all(
    this.clients.map((c, i) => c.call('subscribe', { pairs: pairs[i] }, 60_000)),
  );
  // A warm-up at the same rate precedes the measured seconds: the first updates of a fresh
  // instance run through cold code (JIT) and are delivered, but their latency is not steady state.
  const warmup = Math.round(runsRate * runsWarmupSeconds);
  const { answers, row, parts, loop, cpu } = await this.timedPhase(servers, {
    rate: runsRate,
    count: runsRate * runsSeconds + warmup,
    method: 'runs',
    params: (index) => ({ runIds: runIds[index] }),
    warmup,
  });
  const notes = [];
  const subFailed = sum(acks, 'failed');
  if (subFailed) notes.push(`subscribe failures: ${JSON.stringify(acks.map((a) => a.errors))}`);
  const errors = sum(answers, 'errors');
  if (errors) notes.push(`publish errors: ${answers.map((p) => p.firstError).filter(Boolean)[0]}`);
  return {
    connections: connected,
    offered_per_s: runsRate,
    runs: runsCount,
    ...row,
    replayed: sum(acks, 'replayed'),
    reordered_on_wire: sum(parts, 'reordered'),
    errors,
    ...loop,
    // How long publishRunUpdate took on the instances (worst of the two).
    server_publish_ms: worstSpread(answers, 'publishMs'),
    ...cpu,
    notes,
  };
}

/** (c) a burst of users starting tasks within burstSpreadMs, subscribing when told (replay). */
async function runsBurst(variant, servers, connected) {
  const { burstUsers, burstSpreadMs, burstSteps, burstStepMs } = this.config;
  const half = burstUsers / 2;
  const phase = ++this.phase;
  const total = burstUsers * burstSteps;
  await all(this.clients, 'phase', { phase, total });
  const cpu0 = await this.cpuSnapshot(servers);
  await this.loopDelay(servers);
  const startAt = now() + 300;
  let done = false;
  const tasks = Promise.all(
    servers.map((srv, s) =>
      srv.call(
        'burst',
        {
          phase,
          startAt,
          owners: this.usersOn[1 - s].slice(-half),
          spreadMs: burstSpreadMs,
          stepMs: burstStepMs,
          steps: burstSteps,
          slotBase: s * half,
        },
        120_000,
      ),
    ),
  ).finally(() => (done = true));
  const lastScheduled = startAt + burstSpreadMs + (burstSteps - 1) * burstStepMs;
  await this.drain(total, lastScheduled, () => done);
  const results = await tasks;
  const cpu1 = await this.cpuSnapshot(servers);
  const loop = await this.loopDelay(servers);
  const { row, parts } = await this.collect(total, startAt, lastScheduled);
  const acks = parts.map((p) => p.acks);
  const notes = [];
  if (!VARIANTS[variant].replay)
    notes.push(`${variant} has no replay: updates sent before the subscribe are lost`);
  const subFailed = sum(acks, 'failed');
  if (subFailed) notes.push(`subscribe failures: ${JSON.stringify(acks.map((a) => a.errors))}`);
  const errors = sum(results, 'errors');
  if (errors) notes.push(`task errors: ${results.map((r) => r.firstError).filter(Boolean)[0]}`);
  const offered = (total * 1000) / (burstSpreadMs + (burstSteps - 1) * burstStepMs);
  return {
    connections: connected,
    offered_per_s: Math.round(offered),
    tasks: burstUsers,
    ...row,
    duplicates: sum(parts, 'wireDups'),
    reordered_on_wire: sum(parts, 'reordered'),
    replayed: sum(acks, 'replayed'),
    subscribed: sum(acks, 'ok'),
    errors,
    // Server side, worst instance: how long createRun (with the first update) and each later
    // publishRunUpdate took, and how late each later step started (a late step means the
    // instance could not keep up).
    ...loop,
    server_create_ms: worstSpread(results, 'createMs'),
    server_publish_ms: worstSpread(results, 'publishMs'),
    server_step_late_ms: worstSpread(results, 'stepLateMs'),
    ...this.cpuDelta(cpu0, cpu1),
    notes,
  };
}

/** The worst p50, p99 and max of the instances' `key` spreads (an instance without one counts 0). */
function worstSpread(answers, key) {
  return report.worstOf(
    answers.map((a) => a[key]),
    ['p50', 'p99', 'max'],
  );
}

module.exports = { connectStorm, idleMemory, timedPhase, sendStep, runsSteady, runsBurst };
