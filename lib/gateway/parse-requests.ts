import { isValidRunId } from '../../src/protocol/run-id';

/** A parsed `subscribeToRun` argument. */
export interface SubscribeArgs {
  runId: string;
  afterSeq: number;
}

/**
 * Parses `"runId"` or `{runId, afterSeq?}`. Returns undefined for anything else, so the gateway
 * answers `invalid_argument` without ever throwing on hostile input.
 */
export function parseSubscribeArgs(body: unknown): SubscribeArgs | undefined {
  if (typeof body === 'string')
    return isValidRunId(body) ? { runId: body, afterSeq: 0 } : undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { runId, afterSeq } = body as { runId?: unknown; afterSeq?: unknown };
  if (!isValidRunId(runId)) return undefined;
  if (afterSeq === undefined || afterSeq === null) return { runId, afterSeq: 0 };
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0)
    return undefined;
  return { runId, afterSeq };
}

/** Parses `"runId"` or `{runId}` of `unsubscribeFromRun`. */
export function parseRunIdArg(body: unknown): string | undefined {
  if (typeof body === 'string') return isValidRunId(body) ? body : undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { runId } = body as { runId?: unknown };
  return isValidRunId(runId) ? runId : undefined;
}

/** Parses `{token}` of `refreshToken` (a bare string is tolerated). */
export function parseTokenArg(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { token } = body as { token?: unknown };
  return typeof token === 'string' ? token : undefined;
}
