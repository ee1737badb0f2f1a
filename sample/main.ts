import { Logger } from '@nestjs/common';
import { SampleConfigError, loadConfig } from './config';
import { createSampleApp } from './create-app';

async function main(): Promise<void> {
  const logger = new Logger('Sample');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof SampleConfigError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createSampleApp(config);
  await app.listen(config.port, config.host);
  logger.log(
    `Listening on ${await app.getUrl()} (auth: ${config.authMode}, redis: ${config.redisUrl ? config.redisMode : 'none'})`,
  );

  // SIGTERM drains and exits 0 (Nest's own shutdown hooks re-raise the signal, which exits 143).
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: draining`);
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`Shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
