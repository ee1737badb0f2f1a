import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';

/** One line recorded by {@link CaptureLogger}. */
export interface CapturedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  /** The message and every extra parameter (context, stack, objects), rendered in full. */
  text: string;
}

/** Renders a log argument without truncation, so that nothing long can hide in an ellipsis. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.message}\n${value.stack ?? ''}`;
  return inspect(value, {
    depth: Infinity,
    maxArrayLength: Infinity,
    maxStringLength: Infinity,
    breakLength: Infinity,
  });
}

/**
 * A Nest `LoggerService` that records every line at every level and prints nothing. It has no
 * `setLogLevels`, so Nest filters no level out: debug and verbose lines are recorded too.
 */
export class CaptureLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.record('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.record('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.record('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.record('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.record('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.record('fatal', message, params);
  }

  /** The recorded lines that contain any of `needles` (empty needles are ignored). */
  linesContaining(needles: string[]): CapturedLine[] {
    const wanted = needles.filter((needle) => needle.length > 0);
    return this.lines.filter((line) => wanted.some((needle) => line.text.includes(needle)));
  }

  private record(level: CapturedLine['level'], message: unknown, params: unknown[]): void {
    this.lines.push({ level, text: [message, ...params].map(render).join(' ') });
  }
}
