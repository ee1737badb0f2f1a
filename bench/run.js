#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` (full) and `npm run bench -- --quick` (CI smoke): the library side by side with
 * bare socket.io + @socket.io/redis-adapter, on one machine, in one run. See docs/BENCHMARKS.md.
 *
 * This process orchestrates and is the publisher: it starts a real redis-server on an ephemeral
 * port, a local Entra-shaped identity provider, 2 app instances per variant (bench/server.js) and
 * the load clients (bench/client.js), and it triggers every send through the instances' IPC
 * channels with schedules shipped ahead of time. Variants are interleaved, round by round.
 *
 * Options: --quick, --rounds=N, --connections=N, --clients=N, --variants=a,b,c, --rates=a,b,
 *          --send-seconds=N (length of each send step),
 *          --redis-options=JSON (ioredis options given to the library variants: experiments),
 *          --node-flags="…" (node flags of every instance; default: the sample's, see
 *          lib/variants.js; --node-flags= runs Node's defaults),
 *          --profile (V8 CPU profile of each instance per workload, in bench/results/profiles/;
 *          summarise with bench/profile-summary.js),
 *          --alloc-profile[=all] (instead: sampled allocations of promoted objects, or of all
 *          objects, .heapprofile files),
 *          --heap-snapshot (a .heapsnapshot of each instance after the idle reading, with every
 *          connection open: what a connection costs, by constructor).
 */
const fs = require('node:fs');
const path = require('node:path');
const { Redis } = require('ioredis');
const { Bench, RESULTS } = require('./lib/harness');
const { startIdentityProvider } = require('./lib/identity-provider');
const {
  backgroundLoad,
  children,
  ensureBuild,
  libraryBuild,
  log,
  machine,
  ROOT,
  stopChild,
} = require('./lib/processes');
const { startRedisServer } = require('./lib/redis-server');
const report = require('./lib/report');
const { VARIANTS, VARIANT_NAMES, NODE_FLAGS } = require('./lib/variants');

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

const OPTIONS = [
  'quick',
  'rounds',
  'connections',
  'clients',
  'variants',
  'rates',
  'send-seconds',
  'redis-options',
  'node-flags',
  'profile',
  'alloc-profile',
  'heap-snapshot',
];

function parseArgs(argv) {
  const args = {};
  for (const arg of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m || !OPTIONS.includes(m[1])) {
      throw new Error(
        `unknown argument ${arg}; options: ${OPTIONS.map((o) => `--${o}`).join(' ')}`,
      );
    }
    args[m[1]] = m[2] === undefined ? true : m[2];
  }
  return args;
}

