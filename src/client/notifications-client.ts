import type { Socket } from 'socket.io-client';
import { ClientEvents, ServerEvents } from '../protocol/events';
import type { ErrorAck, StatusUpdate, UserNotification } from '../protocol/messages';
import { backoffDelay } from './backoff';
import { messageOf } from './call-each';
import { ClientHandlers } from './client-handlers';
import { createClientSocket } from './client-socket';
import type {
  ConnectionState,
  Handler,
  NotificationsClientError,
  NotificationsClientOptions,
} from './client-options';
import { fetchRunOverHttp } from './fetch-run';
import { PendingStart } from './pending-start';
import { iterateRun } from './run-iterator';
import { RunLosses } from './run-losses';
import { RunSubscriptions, isTransientSubscribeError } from './run-subscriptions';
import { RunTracker } from './run-tracker';

// Handshake refusals that a retry with a fresh token can fix, or that are server-side conditions.
const RETRYABLE = new Set([
  'auth_unavailable',
  'token_expired',
  'too_many_connections',
  'token_missing',
]);

/**
 * Client of the notifications gateway, for browsers and Node. The vocabulary follows a SignalR
 * client service: {@link start}, {@link subscribeToRun}, {@link unsubscribeFromRun},
 * {@link onStatusUpdate}. It reconnects with backoff and jitter, asks the token factory for a
 * token at every (re)connect and when the server warns of expiry, re-subscribes after a reconnect
 * from the last seq seen, and hands each run's updates to its handlers exactly once, in seq order.
 */
export class NotificationsClient {
  private readonly socket: Socket;
  private readonly runs: RunTracker;
  private readonly handlers = new ClientHandlers();
  private readonly subscriptions: RunSubscriptions;
  private readonly losses = new RunLosses();
  private currentState: ConnectionState = 'disconnected';
  private attempt = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private stopped = true;
  private starting?: PendingStart;

  /** Time-out of every acknowledgement the client awaits. */
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: NotificationsClientOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    const fetchRun = options.fetchRun ?? fetchRunOverHttp(options.url);
    this.runs = new RunTracker({
      gapTimeoutMs: options.gapTimeoutMs ?? 5000,
      fetchRun: async (runId) => fetchRun(runId, await options.accessTokenFactory()),
      onUpdate: (update) => this.handlers.call(this.handlers.updates, update),
      onFetchError: (runId, error, gaveUp) => {
        const failure = { code: 'fetch_failed', message: error.message, runId } as const;
        if (!gaveUp) return this.handlers.report(failure);
        // A run the tracker gave up on leaves the server's room too.
        void this.forgetRun(runId, true);
        this.runLost(runId, failure);
      },
      onHandlerError: (error, update) => this.handlers.handlerFailed(error, update.runId),
    });
    this.socket = createClientSocket(options, (error) =>
      this.handlers.report({ code: 'token_unavailable', message: messageOf(error) }),
    );
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('connect_error', (error: Error & { data?: { code?: string } }) =>
      this.onConnectError(error),
    );
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on(ServerEvents.StatusUpdate, (update: StatusUpdate) => this.runs.accept(update));
    this.socket.on(ServerEvents.Notification, (n: UserNotification) =>
      this.handlers.call(this.handlers.notifications, n),
    );
    this.socket.on(ServerEvents.AuthExpiring, () => void this.refreshToken());
    this.subscriptions = new RunSubscriptions({
      socket: this.socket,
      runs: this.runs,
      ackTimeoutMs: this.ackTimeoutMs,
      reconnect: options.reconnect,
      active: () => !this.stopped,
    });
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /**
   * Connects; resolves once connected, rejects if the server refuses the token for good (with its
   * `code`) or if {@link stop} is called first (code `stopped`). Calls while connecting share
   * the same promise.
   */
  start(): Promise<void> {
    if (this.starting) return this.starting.promise;
    if (!this.stopped) return Promise.resolve();
    this.stopped = false;
    const starting = (this.starting = new PendingStart());
    this.setState('connecting');
    // A state handler may have stopped the client already: then it stays stopped.
    if (this.starting === starting) this.socket.connect();
    return starting.promise;
  }

  /** Disconnects and stops reconnecting. Subscriptions are kept for a later {@link start}. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.runs.pause();
    this.socket.disconnect();
    this.settleStart(
      Object.assign(new Error('The client was stopped before it connected.'), { code: 'stopped' }),
    );
    this.setState('disconnected');
  }

  /**
   * Subscribes to a run. The handler receives each update once, in seq order, starting after
   * `afterSeq` (default 0: the whole log, including what was published before this call).
   * Resolves to a function that unsubscribes; rejects with the server's code (e.g. `not_found`).
   */
  async subscribeToRun(
    runId: string,
    handler: Handler<StatusUpdate>,
    options: { afterSeq?: number } = {},
  ): Promise<() => Promise<void>> {
    const isNew = this.runs.add(runId, handler, options.afterSeq ?? 0);
    const entry = this.runs.entry(runId);
    // A second handler of a run whose subscription is in progress shares its outcome.
    const pending = isNew
      ? this.socket.connected
        ? this.subscriptions.settled(runId)
        : undefined
      : this.subscriptions.pending(runId);
    const error = await pending;
    if (error) {
      if (isNew) this.dropRun(runId, entry, error.code);
      throw Object.assign(new Error(error.message), { code: error.code });
    }
    return async () => {
      if (this.runs.removeHandler(runId, handler)) await this.unsubscribeFromRun(runId);
    };
  }

