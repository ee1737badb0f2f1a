'use strict';
/**
 * The harness: the load clients, the two instances of a variant, CPU accounting, delivery
 * bookkeeping and one iteration (a variant's full set of workloads on fresh instances).
 */
const fs = require('node:fs');
const path = require('node:path');
const { all, forkChild, log, machineBusyMicros, stopChild, sum } = require('./processes');
const { now, sleep } = require('./ipc');
const report = require('./report');
const workloads = require('./workloads');
const { VARIANTS } = require('./variants');

const RESULTS = path.join(__dirname, '..', 'results');

/** The worst of the processes' event-loop delays and GC pauses since their last reading. */
async function worstDelay(processes) {
  const delays = (await all(processes, 'loopDelay')).filter(Boolean);
  if (delays.length === 0) return null;
  // Garbage collection in the worst process: its longest pause, and all pauses added up.
  return report.worstOf(delays, ['p99', 'max', 'gc_max', 'gc_total', 'gc_major']);
}

/** A phase's event-loop delays, instances and clients, for the progress log. */
function stalls(row) {
  const side = (name, d) =>
    d
      ? `${name} loop delay max ${d.max} ms (GC pause max ${d.gc_max} ms, major GC ${d.gc_major} ms)`
      : '';
  return [side('server', row.server_loop_delay_ms), side('clients', row.client_loop_delay_ms)]
    .filter(Boolean)
    .join(', ');
}

class Bench {
  constructor(config, redisServer, idp) {
    this.config = config;
    this.redisServer = redisServer;
    this.idp = idp;
    this.phase = 0;
    this.logDir = path.join(RESULTS, 'logs');
    fs.mkdirSync(this.logDir, { recursive: true });
    const n = config.connections;
    // User i connects to instance i % 2; client process c holds users [c·n/P, (c+1)·n/P).
    this.usersOn = [0, 1].map((s) => Array.from({ length: n / 2 }, (_, j) => 2 * j + s));
    this.perClient = n / config.clients;
  }

  clientOf(idx) {
    return Math.floor(idx / this.perClient);
  }

  async startClients() {
    const needTokens = this.config.variants.some((v) => VARIANTS[v].tokens);
    const idp = needTokens
      ? {
          privateKeyPem: this.idp.privateKeyPem,
          kid: this.idp.kid,
          authorityHost: this.idp.authorityHost,
          tenantId: this.idp.tenantId,
          audience: this.idp.audience,
        }
      : undefined;
    this.clients = [];
    for (let c = 0; c < this.config.clients; c++) {
      this.clients.push(
        forkChild('client.js', `client-${c}`, path.join(this.logDir, `client-${c}.log`)),
      );
    }
    const started = now();
    const results = await Promise.all(
      this.clients.map((client, c) =>
        client.call('init', {
          users: Array.from({ length: this.perClient }, (_, j) => c * this.perClient + j),
          idp,
        }),
      ),
    );
    return { tokens: sum(results, 'tokens'), ms: now() - started };
  }

  async startServers(variant, round) {
    const servers = [];
    for (let s = 0; s < 2; s++) {
      const execArgv = ['--expose-gc', ...this.config.nodeFlags];
      const log = path.join(this.logDir, `${variant}-r${round}-i${s}.log`);
      servers.push(forkChild('server.js', `${variant}#${s}`, log, execArgv));
    }
    const info = await all(
      servers,
      'start',
      {
        variant,
        redisUrl: this.redisServer.url,
        redisOptions: this.config.redisOptions,
        auth: {
          tenantId: this.idp.tenantId,
          audience: this.idp.audience,
          authorityHost: this.idp.authorityHost,
        },
      },
      60_000,
    );
    servers.forEach((srv, s) => (srv.url = `http://127.0.0.1:${info[s].port}`));
    return servers;
  }

  /** CPU of servers, clients and Redis, to report each phase's load in % of one core. */
  async cpuSnapshot(servers) {
    const [srv, cli, info] = await Promise.all([
      all(servers, 'cpu'),
      all(this.clients, 'cpu'),
      this.redis.info('cpu'),
    ]);
    const redisSec = ['used_cpu_user', 'used_cpu_sys']
      .map((k) => Number((new RegExp(`${k}:([0-9.]+)`).exec(info) || [])[1] || 0))
      .reduce((a, b) => a + b, 0);
    const self = process.cpuUsage();
    return {
      at: now(),
      server: sum(srv.map((c) => c.user + c.system)),
      client: sum(cli.map((c) => c.user + c.system)),
      redis: redisSec * 1e6,
      orchestrator: self.user + self.system,
      machine: machineBusyMicros(),
    };
  }

  /**
   * Restarts the event-loop delay histograms of the instances and of the load clients; the next
   * call returns, for each side, the worst process's figures since.
   */
  async loopDelay(servers) {
    const [server, client] = await Promise.all([worstDelay(servers), worstDelay(this.clients)]);
    return { server_loop_delay_ms: server, client_loop_delay_ms: client };
  }