function configure(args) {
  const quick = Boolean(args.quick);
  const base = quick
    ? {
        mode: 'quick',
        connections: 1000,
        rounds: 1,
        sendRates: [1000, 5000],
        sendSeconds: 2,
        runsCount: 200,
        runsSeconds: 2,
        runsWarmupSeconds: 0.5,
        burstUsers: 1000,
        settleMs: 1000,
        quietMs: 1500,
      }
    : {
        mode: 'full',
        connections: 10_000,
        // Three, so that the median is a round's own figure: a stall of the shared machine in one
        // round (they hit every variant now and then) does not decide the result alone.
        rounds: 3,
        sendRates: [1000, 5000, 10_000, 20_000, 30_000],
        sendSeconds: 5,
        runsCount: 1000,
        runsSeconds: 5,
        runsWarmupSeconds: 1,
        burstUsers: 2000,
        settleMs: 3000,
        quietMs: 3000,
      };
  const config = {
    ...base,
    clients: 2,
    connectConcurrency: 200,
    runsRate: 5000,
    burstSpreadMs: 500,
    burstSteps: 6,
    burstStepMs: 50,
    drainMaxMs: 30_000,
    variants: VARIANT_NAMES,
    nodeFlags: NODE_FLAGS,
    profile: Boolean(args.profile),
    // true: promoted objects only; 'all': every allocation.
    allocProfile: args['alloc-profile'] === 'all' ? 'all' : Boolean(args['alloc-profile']),
    heapSnapshot: Boolean(args['heap-snapshot']),
  };
  if (args.rounds) config.rounds = positive(args.rounds, 'rounds');
  if (args.connections) config.connections = positive(args.connections, 'connections');
  if (args.clients) config.clients = positive(args.clients, 'clients');
  if (args['redis-options']) config.redisOptions = JSON.parse(args['redis-options']);
  if (args['node-flags'] === true)
    throw new Error(
      "--node-flags needs a value: --node-flags='--flag …', or --node-flags= for Node's defaults",
    );
  if (args['node-flags'] !== undefined)
    config.nodeFlags = args['node-flags'].split(/\s+/).filter(Boolean);
  // BENCH_SERVER_ARGS: diagnostic flags (e.g. --trace-gc) after those, printed and recorded with them.
  config.nodeFlags = [
    ...config.nodeFlags,
    ...(process.env.BENCH_SERVER_ARGS || '').split(/\s+/).filter(Boolean),
  ];
  // BENCH_BASELINE_RELEASE: an experiment on the baseline itself, so it is printed and recorded.
  if (process.env.BENCH_BASELINE_RELEASE) config.baselineRelease = true;
  if (args['send-seconds']) config.sendSeconds = positive(args['send-seconds'], 'send-seconds');
  if (args.rates)
    config.sendRates = String(args.rates)
      .split(',')
      .map((r) => positive(r, 'rates'));
  if (args.variants) {
    config.variants = String(args.variants).split(',');
    const bad = config.variants.find((v) => !VARIANT_NAMES.includes(v));
    if (bad) throw new Error(`unknown variant ${bad}; choose among ${VARIANT_NAMES.join(', ')}`);
  }
  if (config.connections % (2 * config.clients) !== 0) {
    throw new Error('--connections must be a multiple of 2 × --clients');
  }
  if (config.connections / config.clients >= 15_000) {
    throw new Error('each client process must hold fewer than 15,000 sockets: raise --clients');
  }
  config.burstUsers = Math.min(config.burstUsers, config.connections);
  config.runsCount = Math.min(config.runsCount, config.connections);
  return config;
}

function positive(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name} needs positive integers, got ${value}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const WORKLOAD_ORDER = (config) => [
  'connect-storm',
  'idle',
  ...config.sendRates.map((r) => `send-${r}`),
  'send-peak',
  `runs-steady-${config.runsRate}`,
  'runs-burst',
];

/** Delivery gates: below 1.0 at the rates the targets cover fails the run (quick mode included). */
function gate(results, config) {
  const failures = [];
  for (const variant of config.variants) {
    const r = results[variant] || {};
    for (const rate of config.sendRates.filter((x) => x <= 5000)) {
      const row = r[`send-${rate}`];
      if (row && row.delivered_ratio < 1)
        failures.push(`${variant} send-${rate}: delivered ${row.delivered_ratio}`);
    }
    const steady = r[`runs-steady-${config.runsRate}`];
    if (steady && steady.delivered_ratio < 1)
      failures.push(`${variant} runs-steady: delivered ${steady.delivered_ratio}`);
    // Without replay, a burst loses what precedes the subscribe by design.
    const burst = r['runs-burst'];
    if (VARIANTS[variant].replay && burst && burst.delivered_ratio < 1)
      failures.push(`${variant} runs-burst: delivered ${burst.delivered_ratio}`);
    const idle = r.idle;
    if (idle && idle.connections < config.connections)
      failures.push(`${variant}: only ${idle.connections} of ${config.connections} connections`);
  }
  return failures;
}