  /** Stops receiving a run's updates. */
  unsubscribeFromRun(runId: string): Promise<void> {
    return this.forgetRun(runId, true);
  }

  /**
   * A run's updates as an async iterator, in seq order, ending after a terminal status
   * (`completed`, `failed`, `cancelled`). Breaking out of the loop unsubscribes. The loop throws an
   * error with the server's or the client's `code` when the subscription is refused (`not_found`)
   * or the run is lost later: a re-subscription refused after a reconnect, or the refetches of a
   * missing update given up (`fetch_failed`).
   */
  runUpdates(runId: string, options: { afterSeq?: number } = {}): AsyncGenerator<StatusUpdate> {
    return iterateRun(
      (handler) => this.subscribeToRun(runId, handler, options),
      // A run lost later (a re-subscription refused, refetches given up) ends the loop with its code.
      (fail) =>
        this.losses.on(runId, (error) =>
          fail(Object.assign(new Error(error.message), { code: error.code })),
        ),
    );
  }

  /** Every run's updates (once each, in order per run). Returns a function that removes the handler. */
  onStatusUpdate(handler: Handler<StatusUpdate>): () => void {
    return this.handlers.listen(this.handlers.updates, handler);
  }

  /** Notifications sent to this user. */
  onNotification(handler: Handler<UserNotification>): () => void {
    return this.handlers.listen(this.handlers.notifications, handler);
  }

  /** Connection state changes. */
  onStateChange(handler: Handler<ConnectionState>): () => void {
    return this.handlers.listen(this.handlers.states, handler);
  }

  /** Errors the client cannot fix itself: a refused token, a run that vanished, a failed refetch. */
  onError(handler: Handler<NotificationsClientError>): () => void {
    return this.handlers.listen(this.handlers.errors, handler);
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.handlers.call(this.handlers.states, state);
  }

  /** Settles a pending {@link start}: resolves it, or rejects it with `error`. */
  private settleStart(error?: Error): void {
    const starting = this.starting;
    this.starting = undefined;
    starting?.settle(error);
  }

  private onConnect(): void {
    this.attempt = 0;
    this.runs.resume();
    this.setState('connected');
    this.settleStart();
    for (const runId of this.runs.ids()) void this.resubscribe(runId);
  }

  private onConnectError(error: Error & { data?: { code?: string } }): void {
    const code = error.data?.code;
    if (code && !RETRYABLE.has(code)) {
      this.stopped = true;
      this.runs.pause();
      this.setState('disconnected');
      const failure = { code, message: `The server refused the connection: ${code}` };
      this.handlers.report(failure);
      this.settleStart(Object.assign(new Error(failure.message), { code }));
      return;
    }
    this.scheduleReconnect();
  }

  private onDisconnect(reason: string): void {
    if (this.stopped || reason === 'io client disconnect') return;
    // Offline, a refetch would fail: the re-subscription after the reconnect replays instead.
    this.runs.pause();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState(this.starting ? 'connecting' : 'reconnecting');
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt++, this.options.reconnect);
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private async resubscribe(runId: string): Promise<void> {
    const entry = this.runs.entry(runId);
    const error = await this.subscriptions.settled(runId);
    if (error && this.dropRun(runId, entry, error.code)) this.runLost(runId, { ...error, runId });
  }

  /**
   * A run followed until now was given up for good (a re-subscription refused, its refetches
   * failed): its `runUpdates()` loops end with the error, and the error handlers hear of it.
   */
  private runLost(runId: string, error: NotificationsClientError): void {
    this.losses.lose(runId, error, (e) => this.handlers.handlerFailed(e, runId));
    this.handlers.report(error);
  }

  /** Forgets a run whose subscription for `entry` failed for good (not one followed anew). */
  private dropRun(runId: string, entry: object | undefined, code: string): boolean {
    if (this.runs.entry(runId) !== entry) return false;
    // After a transient answer the subscribe may still complete on the server: leave (in order).
    void this.forgetRun(runId, isTransientSubscribeError(code));
    return true;
  }

  /**
   * Forgets a run: its handlers, its subscription in progress, and, with `leaveRoom`, the
   * server's room too (an unanswered unsubscribe is let go: the room ends with the connection).
   */
  private async forgetRun(runId: string, leaveRoom: boolean): Promise<void> {
    this.runs.delete(runId);
    this.subscriptions.end(runId);
    if (!leaveRoom || !this.socket.connected) return;
    await this.socket
      .timeout(this.ackTimeoutMs)
      .emitWithAck(ClientEvents.UnsubscribeFromRun, { runId })
      .catch(() => undefined);
  }

  /** Answers `authExpiring`. If the refresh fails, the server disconnects at expiry and the reconnect asks the factory again. */
  private async refreshToken(): Promise<void> {
    let token: string;
    try {
      token = await this.options.accessTokenFactory();
    } catch (error) {
      return this.handlers.report({ code: 'token_unavailable', message: messageOf(error) });
    }
    let ack: { ok: true } | ErrorAck;
    try {
      ack = await this.socket
        .timeout(this.ackTimeoutMs)
        .emitWithAck(ClientEvents.RefreshToken, { token });
    } catch {
      return; // Disconnected or no answer: the reconnect brings a fresh token.
    }
    if (!ack.ok) this.handlers.report({ code: ack.error.code, message: ack.error.message });
  }
}
