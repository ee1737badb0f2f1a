import { SampleConfigError, loadConfig } from './config';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = 'a1b2c3d4-1111-2222-3333-444455556666';

describe('sample loadConfig', () => {
  it('refuses to start with neither AUTH_MODE nor AZURE_TENANT_ID, saying how to configure', () => {
    expect(() => loadConfig({})).toThrow(SampleConfigError);
    expect(() => loadConfig({})).toThrow(/AZURE_TENANT_ID.*AUTH_MODE=dev/s);
  });

  it('defaults to entra when AZURE_TENANT_ID is set, audiences from AZURE_CLIENT_ID', () => {
    const config = loadConfig({
      AZURE_TENANT_ID: `${TENANT}, ${TENANT.replace('7', '6')}`,
      AZURE_CLIENT_ID: CLIENT,
    });
    expect(config).toMatchObject({
      authMode: 'entra',
      tenants: [TENANT, TENANT.replace('7', '6')],
      audiences: [CLIENT, `api://${CLIENT}`],
      port: 3000,
      host: '0.0.0.0',
      redisMode: 'classic',
      authorityHost: 'https://login.microsoftonline.com',
      runSteps: 5,
      runStepMs: 1000,
    });
    expect(config.redisUrl).toBeUndefined();
  });

  it('AZURE_AUDIENCE replaces the derived audiences', () => {
    expect(
      loadConfig({ AZURE_TENANT_ID: TENANT, AZURE_AUDIENCE: 'api://x,api://y' }).audiences,
    ).toEqual(['api://x', 'api://y']);
  });

  it('reads every variable of the contract', () => {
    expect(
      loadConfig({
        AUTH_MODE: 'dev',
        PORT: '8081',
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://r:6380',
        REDIS_MODE: 'sharded',
        RUN_STEPS: '2',
        RUN_STEP_MS: '10',
        AZURE_AUTHORITY_HOST: 'http://127.0.0.1:9999',
      }),
    ).toMatchObject({
      authMode: 'dev',
      port: 8081,
      host: '127.0.0.1',
      redisUrl: 'redis://r:6380',
      redisMode: 'sharded',
      runSteps: 2,
      runStepMs: 10,
      authorityHost: 'http://127.0.0.1:9999',
    });
  });

  it.each([
    [{ AUTH_MODE: 'basic' }, /AUTH_MODE must be/],
    [{ AUTH_MODE: 'entra' }, /needs AZURE_TENANT_ID/],
    [{ AZURE_TENANT_ID: TENANT }, /needs AZURE_CLIENT_ID/],
    [{ AUTH_MODE: 'dev', REDIS_MODE: 'cluster' }, /REDIS_MODE/],
    [{ AUTH_MODE: 'dev', PORT: 'eighty' }, /PORT must be an integer/],
    [{ AUTH_MODE: 'dev', RUN_STEPS: '-1' }, /RUN_STEPS/],
  ])('rejects %p', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
