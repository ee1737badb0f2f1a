import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { NotificationsModule, type NotificationsModuleOptions } from '../lib';
import type { SampleConfig } from './config';
import { DEV_AUDIENCES, DEV_TENANT_ID, DevIdentity } from './dev-identity/dev-identity';
import { DevTokenController } from './dev-identity/dev-token.controller';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { RunsController } from './runs/runs.controller';
import { redisTarget } from './redis-client';
import { taskQueueProvider } from './runs/task-queue';
import { TaskRunner } from './runs/task-runner.service';
import { SAMPLE_CONFIG } from './sample.constants';
import { WebController } from './web/web.controller';

/** Maps the sample's configuration to the module's options. */
export function notificationsOptions(
  config: SampleConfig,
  dev?: DevIdentity,
): NotificationsModuleOptions {
  const auth =
    config.authMode === 'dev'
      ? {
          tenants: [DEV_TENANT_ID],
          audiences: DEV_AUDIENCES,
          tokenVersions: ['2.0' as const],
          signingKeys: dev,
        }
      : {
          tenants: config.tenants,
          audiences: config.audiences,
          authorityHost: config.authorityHost,
        };
  return {
    auth,
    redis: config.redisUrl
      ? { ...redisTarget(config.redisUrl), mode: config.redisMode }
      : undefined,
  };
}

/** The sample app: the notifications module, a simulated task, the page, health and metrics. */
@Module({})
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    const configProvider: Provider = { provide: SAMPLE_CONFIG, useValue: config };
    const devProviders: Provider[] =
      config.authMode === 'dev'
        ? [{ provide: DevIdentity, useFactory: () => DevIdentity.create(config.redisUrl) }]
        : [];

    @Module({
      providers: [configProvider, ...devProviders],
      exports: [configProvider, ...devProviders],
    })
    class SampleCoreModule {}

    return {
      module: AppModule,
      imports: [
        SampleCoreModule,
        // Health failures are answered with 503 and their reasons; no need to log each one.
        TerminusModule.forRoot({ logger: false }),
        NotificationsModule.forRootAsync({
          imports: [SampleCoreModule],
          inject: config.authMode === 'dev' ? [DevIdentity] : [],
          useFactory: (dev?: DevIdentity) => notificationsOptions(config, dev),
        }),
      ],
      controllers: [
        RunsController,
        HealthController,
        MetricsController,
        ...(config.authMode === 'dev' ? [DevTokenController] : []),
        WebController,
      ],
      providers: [
        TaskRunner,
        ...(config.taskRunner === 'worker' ? [taskQueueProvider(config.redisUrl as string)] : []),
      ],
    };
  }
}
