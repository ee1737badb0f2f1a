'use strict';
/** The orchestrator's plumbing: child processes, the build check, machine facts, CPU accounting. */
const { execFileSync, execSync, fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { connect, sleep } = require('./ipc');

const BENCH = path.join(__dirname, '..');
const ROOT = path.join(BENCH, '..');

const children = new Set();

function forkChild(script, name, logFile, execArgv = []) {
  const fd = fs.openSync(logFile, 'a');
  const child = fork(path.join(BENCH, script), [], {
    execArgv,
    stdio: ['ignore', fd, fd, 'ipc'],
    serialization: 'advanced',
  });
  fs.closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => children.delete(child));
  return { name, child, call: connect(child, name), exited, logFile };
}

async function stopChild(proc, call) {
  try {
    if (call) await proc.call(call, {}, 20_000);
  } catch (error) {
    console.error(
      `  ${proc.name}: ${call} failed: ${error.message.split('\n')[0]} (log ${proc.logFile})`,
    );
  }
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
  if (proc.child.connected) proc.child.disconnect();
  await proc.exited;
  clearTimeout(timer);
}

const all = (procs, cmd, args, timeoutMs) =>
  Promise.all(procs.map((p) => p.call(cmd, args, timeoutMs)));
const sum = (list, key) => list.reduce((a, x) => a + (key ? x[key] : x), 0);

function ensureBuild() {
  const index = path.join(ROOT, 'dist', 'lib', 'index.js');
  if (!fs.existsSync(index)) {
    console.log('dist/lib/index.js is missing: running npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    return;
  }
  // The figures belong to dist/lib, not to the sources: say so when the two differ.
  const built = fs.statSync(index).mtimeMs;
  const newer = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && fs.statSync(file).mtimeMs > built) newer.push(file);
    }
  };
  for (const dir of ['lib', 'src'])
    if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  if (newer.length > 0) {
    console.log(
      `WARNING: ${newer.length} source file(s) changed since dist/lib was built ` +
        `(e.g. ${path.relative(ROOT, newer[0])}): run npm run build to measure them`,
    );
  }
}

/**
 * Which build of the library was measured: the newest modification time under dist/lib and a hash
 * of its .js files (the library changes between runs; figures belong to one build).
 */
function libraryBuild() {
  const hash = require('node:crypto').createHash('sha256');
  let newest = 0;
  const walk = (dir) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.js')) {
        hash.update(entry.name).update(fs.readFileSync(file));
        newest = Math.max(newest, fs.statSync(file).mtimeMs);
      }
    }
  };
  walk(path.join(ROOT, 'dist', 'lib'));
  return {
    dist_lib_built_at: new Date(newest).toISOString(),
    dist_lib_sha256: hash.digest('hex').slice(0, 16),
  };
}

function machine() {
  const sh = (cmd) => {
    try {
      return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  return {
    nproc: Number(sh('nproc')) || os.availableParallelism(),
    cpu: (os.cpus()[0] || {}).model,
    memory_total_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    free_h: sh('free -h'),
    node: process.version,
    redis: sh('redis-server --version'),
    kernel: `${os.type()} ${os.release()}`,
    ulimit_n: Number(sh('sh -c "ulimit -n"')),
  };
}

/** Busy CPU time of the whole machine so far, in µs (Linux /proc/stat), or null elsewhere. */
function machineBusyMicros() {
  try {
    const [, ...fields] = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]
      .trim()
      .split(/\s+/);
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) * (1e6 / 100); // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Share of the machine's CPU (in % of one core) used by other processes over `ms`. */
async function backgroundLoad(ms = 1000) {
  const a = machineBusyMicros();
  const sa = process.cpuUsage();
  await sleep(ms);
  const b = machineBusyMicros();
  if (a === null || b === null) return null;
  const self = process.cpuUsage(sa);
  return Math.round((100 * (b - a - self.user - self.system)) / (ms * 1000));
}

function log(line) {
  process.stdout.write(`${line}\n`);
}

module.exports = {
  ROOT,
  children,
  forkChild,
  stopChild,
  all,
  sum,
  ensureBuild,
  machine,
  libraryBuild,
  machineBusyMicros,
  backgroundLoad,
  log,
};
