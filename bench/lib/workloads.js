'use strict';
/**
 * The four workloads, as methods of the harness (mixed into Bench's prototype): (d) connect storm
 * and (a) idle memory, (b) user-targeted sends, (c) run updates steady and in a burst.
 */
const { all, sum } = require('./processes');
const { now, sleep } = require('./ipc');
const report = require('./report');

/** (d) connect storm, then (a) idle memory per connection after GC. */
async function connectAndIdle(variant, servers) {
  const mem0 = await all(servers, 'mem');
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
  await sleep(this.config.settleMs);
  const mem1 = await all(servers, 'mem');
  const perConn = (key) =>
    report.round((sum(mem1, key) - sum(mem0, key)) / Math.max(connected, 1) / 1024, 2);
  const serverSockets = mem1.map((m) => m.sockets);
  const notes = [];
  if (failed) notes.push(`connect errors: ${JSON.stringify(errors)}`);
  if (serverSockets.every((n) => typeof n === 'number') && sum(serverSockets) !== connected) {
    notes.push(`servers hold ${serverSockets.join('+')} sockets, clients ${connected}`);
  }
  return {
    storm: {
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
    },
    idle: {
      connections: connected,
      rss_per_conn_kb: perConn('rss'),
      heap_per_conn_kb: perConn('heapUsed'),
      external_per_conn_kb: perConn('external'),
      rss_mb_per_instance: mem1.map((m) => Math.round(m.rss / 2 ** 20)),
    },
    connected,
  };
}

/** (b) user-targeted sends at one offered rate, half of them crossing instances. */
async function sendStep(servers, rate, connected) {
  const phase = ++this.phase;
  const perInstance = Math.round((rate * this.config.sendSeconds) / 2);
  const total = perInstance * 2;
  const intervalMs = 2000 / rate;
  await all(this.clients, 'phase', { phase, total });
  const cpu0 = await this.cpuSnapshot(servers);
  await this.loopDelay(servers);
  const startAt = now() + 300;
  let done = false;
  const sends = Promise.all(
    servers.map((srv, index) =>
      srv.call(
        'send',
        {
          phase,
          index,
          startAt,
          count: perInstance,
          intervalMs,
          offsetMs: (index * intervalMs) / 2,
          local: this.usersOn[index],
          remote: this.usersOn[1 - index],
        },
        120_000,
      ),
    ),
  ).finally(() => (done = true));
  const lastScheduled = startAt + (perInstance - 0.5) * intervalMs;
  await this.drain(total, lastScheduled, () => done);
  const sent = await sends;
  const cpu1 = await this.cpuSnapshot(servers);
  const loop = await this.loopDelay(servers);
  const { row } = await this.collect(total, startAt, lastScheduled);
  const delivered = total - row.lost;
  return {
    connections: connected,
    offered_per_s: rate,
    ...row,
    sched_late_max_ms: report.round(Math.max(...sent.map((s) => s.maxLateMs)), 1),
    // The instances' event-loop delay over the step (worst instance): stalls show as a large max.
    server_loop_delay_ms: loop,
    ...this.cpuDelta(cpu0, cpu1),
    // CPU the two instances spent per delivered message: what bounds throughput once CPU-bound.
    server_cpu_us_per_msg: delivered ? Math.round((cpu1.server - cpu0.server) / delivered) : null,
    redis_cpu_us_per_msg: delivered ? Math.round((cpu1.redis - cpu0.redis) / delivered) : null,
  };
}

