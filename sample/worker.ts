import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configOrExit } from './config-or-exit';
import { exitOnSignals } from './shutdown';
import { WorkerModule } from './worker.module';

/** `node dist/sample/worker.js`: runs simulated tasks taken from Redis (TASK_RUNNER=worker on the instances). */
async function worker(): Promise<void> {
  const logger = new Logger('Worker');
  const config = configOrExit(logger);
  if (!config.redisUrl) {
    logger.error('The worker needs REDIS_URL: it takes tasks from Redis and publishes through it.');
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(
    WorkerModule.register({ ...config, taskRunner: 'worker' }),
  );
  await app.init();
  logger.log(`Worker running (redis: ${config.redisMode})`);
  exitOnSignals(app, logger);
}

void worker();
