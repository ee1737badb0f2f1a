import type { INestApplication } from '@nestjs/common';
import type { SampleConfig } from '../../sample/config';
import { createSampleApp } from '../../sample/create-app';

/** A running sample instance on an ephemeral port. */
export interface SampleInstance {
  app: INestApplication;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Sample configuration for tests: fast simulated tasks, loopback, port 0. */
export function testConfig(overrides: Partial<SampleConfig>): SampleConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    redisMode: 'classic',
    authMode: 'dev',
    tenants: [],
    audiences: [],
    authorityHost: 'https://login.microsoftonline.com',
    runSteps: 3,
    runStepMs: 40,
    taskRunner: 'inline',
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
}

/** Starts the sample app in this process, listening on 127.0.0.1 port 0. */
export async function startSampleInstance(config: SampleConfig): Promise<SampleInstance> {
  const app = await createSampleApp(config, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
