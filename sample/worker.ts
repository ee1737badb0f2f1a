import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configOrExit } from './config-or-exit';
import { exitOnSignals } from './shutdown';
import { WorkerModule } from './worker.module';

/** `node dist/sample/worker.js`: runs simulated tasks taken from Redis (TASK_RUNNER=worker on the instances). */
async function worker(): Promise<void> {
  const logger = new Logger('Worker');
  // The worker is the other end of TASK_RUNNER=worker, and needs what it needs (REDIS_URL).
  const config = configOrExit(logger, { ...process.env, TASK_RUNNER: 'worker' });
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config));
  await app.init();
  logger.log(`Worker running (redis: ${config.redisMode})`);
  exitOnSignals(app, logger);
}

void worker();
