import { isValidRunId } from '../../src/protocol/run-id';

/** A parsed `subscribeToRun` argument. */
export interface SubscribeArgs {
  runId: string;
  afterSeq: number;
  /**
   * Present when the client tracks which run it follows under the id (the ack then says when
   * that run was created): the creation time from an earlier ack, or null before it knows.
   */
  createdAt?: string | null;
}

// Longer than any ISO-8601 time a store writes; bounds what a hostile client can make us compare.
const MAX_CREATED_AT_LENGTH = 64;

/**
 * Parses `"runId"` or `{runId, afterSeq?, createdAt?}`. Returns undefined for anything else, so the
 * gateway answers `invalid_argument` without ever throwing on hostile input.
 */
export function parseSubscribeArgs(body: unknown): SubscribeArgs | undefined {
  if (typeof body === 'string')
    return isValidRunId(body) ? { runId: body, afterSeq: 0 } : undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { runId, afterSeq, createdAt } = body as {
    runId?: unknown;
    afterSeq?: unknown;
    createdAt?: unknown;
  };
  if (!isValidRunId(runId)) return undefined;
  const args: SubscribeArgs = { runId, afterSeq: 0 };
  if (afterSeq !== undefined && afterSeq !== null) {
    if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0)
      return undefined;
    args.afterSeq = afterSeq;
  }
  if (createdAt === null) args.createdAt = null;
  else if (createdAt !== undefined) {
    if (
      typeof createdAt !== 'string' ||
      createdAt.length === 0 ||
      createdAt.length > MAX_CREATED_AT_LENGTH
    )
      return undefined;
    args.createdAt = createdAt;
  }
  return args;
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
