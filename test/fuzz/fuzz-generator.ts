import {
  UNKNOWN_EVENTS,
  arrayPayloads,
  badTokenPayloads,
  binaryPayloads,
  deepPayloads,
  foreignRunArgs,
  hugePayloads,
  nestedPayloads,
  protoKeyPayloads,
} from '../utils/fuzz-payloads';
import { KNOWN_EVENTS, type KnownEvent } from './ack-shape';

/**
 * Builds the malformed client → server messages of one fuzz attacker, from the payload catalogs of
 * test/utils/fuzz-payloads.ts. Seeded, so that a failing run can be replayed with the same messages.
 */

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
    return {
      event: this.pick(UNKNOWN_EVENTS),
      args: [this.foreignRunArg()],
      ack: this.random() < 0.5,
      kind: 'unknown event',
    };
  }

  private foreignRunArg(): unknown {
    return this.pick(foreignRunArgs(this.pick(this.ctx.foreignRunIds)));
  }

  private array(): unknown {
    return this.pick(arrayPayloads(this.pick(this.ctx.foreignRunIds), this.ctx.ownToken));
  }

  private nested(): unknown {
    return this.pick(nestedPayloads(this.pick(this.ctx.foreignRunIds), this.ctx.ownToken));
  }

  private protoKeys(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    const token = this.pick(this.ctx.foreignTokens);
    return this.pick(protoKeyPayloads(runId, token));
  }

  private huge(): unknown {
    return this.pick(hugePayloads());
  }

  private deep(): unknown {
    return this.pick(deepPayloads(this.pick(this.ctx.foreignRunIds), this.ctx.ownToken));
  }

  private binary(): unknown {
    const runId = this.pick(this.ctx.foreignRunIds);
    return this.pick(binaryPayloads(runId, this.ctx.ownToken, this.ctx.polling));
  }

  private badToken(): unknown {
    return this.pick(badTokenPayloads(this.pick(this.ctx.foreignTokens), this.ctx.ownToken));
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
