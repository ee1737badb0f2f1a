import { randomUUID } from 'node:crypto';
import { AckErrorCodes } from '../../src/protocol/error-codes';

/**
 * Malformed client → server messages for the fuzz suite, and the checks their acknowledgements
 * must pass. Seeded, so that a failing run can be replayed with the same messages.
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
  refreshToken: ['token_invalid', 'token_expired', 'user_mismatch'],
};

/** What an attacker knows, to build messages that look valid but are not theirs. */
export interface FuzzContext {
  /** The attacker's own valid token (a refresh with it succeeds). */
  ownToken: string;
  /** The attacker's own runs (subscribing to them succeeds). */
  ownRunIds: string[];
  /** Valid tokens that are not the attacker's: another user, expired, unknown key, forged… */
  foreignTokens: string[];
  /** Real run ids of other users. */
  foreignRunIds: string[];
  /**
   * The attacker uses HTTP long-polling. engine.io-client 6.6.8 packs queued packets into one POST
   * up to the server's limit by estimating their size, and the estimate goes wrong for binary
   * attachments: a zero-length one makes it NaN, so nothing is split any more and the POST exceeds
   * 64 KiB (the server answers 413 and closes the connection); others are underestimated by
   * ~0.3% (base64 taken as ×1.33). Both are client bugs, not the server's: a polling attacker
   * sends only binaries of a few bytes.
   */
  polling?: boolean;
}

/** One message to send: `socket.emit(event, ...args[, ack])`. */
export interface FuzzMessage {
  event: string | number;
  args: unknown[];
  /** Send with an ack callback. */
  ack: boolean;
  /** Category, for the report. */
  kind: string;
}

