import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { configOrExit } from './config-or-exit';
import { createSampleApp } from './create-app';
import { exitOnSignals } from './shutdown';

async function main(): Promise<void> {
  const logger = new Logger('Sample');
  const config = configOrExit(logger);
  const app = await createSampleApp(config);
  await app.listen(config.port, config.host);
  logger.log(
    `Listening on ${await app.getUrl()} (auth: ${config.authMode}, redis: ${config.redisUrl ? config.redisMode : 'none'}, tasks: ${config.taskRunner})`,
  );
  exitOnSignals(app, logger, () => {
    // Stop accepting first: a load balancer then sends new connections to the other instances
    // while this one finishes its in-flight work.
    // (Since Node 19, close() also closes idle keep-alive connections.)
    (app.getHttpServer() as Server).close();
  });
}

void main();