/** (c) steady run updates: runs owned by users of one instance, published by the other. */
async function runsSteady(servers, connected) {
  const { runsCount, runsRate, runsSeconds, runsWarmupSeconds } = this.config;
  const half = runsCount / 2;
  const owners = [0, 1].map((s) => this.usersOn[1 - s].slice(0, half));
  const runIds = await Promise.all(
    servers.map((srv, s) => srv.call('createRuns', { owners: owners[s], queued: true }, 60_000)),
  );
  const pairs = this.clients.map(() => []);
  owners.forEach((list, s) =>
    list.forEach((idx, j) => pairs[this.clientOf(idx)].push([idx, runIds[s][j]])),
  );
  const acks = await Promise.all(
    this.clients.map((c, i) => c.call('subscribe', { pairs: pairs[i] }, 60_000)),
  );
  const phase = ++this.phase;
  // A warm-up at the same rate precedes the measured seconds: the first updates of a fresh
  // instance run through cold code (JIT) and are delivered, but their latency is not steady state.
  const warmup = Math.round(runsRate * runsWarmupSeconds);
  const perInstance = Math.round((runsRate * runsSeconds + warmup) / 2);
  const total = perInstance * 2;
  const intervalMs = 2000 / runsRate;
  await all(this.clients, 'phase', { phase, total });
  const cpu0 = await this.cpuSnapshot(servers);
  await this.loopDelay(servers);
  const startAt = now() + 300;
  let done = false;
  const publishing = Promise.all(
    servers.map((srv, index) =>
      srv.call(
        'runs',
        {
          phase,
          index,
          startAt,
          count: perInstance,
          intervalMs,
          offsetMs: (index * intervalMs) / 2,
          runIds: runIds[index],
        },
        120_000,
      ),
    ),
  ).finally(() => (done = true));
  const lastScheduled = startAt + (perInstance - 0.5) * intervalMs;
  await this.drain(total, lastScheduled, () => done);
  const published = await publishing;
  const cpu1 = await this.cpuSnapshot(servers);
  const loop = await this.loopDelay(servers);
  const { row, parts } = await this.collect(total, startAt, lastScheduled, warmup);
  const notes = [];
  const subFailed = sum(acks, 'failed');
  if (subFailed) notes.push(`subscribe failures: ${JSON.stringify(acks.map((a) => a.errors))}`);
  const errors = sum(published, 'errors');
  if (errors)
    notes.push(`publish errors: ${published.map((p) => p.firstError).filter(Boolean)[0]}`);
  return {
    connections: connected,
    offered_per_s: runsRate,
    runs: runsCount,
    ...row,
    replayed: sum(acks, 'replayed'),
    reordered_on_wire: sum(parts, 'reordered'),
    errors,
    server_loop_delay_ms: loop,
    // How long publishRunUpdate took on the instances (worst of the two).
    server_publish_ms: {
      p50: Math.max(...published.map((p) => (p.publishMs ? p.publishMs.p50 : 0))),
      p99: Math.max(...published.map((p) => (p.publishMs ? p.publishMs.p99 : 0))),
      max: Math.max(...published.map((p) => (p.publishMs ? p.publishMs.max : 0))),
    },
    ...this.cpuDelta(cpu0, cpu1),
    server_cpu_us_per_msg:
      total - row.lost ? Math.round((cpu1.server - cpu0.server) / (total - row.lost)) : null,
    redis_cpu_us_per_msg:
      total - row.lost ? Math.round((cpu1.redis - cpu0.redis) / (total - row.lost)) : null,
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
  if (variant === 'baseline')
    notes.push('bare socket.io has no replay: updates sent before the subscribe are lost');
  const subFailed = sum(acks, 'failed');
  if (subFailed) notes.push(`subscribe failures: ${JSON.stringify(acks.map((a) => a.errors))}`);
  const errors = sum(results, 'errors');
  if (errors) notes.push(`task errors: ${results.map((r) => r.firstError).filter(Boolean)[0]}`);
  const worst = (key) => ({
    p50: Math.max(...results.map((r) => (r[key] ? r[key].p50 : 0))),
    p99: Math.max(...results.map((r) => (r[key] ? r[key].p99 : 0))),
    max: Math.max(...results.map((r) => (r[key] ? r[key].max : 0))),
  });
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
    // Server side, worst instance: how long createRun and publishRunUpdate took, and how late
    // each task step started (a late step means the instance could not keep up).
    server_loop_delay_ms: loop,
    server_create_ms: worst('createMs'),
    server_publish_ms: worst('publishMs'),
    server_step_late_ms: worst('stepLateMs'),
    ...this.cpuDelta(cpu0, cpu1),
    notes,
  };
}

module.exports = { connectAndIdle, sendStep, runsSteady, runsBurst };
