import type { Socket } from 'socket.io-client';
import { ClientEvents } from '../protocol/events';
import type { ErrorAck, SubscribeAck, SubscribeToRunRequest } from '../protocol/messages';
import { backoffDelay, type BackoffOptions } from './backoff';
import type { NotificationsClientError } from './client-options';
import type { RunTracker } from './run-tracker';

// Subscribe answers that a later attempt can overcome; any other refusal is final for the run.
const TRANSIENT_SUBSCRIBE_ERRORS = new Set(['timeout', 'rate_limited', 'internal']);
// Attempts of one subscription while connected before a transient answer counts as final.
const MAX_SUBSCRIBE_ATTEMPTS = 6;

/** True for a subscribe answer that a later attempt can overcome. */
export function isTransientSubscribeError(code: string): boolean {
  return TRANSIENT_SUBSCRIBE_ERRORS.has(code);
}

/** What {@link RunSubscriptions} needs from its client. */
export interface RunSubscriptionsOptions {
  /** The client's socket: requests are sent on it while it is connected. */
  socket: Socket;
  /** The runs followed: where a subscription resumes, and where its ack is recorded. */
  runs: RunTracker;
  /** How long an answer is awaited before the attempt counts as `timeout`. */
  ackTimeoutMs: number;
  /** Delays between attempts (the client's reconnection delays). */
  reconnect?: BackoffOptions;
  /** False once the client is stopped: no retry is sent then. */
  active: () => boolean;
}

/**
 * The client's `subscribeToRun` requests: one subscription per run at a time, whoever asks (a
 * call, a reconnect), sent from the last seq seen and retried while an answer is transient. An
 * unsubscribe ends a run's turn: a later subscribe is a new one, sent after the unsubscribe.
 */
export class RunSubscriptions {
  private readonly turns = new Map<string, Promise<NotificationsClientError | undefined>>();

  constructor(private readonly options: RunSubscriptionsOptions) {}

  /** The run's subscription in progress, if any: a second handler shares its outcome. */
  pending(runId: string): Promise<NotificationsClientError | undefined> | undefined {
    return this.turns.get(runId);
  }

  /** Ends the run's turn (an unsubscribe, a run given up). */
  end(runId: string): void {
    this.turns.delete(runId);
  }

  /**
   * Subscribes until the server answers for good: a transient refusal (`rate_limited`,
   * `internal`) or a missing acknowledgement is retried with backoff while connected, up to
   * {@link MAX_SUBSCRIBE_ATTEMPTS} attempts; after a disconnect, the next connect subscribes
   * again. One subscription per run at a time. Returns a final refusal, if any.
   */
  settled(runId: string): Promise<NotificationsClientError | undefined> {
    const current = this.turns.get(runId);
    if (current) return current;
    // The turn is its promise; isCurrent first runs after an await, once `turn` is assigned.
    const isCurrent = () => this.turns.get(runId) === turn;
    const turn = this.withRetries(runId, isCurrent).finally(() => {
      if (isCurrent()) this.turns.delete(runId);
    });
    this.turns.set(runId, turn);
    return turn;
  }

  private async withRetries(
    runId: string,
    isCurrent: () => boolean,
  ): Promise<NotificationsClientError | undefined> {
    const retrying = () =>
      this.options.socket.connected &&
      this.options.active() &&
      this.options.runs.has(runId) &&
      isCurrent();
    for (let attempt = 1; ; attempt++) {
      const error = await this.send(runId);
      if (!error || !TRANSIENT_SUBSCRIBE_ERRORS.has(error.code)) return error;
      if (!retrying()) return undefined;
      if (attempt >= MAX_SUBSCRIBE_ATTEMPTS) return error;
      await new Promise((resolve) =>
        setTimeout(resolve, backoffDelay(attempt - 1, this.options.reconnect)),
      );
      if (!retrying()) return undefined;
    }
  }

  /**
   * Sends `subscribeToRun` from the last seq seen, and with the creation time of the run followed
   * once known (another run under the same id is then refused); returns the error, if any.
   */
  private async send(runId: string): Promise<NotificationsClientError | undefined> {
    if (!this.options.runs.has(runId)) return undefined;
    const request: SubscribeToRunRequest = {
      runId,
      afterSeq: this.options.runs.lastSeq(runId),
      createdAt: this.options.runs.createdAt(runId) ?? null,
    };
    let ack: SubscribeAck | ErrorAck;
    try {
      ack = await this.options.socket
        .timeout(this.options.ackTimeoutMs)
        .emitWithAck(ClientEvents.SubscribeToRun, request);
    } catch {
      // Disconnected meanwhile: the next connect re-subscribes.
      return { code: 'timeout', message: 'No acknowledgement.' };
    }
    if (!ack.ok) return { code: ack.error.code, message: ack.error.message };
    this.options.runs.acknowledged(runId, ack);
    return undefined;
  }
}
