import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * SIGTERM/SIGINT: close the app (which drains) and exit 0; exit 1 if closing fails. Nest's own
 * shutdown hooks re-raise the signal after closing, which exits 143 instead.
 */
export function exitOnSignals(
  app: INestApplicationContext,
  logger: LoggerService,
  beforeClose: () => void = () => undefined,
): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: draining`);
    beforeClose();
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