/** A small seeded PRNG (mulberry32): reproducible runs, no dependency. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `{a: {a: … leaf}}`, `depth` levels. Built iteratively: the builder itself must not recurse. */
export function nestedObject(depth: number, leaf: unknown = 'x'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** `[[[… leaf]]]`, `depth` levels. */
export function nestedArray(depth: number, leaf: unknown = 'x'): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Builds the fuzz messages of one attacker. */
export class FuzzGenerator {
  constructor(
    private readonly random: () => number,
    private readonly ctx: FuzzContext,
  ) {}

  /** A message of a random category; about 70% carry an ack callback. */
  next(): FuzzMessage {
    const categories: Array<[weight: number, kind: string, build: () => unknown[]]> = [
      [8, 'number', () => [this.pick([0, -1, 3.14, NaN, Infinity, -0, 2 ** 53 + 2, 1e308])]],
      [6, 'null/boolean/undefined', () => [this.pick([null, true, false, undefined])]],
      [8, 'array', () => [this.array()]],
      [10, 'nested object', () => [this.nested()]],
      [8, '__proto__/constructor keys', () => [this.protoKeys()]],
      [6, 'huge string (~30 KB)', () => [this.huge()]],
      [3, 'depth 1000', () => [this.deep()]],
      [7, 'binary', () => [this.binary()]],
      [12, 'run id of another user', () => [this.foreignRunArg()]],
      [8, 'bad token', () => [this.badToken()]],
      [6, 'extra arguments', () => [this.foreignRunArg(), this.pick(['extra', 42, null]), {}]],
      [3, 'no argument', () => []],
      [5, 'own run (valid)', () => [this.pick(this.ctx.ownRunIds)]],
    ];
    if (this.random() < 0.08) return this.unknownEvent();
    const [, kind, build] = this.weighted(categories);
    let event: KnownEvent = this.pick(KNOWN_EVENTS);
    // Token payloads make most sense against refreshToken; send them there half of the time.
    if (kind === 'bad token' && this.random() < 0.5) event = 'refreshToken';
    return { event, args: build(), ack: this.random() < 0.7, kind };
  }

  /** A message above the 64 KiB message limit: socket.io must close the connection. */
  oversized(): FuzzMessage {
    const event = this.pick(KNOWN_EVENTS);
    return {
      event,
      args: [{ runId: this.pick(this.ctx.foreignRunIds), pad: 'x'.repeat(70_000) }],
      ack: true,
      kind: 'oversized (> 64 KiB)',
    };
  }

  private unknownEvent(): FuzzMessage {
    // 'error' is special in Node's EventEmitter (throws without a listener); numbers are legal
    // event names on the wire; the others collide with Object.prototype or the server's events.
    const event = this.pick<string | number>([
      'subscribetorun',
      'subscribeToRun ',
      'SubscribeToRun',
      'error',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'statusUpdate',
      'notification',
      'authExpired',
      '',
      'e'.repeat(1000),
      42,
    ]);
    return {
      event,
      args: [this.foreignRunArg()],
      ack: this.random() < 0.5,
      kind: 'unknown event',
    };
  }

  private foreignRunArg(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    return this.pick<unknown>([
      runId,
      { runId },
      { runId, afterSeq: 0 },
      { runId: runId.toUpperCase() },
      `run:${runId}`,
      randomUUID(),
      { runId: randomUUID(), afterSeq: 3 },
      '__proto__',
      'constructor',
      { runId: 'hasOwnProperty' },
      `${runId}\n`,
      `${runId}\u0000`,
    ]);
  }

  private array(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    return this.pick<unknown>([
      [],
      [runId],
      [runId, 0],
      [[[]]],
      [{ runId }],
      [this.ctx.ownToken],
      Array.from({ length: 500 }, () => 'a'),
    ]);
  }

  private nested(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    return this.pick<unknown>([
      { runId: { runId } },
      { runId: [runId] },
      { runId, afterSeq: '0' },
      { runId, afterSeq: -1 },
      { runId, afterSeq: 1.5 },
      { runId, afterSeq: 1e21 },
      { runId, afterSeq: { $gt: 0 } },
      { runId: '' },
      { runId: 'has space' },
      { runId: 'x'.repeat(129) },
      { token: { token: this.ctx.ownToken } },
      { token: 42 },
      { token: [this.ctx.ownToken] },
      { runId: { toString: runId } },
      {},
    ]);
  }

  private protoKeys(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    const token = this.pick(this.ctx.foreignTokens);
    // JSON.parse makes `__proto__` an own key (an object literal would set the prototype), so it
    // goes on the wire as a key, as a hostile client would send it.
    return this.pick<unknown>([
      JSON.parse(`{"__proto__": {"runId": "${runId}", "token": "${token}"}}`),
      JSON.parse(`{"__proto__": {"afterSeq": -1}, "runId": "${runId}"}`),
      JSON.parse(`{"constructor": {"prototype": {"runId": "${runId}"}}}`),
      JSON.parse('{"__proto__": null}'),
      { constructor: runId, prototype: { runId } },
      { hasOwnProperty: 'runId', runId: 'x', valueOf: 1, toString: 2 },
      JSON.parse(`{"runId": "${runId}", "__proto__": {"ownerId": "me"}}`),
    ]);
  }

  private huge(): unknown {
    // Each stays below 64 KiB once JSON-encoded; the oversized case is separate.
    return this.pick<unknown>([
      'x'.repeat(30_000),
      { runId: 'a'.repeat(30_000) },
      { token: `e${'y'.repeat(30_000)}` },
      `Bearer ${'e'.repeat(30_000)}`,
      '\u{1F600}'.repeat(7_500),
      '\u0000'.repeat(5_000),
      // Lone surrogates are escaped as \udXXX by JSON.stringify: 6 bytes each.
      '\uD800'.repeat(5_000),
      `${'a.'.repeat(15_000)}b`,
    ]);
  }

  private deep(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    return this.pick<unknown>([
      nestedObject(1000),
      nestedArray(1000),
      { runId: nestedObject(1000, runId) },
      { token: nestedArray(1000, this.ctx.ownToken) },
      // Binary at the bottom: both parsers walk the whole tree to find and restore it.
      nestedObject(1000, Buffer.from(runId)),
    ]);
  }

  private binary(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    const payloads: unknown[] = [
      Buffer.from(runId),
      { runId: Buffer.from(runId) },
      new Uint8Array([1, 2, 3]),
    ];
    if (!this.ctx.polling) {
      payloads.push(
        Buffer.alloc(1024, 7),
        { token: Buffer.from(this.ctx.ownToken) },
        [Buffer.from(runId), Buffer.alloc(0)],
        Buffer.alloc(30_000),
      );
    }
    return this.pick(payloads);
  }

  private badToken(): unknown {
    const token = this.pick(this.ctx.foreignTokens);
    return this.pick<unknown>([
      { token },
      token,
      { token: `Bearer ${token}` },
      { token: 'a.b.c' },
      { token: '' },
      { token: 'Bearer' },
      { token: `${this.ctx.ownToken}x` },
      // The attacker's own token is valid: ok:true, and the server must stay the same user.
      { token: this.ctx.ownToken },
    ]);
  }

  private weighted<T extends [number, ...unknown[]]>(items: T[]): T {
    const total = items.reduce((sum, item) => sum + item[0], 0);
    let r = this.random() * total;
    for (const item of items) {
      r -= item[0];
      if (r < 0) return item;
    }
    return items[items.length - 1];
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
}

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
