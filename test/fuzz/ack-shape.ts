import { AckErrorCodes } from '../../src/protocol/error-codes';

/**
 * The acknowledgements the fuzz suite accepts: PROTOCOL.md §4's shape for each event the gateway
 * handles, with only the error codes documented for that event.
 */

/** The events the gateway handles; everything else is an unknown event. */
export const KNOWN_EVENTS = ['subscribeToRun', 'unsubscribeFromRun', 'refreshToken'] as const;
export type KnownEvent = (typeof KNOWN_EVENTS)[number];

/** Error codes §4 of PROTOCOL.md documents per event ('internal' is in none of them). */
const DOCUMENTED_CODES: Record<KnownEvent, readonly string[]> = {
  subscribeToRun: ['invalid_argument', 'not_found', 'too_many_subscriptions', 'rate_limited'],
  // §4 only says "{ok:true} or error": accept the codes documented for the other two events.
  unsubscribeFromRun: [
    'invalid_argument',
    'not_found',
    'too_many_subscriptions',
    'rate_limited',
    'token_invalid',
    'token_expired',
    'user_mismatch',
  ],
  // rate_limited: each refresh costs a signature check, so it shares the subscribe budget.
  refreshToken: ['token_invalid', 'token_expired', 'user_mismatch', 'rate_limited'],
};

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function hasExactKeys(value: object, keys: string[], optional: string[] = []): boolean {
  const own = Object.keys(value);
  return (
    keys.every((k) => own.includes(k)) && own.every((k) => keys.includes(k) || optional.includes(k))
  );
}

/**
 * Checks one acknowledgement against §4: `{ok:false, error:{code, message}}` with a documented
 * code for the event, or the event's `ok:true` shape. Returns what is wrong, or undefined.
 */
export function ackProblem(event: KnownEvent, ack: unknown): string | undefined {
  const describe = () => `${event} acked ${JSON.stringify(ack)?.slice(0, 300)}`;
  if (ack === null || typeof ack !== 'object' || Array.isArray(ack)) return describe();
  const a = ack as Record<string, unknown>;
  if (a.ok === false) {
    const error = a.error as Record<string, unknown> | undefined;
    if (!hasExactKeys(a, ['ok', 'error']) || !error || typeof error !== 'object') return describe();
    if (!hasExactKeys(error, ['code', 'message']) || typeof error.message !== 'string')
      return describe();
    const code = error.code as string;
    if (!Object.values(AckErrorCodes).includes(code as never)) return `unknown code: ${describe()}`;
    if (!DOCUMENTED_CODES[event].includes(code)) return `undocumented code: ${describe()}`;
    return undefined;
  }
  if (a.ok !== true) return describe();
  switch (event) {
    case 'subscribeToRun':
      return hasExactKeys(a, ['ok', 'runId', 'lastSeq', 'replayed'], ['gap']) &&
        typeof a.runId === 'string' &&
        Number.isSafeInteger(a.lastSeq) &&
        Number.isSafeInteger(a.replayed)
        ? undefined
        : describe();
    case 'unsubscribeFromRun':
      return hasExactKeys(a, ['ok']) ? undefined : describe();
    case 'refreshToken':
      return hasExactKeys(a, ['ok', 'expiresAt']) && ISO_MS.test(String(a.expiresAt))
        ? undefined
        : describe();
  }
}