  cpuDelta(a, b) {
    const wall = (b.at - a.at) * 1000; // µs
    const pct = (x) => Math.round((100 * (b[x] - a[x])) / wall);
    const row = {
      server_cpu_pct: pct('server'),
      client_cpu_pct: pct('client'),
      redis_cpu_pct: pct('redis'),
    };
    if (a.machine !== null && b.machine !== null) {
      // Whatever else ran on the machine meanwhile (other jobs skew every figure: see the docs).
      const ours = ['server', 'client', 'redis', 'orchestrator'].reduce(
        (t, x) => t + b[x] - a[x],
        0,
      );
      row.other_cpu_pct = Math.max(0, Math.round((100 * (b.machine - a.machine - ours)) / wall));
    }
    return row;
  }

  /** Waits until every message arrived, or nothing arrived for a while after the last send. */
  async drain(total, lastScheduled, isDone) {
    let last = -1;
    let lastChange = now();
    for (;;) {
      const received = sum(await all(this.clients, 'progress'), 'received');
      const t = now();
      if (received >= total) return;
      if (received !== last) {
        last = received;
        lastChange = t;
      }
      if (isDone() && t > lastScheduled + 500 && t - lastChange > this.config.quietMs) return;
      if (t > lastScheduled + this.config.drainMaxMs) return;
      await sleep(100);
    }
  }

  /**
   * Merges the clients' records of a phase. Ids follow the schedule; latency figures cover ids from
   * `warmup` on (every id counts for delivery), and the warm-up's own p99 is reported beside them.
   */
  async collect(total, startAt, lastScheduled, warmup = 0) {
    const parts = await all(this.clients, 'collect');
    const seen = new Uint8Array(total);
    const lat = [];
    const warmLat = [];
    let dups = 0;
    for (const part of parts) {
      dups += part.dups;
      for (let i = 0; i < total; i++) {
        if (!part.seen[i]) continue;
        if (seen[i]) dups++;
        else {
          seen[i] = 1;
          (i < warmup ? warmLat : lat).push(part.lat[i]);
        }
      }
    }
    if (process.env.BENCH_DUMP) {
      // Debugging aid: latency by message id (id order is schedule order), one file per phase.
      const byId = new Float64Array(total).fill(NaN);
      for (const part of parts)
        for (let i = 0; i < total; i++) if (part.seen[i]) byId[i] = part.lat[i];
      fs.writeFileSync(
        path.join(RESULTS, `dump-phase-${this.phase}.json`),
        JSON.stringify({
          total,
          lat: Array.from(byId, (v) => (Number.isNaN(v) ? null : Math.round(v * 100) / 100)),
        }),
      );
    }
    const sorted = Float64Array.from(lat).sort();
    const delivered = sorted.length + warmLat.length;
    const lastAt = Math.max(...parts.map((p) => p.lastAt), 0);
    const span = Math.max(lastAt, lastScheduled) - startAt;
    return {
      parts,
      row: {
        delivered_ratio: total ? delivered / total : null,
        p50_ms: report.round(report.percentile(sorted, 50), 3),
        p99_ms: report.round(report.percentile(sorted, 99), 3),
        max_ms: report.round(report.percentile(sorted, 100), 3),
        ...(warmup
          ? {
              warmup_updates: warmup,
              warmup_p99_ms: report.round(
                report.percentile(Float64Array.from(warmLat).sort(), 99),
                3,
              ),
            }
          : {}),
        achieved_per_s: span > 0 ? Math.round((delivered * 1000) / span) : null,
        lost: total - delivered,
        duplicates: dups,
        misdelivered: sum(parts, 'misdelivered'),
        // Sockets that dropped without the harness closing them (since the connect storm).
        unexpected_disconnects: sum(parts, 'unexpectedDisconnects'),
      },
    };
  }

