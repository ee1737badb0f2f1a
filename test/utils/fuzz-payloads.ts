import { randomUUID } from 'node:crypto';

/**
 * Malformed client → server message arguments for the fuzz suite: each function returns the
 * candidates of one category, and the fuzz generator (test/fuzz/fuzz-generator.ts) picks among
 * them with a seeded PRNG, so that a failing run can be replayed with the same messages.
 */

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

/**
 * Event names the gateway does not handle. 'error' is special in Node's EventEmitter (throws
 * without a listener); numbers are legal event names on the wire; the others collide with
 * Object.prototype or the server's events.
 */
export const UNKNOWN_EVENTS: ReadonlyArray<string | number> = [
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
];

/** Arguments that name (or nearly name) `runId`, a run of another user. */
export function foreignRunArgs(runId: string): unknown[] {
  return [
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
  ];
}

export function arrayPayloads(runId: string, ownToken: string): unknown[] {
  return [
    [],
    [runId],
    [runId, 0],
    [[[]]],
    [{ runId }],
    [ownToken],
    Array.from({ length: 500 }, () => 'a'),
  ];
}

export function nestedPayloads(runId: string, ownToken: string): unknown[] {
  return [
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
    { token: { token: ownToken } },
    { token: 42 },
    { token: [ownToken] },
    { runId: { toString: runId } },
    {},
  ];
}

export function protoKeyPayloads(runId: string, token: string): unknown[] {
  // JSON.parse makes `__proto__` an own key (an object literal would set the prototype), so it
  // goes on the wire as a key, as a hostile client would send it.
  return [
    JSON.parse(`{"__proto__": {"runId": "${runId}", "token": "${token}"}}`),
    JSON.parse(`{"__proto__": {"afterSeq": -1}, "runId": "${runId}"}`),
    JSON.parse(`{"constructor": {"prototype": {"runId": "${runId}"}}}`),
    JSON.parse('{"__proto__": null}'),
    { constructor: runId, prototype: { runId } },
    { hasOwnProperty: 'runId', runId: 'x', valueOf: 1, toString: 2 },
    JSON.parse(`{"runId": "${runId}", "__proto__": {"ownerId": "me"}}`),
  ];
}

export function hugePayloads(): unknown[] {
  // Each stays below 64 KiB once JSON-encoded; the oversized case is separate.
  return [
    'x'.repeat(30_000),
    { runId: 'a'.repeat(30_000) },
    { token: `e${'y'.repeat(30_000)}` },
    `Bearer ${'e'.repeat(30_000)}`,
    '\u{1F600}'.repeat(7_500),
    '\u0000'.repeat(5_000),
    // Lone surrogates are escaped as \udXXX by JSON.stringify: 6 bytes each.
    '\uD800'.repeat(5_000),
    `${'a.'.repeat(15_000)}b`,
  ];
}

export function deepPayloads(runId: string, ownToken: string): unknown[] {
  return [
    nestedObject(1000),
    nestedArray(1000),
    { runId: nestedObject(1000, runId) },
    { token: nestedArray(1000, ownToken) },
    // Binary at the bottom: both parsers walk the whole tree to find and restore it.
    nestedObject(1000, Buffer.from(runId)),
  ];
}

/** Binary payloads; over long-polling only small ones (see `FuzzContext.polling`). */
export function binaryPayloads(runId: string, ownToken: string, polling?: boolean): unknown[] {
  const payloads: unknown[] = [
    Buffer.from(runId),
    { runId: Buffer.from(runId) },
    new Uint8Array([1, 2, 3]),
  ];
  if (!polling) {
    payloads.push(
      Buffer.alloc(1024, 7),
      { token: Buffer.from(ownToken) },
      [Buffer.from(runId), Buffer.alloc(0)],
      Buffer.alloc(30_000),
    );
  }
  return payloads;
}

/** `token` is not the attacker's (another user, expired, unknown key, forged…). */
export function badTokenPayloads(token: string, ownToken: string): unknown[] {
  return [
    { token },
    token,
    { token: `Bearer ${token}` },
    { token: 'a.b.c' },
    { token: '' },
    { token: 'Bearer' },
    { token: `${ownToken}x` },
    // The attacker's own token is valid: ok:true, and the server must stay the same user.
    { token: ownToken },
  ];
}
