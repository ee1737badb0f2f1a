import { describeCoreScenarios } from './core-scenarios';
import { http } from './utils/http';
import { startEntraPair, type EntraPair } from './utils/entra-pair';
import { randomGuid } from './utils/identity-provider';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { startSampleInstance, testConfig, type SampleInstance } from './utils/sample-instance';
import { closeAll, connectClient, connectError } from './utils/socket-client';

// Two sample instances sharing a real Redis, Entra ID tokens from a local identity provider.
describe('two instances on Redis, Entra ID tokens', () => {
  let redis: RedisServerHandle;
  let pair: EntraPair;
  const runSteps = 3;

  beforeAll(async () => {
    redis = await startRedisServer();
    pair = await startEntraPair(redis.url, { runSteps, runStepMs: 40 });
  });

  afterAll(async () => {
    await pair?.close();
    await redis?.stop();
  });

  describeCoreScenarios('core scenarios', () => ({
    urls: () => [pair.instances[0].url, pair.instances[1].url],
    runSteps,
    tokenFor: (name) => pair.tokenFor(name),
  }));

  describe('5. handshake refusals carry the protocol code', () => {
    const url = () => pair.instances[0].url;

    it('a missing token: token_missing', async () => {
      expect(await connectError(url(), {})).toEqual({
        message: 'unauthorized',
        data: { code: 'token_missing' },
      });
    });

    it('an expired token: token_expired', async () => {
      const token = await pair.idp.issueToken({ expiresInSeconds: -3600 });
      expect(await connectError(url(), { auth: { token } })).toEqual({
        message: 'unauthorized',
        data: { code: 'token_expired' },
      });
    });

    it('a token for another audience: token_invalid', async () => {
      const token = await pair.idp.issueToken({ claims: { aud: 'api://another-api' } });
      expect(await connectError(url(), { auth: { token } })).toEqual({
        message: 'unauthorized',
        data: { code: 'token_invalid' },
      });
    });

    it('a token from a tenant outside the allow-list: tenant_not_allowed, with no key fetched', async () => {
      const otherTenant = randomGuid();
      const token = await pair.idp.issueToken({ tid: otherTenant });
      pair.idp.resetCounts();
      expect(await connectError(url(), { auth: { token } })).toEqual({
        message: 'unauthorized',
        data: { code: 'tenant_not_allowed' },
      });
      expect(pair.idp.requestCount()).toBe(0);
    });

    it('a valid token connects, from auth.token, a Bearer prefix, or the Authorization header', async () => {
      const token = await pair.idp.issueToken();
      const sockets = [
        await connectClient(url(), token),
        await connectClient(url(), `Bearer ${token}`),
        await connectClient(url(), undefined, {
          extraHeaders: { authorization: `Bearer ${token}` },
          transports: ['polling'],
        }),
      ];
      expect(sockets.every((s) => s.connected)).toBe(true);
      closeAll(...sockets);
    });
  });

  it('/health names the Redis check and answers 200 while Redis is up', async () => {
    for (const instance of pair.instances) {
      const res = await http(`${instance.url}/health`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        details: {
          gateway: { status: 'up', connections: expect.any(Number) },
          redis: { status: 'up' },
        },
      });
    }
  });

  it('/dev/token does not exist outside dev mode', async () => {
    expect((await http(`${pair.instances[0].url}/dev/token?user=alice`)).status).toBe(404);
  });
});

describe('dev identity on Redis', () => {
  let redis: RedisServerHandle;
  let instances: SampleInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const config = testConfig({ authMode: 'dev', redisUrl: redis.url });
    // One after the other, as a scale-out adds instances: the second must adopt the first's key.
    instances = [await startSampleInstance(config), await startSampleInstance(config)];
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await redis?.stop();
  });

  it('a token minted by one instance is accepted by the other, over HTTP and socket.io', async () => {
    const minted = await http<{
      access_token: string;
      oid: string;
      token_type: string;
      expires_in: number;
    }>(`${instances[0].url}/dev/token?user=alice`);
    expect(minted.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(minted.body.oid).toMatch(/^[0-9a-f-]{36}$/);
    const again = await http<{ oid: string }>(`${instances[1].url}/dev/token?user=alice`);
    expect(again.body.oid).toBe(minted.body.oid);
    const res = await http(`${instances[1].url}/api/runs`, {
      method: 'POST',
      token: minted.body.access_token,
    });
    expect(res.status).toBe(202);
    const socket = await connectClient(instances[1].url, minted.body.access_token);
    socket.close();
  });
});