async function main() {
  const started = Date.now();
  let config;
  try {
    config = configure(parseArgs(process.argv.slice(2)));
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
  ensureBuild();
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.rmSync(path.join(RESULTS, 'logs'), { recursive: true, force: true });
  if (config.profile || config.allocProfile)
    fs.rmSync(path.join(RESULTS, 'profiles'), { recursive: true, force: true });
  if (config.heapSnapshot) fs.rmSync(path.join(RESULTS, 'heap'), { recursive: true, force: true });
  const info = machine();
  const build = libraryBuild();
  log(
    `bench (${config.mode}): ${config.connections} connections on 2 instances, ${config.clients} client processes, ` +
      `${config.rounds} round(s) of ${config.variants.join(', ')}; ${info.nproc} cores, node ${info.node}; ` +
      `dist/lib built ${build.dist_lib_built_at} (${build.dist_lib_sha256}); instances run node ` +
      `${config.nodeFlags.length ? config.nodeFlags.join(' ') : "with Node's defaults"}` +
      (config.baselineRelease ? "; baseline with the module's sent-packet release" : ''),
  );

  const background = await backgroundLoad();
  if (background !== null) {
    log(
      `background load before start: ${background}% of one core used by other processes` +
        (background > 10 ? ' — WARNING: other jobs share this machine; figures will be noisy' : ''),
    );
  }
  info.background_cpu_pct_at_start = background;
  const redisServer = await startRedisServer();
  const idp = await startIdentityProvider();
  const bench = new Bench(config, redisServer, idp);
  bench.redis = new Redis(redisServer.url, { connectionName: 'bench:orchestrator' });
  const iterations = [];
  let exitCode = 0;
  try {
    const { tokens, ms } = await bench.startClients();
    log(
      `redis-server ${redisServer.url}, identity provider ${idp.authorityHost}; ${tokens} RS256 tokens minted in ${(ms / 1000).toFixed(1)} s`,
    );
    for (let round = 1; round <= config.rounds; round++) {
      // Interleaved, and rotated each round so no variant always runs first (or last).
      const order = config.variants.map(
        (_, i) => config.variants[(i + round - 1) % config.variants.length],
      );
      for (const variant of order) {
        log(`  round ${round}/${config.rounds}: ${variant}`);
        iterations.push(await bench.iteration(variant, round));
      }
    }
  } catch (error) {
    console.error(`bench failed: ${error.stack || error}`);
    console.error(`logs: ${path.relative(ROOT, bench.logDir)}/`);
    exitCode = 2;
  } finally {
    await Promise.all((bench.clients || []).map((c) => stopChild(c)));
    bench.redis.disconnect();
    await idp.stop();
    await redisServer.stop();
  }
  if (exitCode) process.exit(exitCode);

  const results = report.aggregate(iterations, config.variants);
  const order = WORKLOAD_ORDER(config);
  const targets = report.checkTargets(results, config);
  const failures = gate(results, config);
  const output = {
    mode: config.mode,
    started_at: new Date(started).toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    machine: info,
    library_build: build,
    config,
    notes: {
      aggregation:
        'per variant and workload over rounds: delivered_ratio is the minimum, max_ms the maximum, lost/duplicates summed, everything else the median',
      latency:
        'from the scheduled send time (carried in each message) to receipt by the client, across processes on one clock',
      'send-peak':
        'the highest achieved delivery rate over the send steps (delivered / time from first scheduled send to last receipt)',
    },
    results,
    targets,
    delivery_failures: failures,
    iterations,
  };
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(output, null, 2)}\n`);
  fs.writeFileSync(
    path.join(RESULTS, `latest-${config.mode}.json`),
    `${JSON.stringify(output, null, 2)}\n`,
  );

  log('');
  log(report.table(results, config.variants, order));
  log('');
  log('details:');
  log(report.details(results, config.variants, order));
  log('');
  log(
    `performance targets${config.mode === 'quick' ? ' — quick mode: indicative only, timing never fails it' : ''}:`,
  );
  for (const t of targets)
    log(`  [${t.holds === null ? 'n/a  ' : t.holds ? 'holds' : 'FAILS'}] ${t.name}: ${t.detail}`);
  log('');
  log(
    `results: ${path.relative(ROOT, path.join(RESULTS, 'latest.json'))} (${output.duration_s} s)`,
  );
  if (failures.length) {
    log(`DELIVERY BELOW 1.0 at a rate the targets cover:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(error.stack || error);
  for (const child of children) child.kill('SIGKILL');
  process.exit(2);
});
