import type { Socket } from 'socket.io-client';
import { connectClient } from '../utils/socket-client';
import { KNOWN_EVENTS, ackProblem, type KnownEvent } from './ack-shape';
import type { FuzzGenerator, FuzzMessage } from './fuzz-generator';

/** Messages an attacker sends before awaiting the acks among them: backpressure. */
const BATCH = 40;
/** Chance that a batch carries one message above the 64 KiB limit (about 15 per run). */
const OVERSIZED_PER_BATCH = 0.06;
const ACK_TIMEOUT_MS = 5_000;
/** The fuzz stops early past this, or after this many problems, so a broken server fails fast. */
const FUZZ_DEADLINE_MS = 40_000;
const MAX_PROBLEMS = 50;

export interface Attacker {
  index: number;
  oid: string;
  token: string;
  transport: 'websocket' | 'polling';
  socket: Socket;
  generator: FuzzGenerator;
  random: () => number;
}

/** What the attackers saw, aggregated. */
export interface FuzzStats {
  sent: number;
  withAck: number;
  acked: number;
  /** Acks that never came because the attacker's own oversized message closed the connection. */
  lostToDisconnect: number;
  oversized: number;
  disconnects: number;
  disconnectReasons: Record<string, number>;
  /** Disconnects with no oversized message in flight: a malformed message closed a connection. */
  unexpectedDisconnects: string[];
  codes: Record<string, number>;
  kinds: Record<string, number>;
  /** Acks of the wrong shape, timed-out acks, acks to unknown events. */
  problems: string[];
  /** statusUpdates an attacker received (none of its own runs is ever published to). */
  leakedUpdates: number;
}

export function newStats(): FuzzStats {
  return {
    sent: 0,
    withAck: 0,
    acked: 0,
    lostToDisconnect: 0,
    oversized: 0,
    disconnects: 0,
    disconnectReasons: {},
    unexpectedDisconnects: [],
    codes: {},
    kinds: {},
    problems: [],
    leakedUpdates: 0,
  };
}

/**
 * The attackers of the fuzz suite: connects them, sends their messages in batches with
 * backpressure, and aggregates what they saw in `stats`.
 */
export class FuzzHarness {
  readonly attackers: Attacker[] = [];
  stats = newStats();
  /** Set while an attacker has an oversized message in flight, so its disconnect is expected. */
  private readonly oversizedInFlight = new Set<number>();

  /** `url`: the server's, read when an attacker (re)connects. */
  constructor(private readonly url: () => string) {}

  /** Connects a new attacker and enlists it. */
  async add(attacker: Attacker): Promise<void> {
    await this.connectAttacker(attacker);
    this.attackers.push(attacker);
  }

  /** Sends `total` messages, shared among the attackers. */
  async fuzz(total: number): Promise<void> {
    const budget = { remaining: total, deadline: Date.now() + FUZZ_DEADLINE_MS };
    await Promise.all(this.attackers.map((attacker) => this.attack(attacker, budget)));
  }

  private async connectAttacker(attacker: Attacker): Promise<void> {
    const socket = await connectClient(this.url(), attacker.token, {
      transports: [attacker.transport],
    });
    socket.on('statusUpdate', () => this.stats.leakedUpdates++);
    socket.on('disconnect', (reason: string) => {
      this.stats.disconnects++;
      this.stats.disconnectReasons[reason] = (this.stats.disconnectReasons[reason] ?? 0) + 1;
      if (!this.oversizedInFlight.has(attacker.index)) {
        this.stats.unexpectedDisconnects.push(`attacker ${attacker.index}: ${reason}`);
      }
    });
    attacker.socket = socket;
  }

  /** Sends one message; resolves once its ack (if awaited) has come or can no longer come. */
  private send(attacker: Attacker, message: FuzzMessage): Promise<void> | undefined {
    const { socket } = attacker;
    const emit = socket.emit.bind(socket) as (event: unknown, ...args: unknown[]) => void;
    this.stats.sent++;
    this.stats.kinds[message.kind] = (this.stats.kinds[message.kind] ?? 0) + 1;
    if (!message.ack) {
      emit(message.event, ...message.args);
      return undefined;
    }
    this.stats.withAck++;
    if (!KNOWN_EVENTS.includes(message.event as KnownEvent)) {
      // No handler, so no ack is due: one that came anyway would be a server bug. Not awaited.
      emit(message.event, ...message.args, (...reply: unknown[]) =>
        this.stats.problems.push(
          `unknown event ${String(message.event)} acked ${JSON.stringify(reply)}`,
        ),
      );
      return undefined;
    }
    const event = message.event as KnownEvent;
    return new Promise((resolve) => {
      const timed = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
        emit(event: unknown, ...args: unknown[]): void;
      };
      timed.emit(event, ...message.args, (error: Error | null, ack: unknown) => {
        if (error) {
          if (error.message === 'socket has been disconnected') this.stats.lostToDisconnect++;
          else this.stats.problems.push(`${event} (${message.kind}) not acked: ${error.message}`);
        } else {
          this.stats.acked++;
          const a = ack as { ok?: boolean; error?: { code?: string } };
          const code = a?.ok === true ? `${event}:ok` : `${event}:${a?.error?.code}`;
          this.stats.codes[code] = (this.stats.codes[code] ?? 0) + 1;
          const problem = ackProblem(event, ack);
          if (problem) this.stats.problems.push(`${problem} (${message.kind})`);
        }
        resolve();
      });
    });
  }

  /** One attacker's share: batches of messages, each batch's acks awaited before the next. */
  private async attack(
    attacker: Attacker,
    budget: { remaining: number; deadline: number },
  ): Promise<void> {
    while (
      budget.remaining > 0 &&
      Date.now() < budget.deadline &&
      this.stats.problems.length < MAX_PROBLEMS
    ) {
      const size = Math.min(BATCH, budget.remaining);
      budget.remaining -= size;
      // Oversized messages go over WebSocket only. Over long-polling the server answers 413 and
      // closes, and when no GET is pending at that moment engine.io 6.6 closes the transport
      // through a 30 s timer that nothing cancels: it would outlive the suite (an open handle).
      const oversizedAt =
        attacker.transport === 'websocket' && attacker.random() < OVERSIZED_PER_BATCH
          ? Math.floor(attacker.random() * size)
          : -1;
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < size; i++) {
        let message: FuzzMessage;
        if (i === oversizedAt) {
          message = attacker.generator.oversized();
          this.stats.oversized++;
          this.oversizedInFlight.add(attacker.index);
        } else {
          message = attacker.generator.next();
        }
        const acked = this.send(attacker, message);
        if (acked) pending.push(acked);
      }
      // The oversized message carries an ack: it settles when the server closes the connection
      // (or times out, recorded as a problem, if the server let it through).
      await Promise.all(pending);
      if (!attacker.socket.connected) {
        attacker.socket.close();
        await this.connectAttacker(attacker);
      }
      this.oversizedInFlight.delete(attacker.index);
    }
  }
}