  /** Redis commands run during the iteration (evidence of the path taken: PUBLISH vs SPUBLISH…). */
  async commandStats() {
    const info = await this.redis.info('commandstats');
    const counts = {};
    for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
      if (!['info', 'config', 'flushall'].includes(m[1])) counts[m[1]] = Number(m[2]);
    }
    return Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8),
    );
  }

  /** With --profile, runs fn under the servers' CPU profiler: one .cpuprofile per instance. */
  async profiled(servers, label, fn) {
    const allocations = this.config.allocProfile;
    if (!this.config.profile && !allocations) return fn();
    const dir = path.join(RESULTS, 'profiles', `${this.current}-${label}`);
    fs.mkdirSync(dir, { recursive: true });
    await all(servers, 'profileStart', { allocations });
    try {
      return await fn();
    } finally {
      const ext = allocations ? 'heapprofile' : 'cpuprofile';
      await Promise.all(
        servers.map((srv, s) =>
          srv.call('profileStop', { file: path.join(dir, `instance-${s}.${ext}`) }),
        ),
      );
    }
  }

  /** With --heap-snapshot: each instance's heap, every connection open, in bench/results/heap/. */
  async heapSnapshots(servers) {
    const dir = path.join(RESULTS, 'heap');
    fs.mkdirSync(dir, { recursive: true });
    const files = await Promise.all(
      servers.map((srv, s) =>
        srv.call(
          'heapSnapshot',
          { file: path.join(dir, `${this.current}-instance-${s}.heapsnapshot`) },
          120_000,
        ),
      ),
    );
    log(`    heap snapshots: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  }

  async iteration(variant, round) {
    this.current = `${variant}-r${round}`;
    await this.redis.flushall();
    await this.redis.config('RESETSTAT');
    const t0 = now();
    const servers = await this.startServers(variant, round);
    const workloads = {};
    try {
      // Memory before the storm; the storm's profile window holds the storm alone.
      const mem0 = await all(servers, 'mem');
      const storm = await this.profiled(servers, 'connect-storm', () =>
        this.connectStorm(variant, servers),
      );
      const connected = storm.connections;
      const idle = await this.idleMemory(servers, mem0, connected);
      if (this.config.heapSnapshot) await this.heapSnapshots(servers);
      workloads['connect-storm'] = storm;
      workloads.idle = idle;
      log(
        `    connect storm: ${connected}/${this.config.connections} at ${storm.connects_per_s}/s ` +
          `(server CPU ${storm.server_cpu_ms_per_connect} ms/connect, clients ${storm.client_cpu_pct}%, other ${storm.other_cpu_pct}%); ` +
          `idle RSS ${idle.rss_per_conn_kb} KB/conn, heap ${idle.heap_per_conn_kb} KB/conn`,
      );
      let best;
      for (const rate of this.config.sendRates) {
        const row = await this.profiled(servers, `send-${rate}`, () =>
          this.sendStep(servers, rate, connected),
        );
        workloads[`send-${rate}`] = row;
        log(
          `    send ${rate}/s: delivered ${row.delivered_ratio.toFixed(4)}, p50 ${row.p50_ms} ms, ` +
            `p99 ${row.p99_ms} ms, max ${row.max_ms} ms, achieved ${row.achieved_per_s}/s, ` +
            `CPU servers ${row.server_cpu_pct}% clients ${row.client_cpu_pct}% redis ${row.redis_cpu_pct}% other ${row.other_cpu_pct}%, ` +
            stalls(row),
        );
        if (!best || row.achieved_per_s > best.achieved_per_s) best = row;
        await sleep(500);
      }
      workloads['send-peak'] = {
        connections: connected,
        offered_per_s: best.offered_per_s,
        peak_per_s: best.achieved_per_s,
        server_cpu_us_per_msg: best.server_cpu_us_per_msg,
        delivered_ratio: best.delivered_ratio,
        p99_ms: best.p99_ms,
        server_cpu_pct: best.server_cpu_pct,
      };
      const steady = await this.profiled(servers, 'runs-steady', () =>
        this.runsSteady(servers, connected),
      );
      workloads[`runs-steady-${this.config.runsRate}`] = steady;
      log(
        `    runs steady ${this.config.runsRate}/s: delivered ${steady.delivered_ratio.toFixed(4)}, ` +
          `p50 ${steady.p50_ms} ms, p99 ${steady.p99_ms} ms, max ${steady.max_ms} ms ` +
          `(first ${this.config.runsWarmupSeconds} s, warm-up: p99 ${steady.warmup_p99_ms} ms), ` +
          `reordered ${steady.reordered_on_wire}, CPU servers ${steady.server_cpu_pct}% redis ${steady.redis_cpu_pct}% other ${steady.other_cpu_pct}%, ` +
          stalls(steady),
      );
      await sleep(500);
      const burst = await this.profiled(servers, 'runs-burst', () =>
        this.runsBurst(variant, servers, connected),
      );
      workloads['runs-burst'] = burst;
      log(
        `    burst ${this.config.burstUsers} tasks: delivered ${burst.delivered_ratio.toFixed(4)} ` +
          `(lost ${burst.lost}), dup on wire ${burst.duplicates}, out of order on wire ${burst.reordered_on_wire}, ` +
          `replayed ${burst.replayed}, p99 ${burst.p99_ms} ms`,
      );
    } finally {
      await all(this.clients, 'disconnect').catch((e) =>
        log(`    disconnect failed: ${e.message}`),
      );
      await Promise.all(servers.map((srv) => stopChild(srv, 'stop')));
    }
    for (const row of Object.values(workloads)) {
      // Other jobs on the machine skew a phase's figures: say so next to them.
      if (row.other_cpu_pct > 25) {
        row.notes = [...(row.notes || []), `noisy: other processes used ${row.other_cpu_pct}% CPU`];
      }
    }
    const redisCommands = await this.commandStats();
    log(
      `    (${((now() - t0) / 1000).toFixed(1)} s; redis: ${Object.entries(redisCommands)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
    return { variant, round, workloads, redis_commands: redisCommands };
  }
}

Object.assign(Bench.prototype, workloads);

module.exports = { Bench, RESULTS };
