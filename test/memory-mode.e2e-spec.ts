import { describeCoreScenarios } from './core-scenarios';
import { http } from './utils/http';
import { startSampleInstance, testConfig, type SampleInstance } from './utils/sample-instance';

// Scenario 6: one instance, no Redis, the dev identity.
describe('in-memory mode, one instance', () => {
  let instance: SampleInstance;
  const runSteps = 3;

  beforeAll(async () => {
    instance = await startSampleInstance(testConfig({ authMode: 'dev', runSteps, runStepMs: 30 }));
  });
  afterAll(() => instance?.close());

  describeCoreScenarios('core scenarios', () => ({
    urls: () => [instance.url, instance.url],
    runSteps,
    tokenFor: async (name) => {
      const res = await http<{ access_token: string; oid: string }>(
        `${instance.url}/dev/token?user=${name}`,
      );
      return { token: res.body.access_token, userId: res.body.oid };
    },
  }));

  it('answers /health with 200 and names each check', async () => {
    const res = await http(`${instance.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: {
        gateway: { status: 'up', connections: 0 },
        redis: { status: 'up', message: 'in-memory mode' },
      },
    });
  });
});
