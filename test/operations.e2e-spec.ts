import { Redis } from 'ioredis';
import { TaskGateway } from '../lib';
import { http } from './utils/http';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { startSampleInstance, testConfig, type SampleInstance } from './utils/sample-instance';
import {
  closeAll,
  connectClient,
  connectError,
  emitWithAck,
  record,
  waitUntil,
} from './utils/socket-client';

interface Health {
  status: string;
  details: Record<string, { status: string; message?: string }>;
}

/** Parses Prometheus text exposition strictly enough to catch a malformed line. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:[0-9.e+-]+|NaN|\+Inf|-Inf))$/;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = sample.exec(line);
    if (!match) throw new Error(`not Prometheus exposition: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('operations: health, metrics', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  let instance: SampleInstance;
  let admin: Redis;

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    instance = await startSampleInstance(
      testConfig({
        authMode: 'entra',
        tenants: [idp.tenantId],
        audiences: [idp.audience],
        authorityHost: idp.authorityHost,
        redisUrl: redis.url,
      }),
    );
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await instance?.close();
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  it('health: killing the adapter’s subscriber connection turns the pub/sub probe red until ioredis resubscribes', async () => {
    // Not ready until Redis is: right after start the command connection may still be connecting.
    let healthy = await http<Health>(`${instance.url}/health`);
    for (let i = 0; i < 50 && healthy.status !== 200; i++)
      healthy = await http<Health>(`${instance.url}/health`);
    expect(healthy.status).toBe(200);
    expect(healthy.body.details.redis).toEqual({ status: 'up' });

    // The command connection still answers PING: only the pub/sub round trip can see this.
    expect(Number(await admin.client('KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1);
    const red = await http<Health>(`${instance.url}/health`);
    expect(red.status).toBe(503);
    expect(red.body.status).toBe('error');
    expect(red.body.details.redis).toMatchObject({ status: 'down' });

    let green = red;
    for (let i = 0; i < 50 && green.status !== 200; i++)
      green = await http<Health>(`${instance.url}/health`);
    expect(green.status).toBe(200);
  });

  it('metrics: the counters move as a scripted session expects, and the text parses as Prometheus exposition', async () => {
    const before = parsePrometheus((await http<string>(`${instance.url}/metrics`)).body);
    const oid = randomGuid();
    const socket = await connectClient(instance.url, await idp.issueToken({ oid }));
    await connectError(instance.url, { auth: { token: 'not-a-jwt' } });
    await connectError(instance.url, {});
    const notes = record(socket, 'notification');
    const token = await idp.issueToken({ oid });
    const { body } = await http<{ runId: string }>(`${instance.url}/api/runs`, {
      method: 'POST',
      token,
    });
    await emitWithAck(socket, 'subscribeToRun', { runId: body.runId, afterSeq: 0 });
    await emitWithAck(socket, 'subscribeToRun', 'no-such-run');
    await waitUntil(socket, () => notes.length === 1);
    // The adapter emits to local sockets at once and publishes to Redis for the other instances:
    // its own copies come back through the subscriber a moment later, with no event to wait on.
    const roomMessages = 'notifications_redis_messages_received_total{channel="room"}';
    let after = parsePrometheus((await http<string>(`${instance.url}/metrics`)).body);
    for (
      let i = 0;
      i < 50 && (after.get(roomMessages) ?? 0) - (before.get(roomMessages) ?? 0) < 7;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = parsePrometheus((await http<string>(`${instance.url}/metrics`)).body);
    }
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

    expect(delta('notifications_handshakes_total{outcome="accepted",code=""}')).toBe(1);
    expect(delta('notifications_handshakes_total{outcome="refused",code="token_invalid"}')).toBe(1);
    expect(delta('notifications_handshakes_total{outcome="refused",code="token_missing"}')).toBe(1);
    expect(delta('notifications_subscribe_requests_total{result="ok"}')).toBe(1);
    expect(delta('notifications_subscribe_requests_total{result="not_found"}')).toBe(1);
    // running + progress × 3 + completed, all published by this instance; queued is stored with
    // the run, not emitted (it reaches the subscriber by replay).
    expect(delta('notifications_messages_emitted_total{kind="status_update"}')).toBe(5);
    expect(delta('notifications_messages_emitted_total{kind="notification"}')).toBe(1);
    const replayed = delta('notifications_replayed_updates_total');
    expect(replayed).toBeGreaterThanOrEqual(1);
    expect(delta('notifications_messages_emitted_total{kind="replay"}')).toBe(replayed);
    expect(after.get('notifications_connected_sockets')).toBe(1);
    // The run is created with its queued update (one create), then five appends.
    expect(delta('notifications_run_store_duration_seconds_count{operation="create"}')).toBe(1);
    expect(delta('notifications_run_store_duration_seconds_count{operation="append"}')).toBe(5);
    // The five emitted updates and the notification came back through Redis's room channel.
    expect(
      delta('notifications_redis_messages_received_total{channel="room"}'),
    ).toBeGreaterThanOrEqual(6);
    expect(
      after.get('process_cpu_user_seconds_total') ??
        after.get('notifications_sample_process_cpu_user_seconds_total'),
    ).toBeDefined();
    closeAll(socket);
  });

  it('readiness: /health answers 503 while the instance drains', async () => {
    const socket = await connectClient(instance.url, await idp.issueToken());
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    instance.app.get(TaskGateway).onModuleDestroy();
    await closed;
    const res = await http<Health>(`${instance.url}/health`);
    expect(res.status).toBe(503);
    expect(res.body.details.gateway).toEqual({ status: 'down', message: 'draining' });
    expect(await connectError(instance.url, { auth: { token: await idp.issueToken() } })).toEqual({
      message: 'unauthorized',
      data: { code: 'auth_unavailable' },
    });
  });
});
