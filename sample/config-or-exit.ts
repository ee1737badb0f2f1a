import type { LoggerService } from '@nestjs/common';
import { SampleConfigError, loadConfig, type SampleConfig } from './config';

/** Reads the environment (`env`), or exits 1 with a message that says how to configure. */
export function configOrExit(
  logger: LoggerService,
  env: NodeJS.ProcessEnv = process.env,
): SampleConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof SampleConfigError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
