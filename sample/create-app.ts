import { Logger, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisIoAdapter } from '../lib';
import { AppModule } from './app.module';
import type { SampleConfig } from './config';

/** Creates the sample app (not yet listening), with the notifications adapter installed. */
export async function createSampleApp(
  config: SampleConfig,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config), { logger: options.logger });
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  if (!config.redisUrl) {
    new Logger('Sample').warn('REDIS_URL is not set: in-memory mode, one instance only.');
  }
  return app;
}
