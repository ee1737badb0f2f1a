import type { LoggerService } from '@nestjs/common';
import { SampleConfigError, loadConfig, type SampleConfig } from './config';

/** Reads the environment, or exits 1 with a message that says how to configure. */
export function configOrExit(logger: LoggerService): SampleConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof SampleConfigError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
