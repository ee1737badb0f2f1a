import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from './ports';
import { delay } from './wait';

const DIST = join(__dirname, '..', '..', 'dist', 'sample');

/** A compiled sample process: an instance (`main.js`) or the worker (`worker.js`). */
export interface SampleProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /**
   * The exit code of a process expected to end by itself; one still running after `ms` is killed,
   * and the call rejects with its output (a refusal that did not happen, not a jest timeout).
   */
  exitCodeWithin(ms: number): Promise<number | null>;
}

interface SampleProcessOptions {
  entry?: 'main' | 'worker';
  port?: number;
}

/** Starts `node dist/sample/<entry>.js` with the environment given; resolves once it is ready. */
export async function startSampleProcess(
  env: Record<string, string>,
  options: SampleProcessOptions = {},
): Promise<SampleProcess> {
  const handle = await spawnSampleProcess(env, options);
  const entry = options.entry ?? 'main';
  const ready =
    entry === 'main'
      ? () => healthy(handle.url)
      : () => Promise.resolve(/Worker running/.test(handle.output()));
  for (let i = 0; i < 300; i++) {
    if (handle.child.exitCode !== null)
      throw new Error(`sample ${entry} exited early:\n${handle.output()}`);
    if (await ready()) return handle;
    await delay(50);
  }
  await handle.kill();
  throw new Error(`sample ${entry} did not become ready:\n${handle.output()}`);
}

/** Starts `node dist/sample/<entry>.js` without waiting: for a process expected to refuse to start. */
export async function spawnSampleProcess(
  env: Record<string, string>,
  options: SampleProcessOptions = {},
): Promise<SampleProcess> {
  const entry = options.entry ?? 'main';
  const script = join(DIST, `${entry}.js`);
  if (!existsSync(script))
    throw new Error(`${script} is missing: run "npm run build" first (npm test does).`);
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '',
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const handle: SampleProcess = {
    port,
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async exitCodeWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const running = Symbol('running');
      const outcome = await Promise.race([
        exited,
        new Promise<typeof running>((resolve) => (timer = setTimeout(() => resolve(running), ms))),
      ]);
      clearTimeout(timer);
      if (outcome !== running) return outcome;
      await handle.kill();
      throw new Error(`sample ${entry} still ran after ${ms} ms:\n${output}`);
    },
  };
  return handle;
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).status === 200;
  } catch {
    return false;
  }
}
