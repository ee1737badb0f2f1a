/** Reconnection delays: exponential, capped, with jitter so that clients do not return in step. */
export interface BackoffOptions {
  /** @default 500 */
  initialDelayMs?: number;
  /** @default 15000 */
  maxDelayMs?: number;
  /** @default 2 */
  factor?: number;
  /** Fraction of the delay drawn at random (0: none, 1: anywhere from 0 to the delay). @default 0.5 */
  jitter?: number;
}

/** The delay before reconnection attempt `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 15_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0.5, 0), 1);
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(base * (1 - jitter * random()));
}
