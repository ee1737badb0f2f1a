import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from './ports';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running `redis-server` child process started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** `redis://127.0.0.1:<port>`, ready for ioredis. */
  url: string;
  /** The process id. */
  pid: number;
  /**
   * Graceful shutdown: SIGTERM, then SIGKILL after 5 s. Resolves once the process has exited.
   * Idempotent.
   */
  stop(): Promise<void>;
  /** SIGKILL, for crash tests; resolves once the process has exited. Idempotent. */
  kill(): Promise<void>;
}

/** Options for {@link startRedisServer}. */
export interface StartRedisOptions {
  /** Turn on the append-only file (default false). */
  appendOnly?: boolean;
  /** Data directory. Kept on stop; when omitted a temporary one is created and removed on stop. */
  dir?: string;
  /** Extra command-line arguments, appended after the defaults (so they win). */
  extraArgs?: string[];
  /** Reuse a port, for restarts. When omitted a free ephemeral port is picked. */
  port?: number;
}

/** Exact message when the binary is missing: the suites must fail loudly, never skip. */
const NOT_FOUND_MESSAGE =
  'redis-server not found on PATH. Install it: apt-get update && apt-get install -y redis-server';
const READY_LINE = 'Ready to accept connections';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const MAX_ATTEMPTS = 5;
/** Cap on the captured log so a long-running server cannot grow memory without bound. */
const MAX_LOG_CHARS = 64 * 1024;

/**
 * `setpriv --pdeathsig KILL` (util-linux) makes the kernel SIGKILL redis when the process that
 * spawned it dies, so a crashed or force-exited jest leaves no orphan servers behind. It execs
 * redis-server, so the pid stays redis's. (A `process.on('exit')` hook cannot do this: jest gives
 * each test file a copy of `process` whose listeners never fire.) Without setpriv, spawn directly.
 */
const SETPRIV = findOnPath('setpriv');

/**
 * Starts a real `redis-server` on 127.0.0.1 and resolves once it accepts connections.
 * Never uses a fixed port: a free ephemeral port is found first, and the start is retried with a
 * new one if another process takes it in the meantime.
 */
export async function startRedisServer(
  options: StartRedisOptions = {},
): Promise<RedisServerHandle> {
  // Checked up front because under setpriv a missing program is an exit code, not ENOENT.
  if (!findOnPath('redis-server')) throw new Error(NOT_FOUND_MESSAGE);
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'redis-e2e-')));
  let lastError: Error | undefined;
  try {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const port = options.port ?? (await freePort());
      const result = await spawnOnce(port, dir, options);
      if ('child' in result) return makeHandle(result.child, port, dir, ownsDir);
      lastError = result.error;
      if (!result.retry) break;
      // A fixed port may still be held by the previous process winding down: give it a moment.
      if (options.port !== undefined) await delay(200);
    }
  } catch (error) {
    lastError = error as Error;
  }
  if (ownsDir) await removeTempDir(dir);
  throw lastError ?? new Error('redis-server failed to start');
}

type SpawnResult = { child: ChildProcess } | { error: Error; retry: boolean };

/** One start attempt; resolves with the ready child, or with why it failed and whether to retry. */
function spawnOnce(port: number, dir: string, options: StartRedisOptions): Promise<SpawnResult> {
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  // prettier-ignore
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', options.appendOnly ? 'yes' : 'no',
    '--dir', dir,
    '--protected-mode', 'no',
    ...(options.extraArgs ?? []),
  ];
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', 'redis-server', ...args], { stdio })
    : spawn('redis-server', args, { stdio });

  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const finish = (result: SpawnResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeListener('exit', onEarlyExit);
      resolve(result);
    };
    const capture = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_LOG_CHARS);
      if (!settled && output.includes(READY_LINE)) finish({ child });
    };
    // Keep draining both pipes for the child's whole life: a full pipe would block redis.
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);

    child.once('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      closeStreams(child);
      finish({ error: missing ? new Error(NOT_FOUND_MESSAGE) : error, retry: false });
    });
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) => {
      closeStreams(child);
      const why = `redis-server on port ${port} exited early (code ${code}, signal ${signal})`;
      // Most likely the port was taken between probing and binding: retry.
      finish({ error: new Error(`${why}:\n${output}`), retry: true });
    };
    child.once('exit', onEarlyExit);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      closeStreams(child);
      const why = `redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms`;
      finish({ error: new Error(`${why}:\n${output}`), retry: false });
    }, READY_TIMEOUT_MS);
  });
}

function makeHandle(child: ChildProcess, port: number, dir: string, ownsDir: boolean) {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let cleanup: Promise<void> | undefined;
  // Shared by stop() and kill(): wait for the exit, then release the pipes and the temp dir.
  const finished = () =>
    (cleanup ??= exited.then(async () => {
      // Destroy rather than wait for 'close': a forked AOF-rewrite child could hold the pipes open.
      closeStreams(child);
      if (ownsDir) await removeTempDir(dir);
    }));

  let stopping: Promise<void> | undefined;
  const handle: RedisServerHandle = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    stop() {
      return (stopping ??= (async () => {
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(escalate);
        await finished();
      })());
    },
    async kill() {
      // Even while a graceful stop is pending, SIGKILL now: crash tests want an abrupt death.
      child.kill('SIGKILL');
      await finished();
    },
  };
  return handle;
}

async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function closeStreams(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** The absolute path of an executable found on PATH, or undefined. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
