import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { http } from './utils/http';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { freePort } from './utils/ports';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';
import type { StatusUpdate } from '../src/protocol/messages';

const MAIN = join(__dirname, '..', 'dist', 'sample', 'main.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

async function waitForListening(started: Started, url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (started.child.exitCode !== null) throw new Error(`exited early:\n${started.output()}`);
    try {
      if ((await fetch(`${url}/health`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`did not start:\n${started.output()}`);
}

// `node dist/sample/main.js`, configured only by the environment, as PROTOCOL.md §1 promises.
describe('compiled sample (node dist/sample/main.js)', () => {
  let redis: RedisServerHandle;

  beforeAll(async () => {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does).`);
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('refuses to start without an auth configuration, saying how to configure', async () => {
    const started = run({ PORT: String(await freePort()) });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/Set AZURE_TENANT_ID and AZURE_CLIENT_ID .* or AUTH_MODE=dev/);
  });

  it('serves the page, runs a task end to end on Redis, and drains on SIGTERM with exit code 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const started = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_MODE: 'dev',
      REDIS_URL: redis.url,
      RUN_STEPS: '2',
      RUN_STEP_MS: '20',
    });
    try {
      await waitForListening(started, url);
      const page = await http<string>(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<html');
      // Every script the page loads is served.
      const scripts = page.body.match(/(?<=<script src=")[^"]+/g) ?? [];
      expect(scripts).toEqual(['/notifications-sdk.js', '/run-list.js', '/app.js']);
      for (const src of scripts) expect((await http(`${url}${src}`)).status).toBe(200);
      const metrics = await http<string>(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^# HELP /m);

      const { body: token } = await http<{ access_token: string }>(`${url}/dev/token?user=carol`);
      const socket = await connectClient(url, token.access_token);
      const received = record<StatusUpdate>(socket, 'statusUpdate');
      const { body: created } = await http<{ runId: string }>(`${url}/api/runs`, {
        method: 'POST',
        token: token.access_token,
      });
      await emitWithAck(socket, 'subscribeToRun', { runId: created.runId, afterSeq: 0 });
      await waitUntil(socket, () => received.some((u) => u.status === 'completed'));
      expect([...new Set(received.map((u) => u.seq))].sort()).toEqual([1, 2, 3, 4, 5]);

      const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      await disconnected;
      closeAll(socket);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  });
});
