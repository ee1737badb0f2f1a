import { http } from './utils/http';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { spawnSampleProcess, startSampleProcess } from './utils/sample-process';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';
import type { StatusUpdate } from '../src/protocol/messages';

// `node dist/sample/main.js`, configured only by the environment, as PROTOCOL.md §1 promises.
describe('compiled sample (node dist/sample/main.js)', () => {
  let redis: RedisServerHandle;

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('refuses to start without an auth configuration, saying how to configure', async () => {
    const started = await spawnSampleProcess({});
    expect(await started.exitCodeWithin(10_000)).toBe(1);
    expect(started.output()).toMatch(/Set AZURE_TENANT_ID and AZURE_CLIENT_ID .* or AUTH_MODE=dev/);
  });

  it('runs no worker without REDIS_URL, saying why', async () => {
    const started = await spawnSampleProcess({ AUTH_MODE: 'dev' }, { entry: 'worker' });
    expect(await started.exitCodeWithin(10_000)).toBe(1);
    expect(started.output()).toMatch(/TASK_RUNNER=worker needs REDIS_URL/);
  });

  it('serves the page, runs a task end to end on Redis, and drains on SIGTERM with exit code 0', async () => {
    const started = await startSampleProcess({
      AUTH_MODE: 'dev',
      REDIS_URL: redis.url,
      RUN_STEPS: '2',
      RUN_STEP_MS: '20',
    });
    const { url } = started;
    try {
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
      expect(await started.stop()).toBe(0);
      await disconnected;
      closeAll(socket);
    } finally {
      await started.kill();
    }
  });
});
