import { Inject, Logger, type OnModuleDestroy, type OnApplicationBootstrap } from '@nestjs/common';
import {
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { ClientEvents, NOTIFICATIONS_NAMESPACE, ServerEvents } from '../../src/protocol/events';
import type {
  ErrorAck,
  RefreshTokenAck,
  SubscribeAck,
  UnsubscribeAck,
} from '../../src/protocol/messages';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticator } from '../auth/authenticator.service';
import { createHandshakeAuthMiddleware } from '../auth/handshake-auth.middleware';
import { AuthError } from '../errors/auth.error';
import { NotificationsConfigError } from '../errors/notifications.error';
import {
  NOTIFICATIONS_RESOLVED_OPTIONS,
  roomsOfRunId,
  runRoom,
  RUN_ROOM_PREFIX,
} from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { RunAccessPolicy, canAccessRun, isStillAccessible } from '../runs/run-access.policy';
import { PresenceService } from '../presence/presence.service';
import { UserControl } from './user-control';
import { RunResync } from './run-resync';
import { NotificationsMetrics } from '../metrics/notifications-metrics';
import { RunStore } from '../runs/run-store';
import { RedisConnections } from '../scale-out/redis-connections';
import { admitConnection } from './admit-connection';
import { errorAck } from './acks';
import { NotificationsHub } from './notifications-hub';
import {
  parseRunIdArg,
  parseSubscribeArgs,
  parseTokenArg,
  type SubscribeArgs,
} from './parse-requests';
import { TokenBucket } from './rate-limiter';
import { ConnectionClaims } from '../auth/connection-claims';
import { ExpirySchedule } from './expiry-schedule';
import { sharedListeners } from './shared-listeners';
import { releaseHandshakeRequest } from './release-handshake-request';
import { inOrder, type InProgress } from './in-order';

/** Per-connection state, kept on `socket.data`. */
interface ConnectionState {
  user: AuthenticatedUser;
  /** Subscriptions of new runs being checked, counted against the limit until settled. */
  pending?: number;
  /** Per run, the connection's subscribe/unsubscribe requests still in progress (see inOrder). */
  inProgress?: InProgress;
  bucket: TokenBucket;
}

/** Runs a socket is subscribed to: its run rooms, which other instances may also change. */
function subscribedRuns(socket: Socket): number {
  let count = 0;
  for (const room of socket.rooms) if (room.startsWith(RUN_ROOM_PREFIX)) count++;
  return count;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEvents = Record<string, (...args: any[]) => void>;
type NotificationsSocket = Socket<AnyEvents, AnyEvents, AnyEvents, ConnectionState>;

/**
 * The socket.io gateway on `/notifications`. Connections are authenticated by middleware before they
 * are accepted and join their user's room; `subscribeToRun` admits a connection to a run's room only
 * after the access policy agrees, then replays the run's log. Every handler answers an ack of the
 * protocol's shape and never lets an exception reach the socket.
 */
@WebSocketGateway({ namespace: NOTIFICATIONS_NAMESPACE })
export class TaskGateway
  implements
    OnGatewayInit<Namespace>,
    OnGatewayConnection<Socket>,
    OnGatewayDisconnect<Socket>,
    OnApplicationBootstrap,
    OnModuleDestroy
{
  protected readonly logger = new Logger('Notifications:TaskGateway');
  private namespace?: Namespace;
  private readonly claims: ConnectionClaims;
  /** The client events' listeners, shared by every connection (see sharedListeners). */
  private readonly listeners = sharedListeners<NotificationsSocket>(
    {
      [ClientEvents.SubscribeToRun]: (socket, body) => this.subscribeToRun(socket, body),
      [ClientEvents.UnsubscribeFromRun]: (socket, body) => this.unsubscribeFromRun(socket, body),
      [ClientEvents.RefreshToken]: (socket, body) => this.refreshToken(socket, body),
    },
    this.logger,
  );

  constructor(
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS)
    protected readonly options: ResolvedNotificationsOptions,
    @Inject(Authenticator) protected readonly authenticator: Authenticator,
    @Inject(RunStore) protected readonly runs: RunStore,
    @Inject(RunAccessPolicy) protected readonly accessPolicy: RunAccessPolicy,
    @Inject(NotificationsHub) protected readonly hub: NotificationsHub,
    @Inject(RedisConnections) protected readonly connections: RedisConnections,
    @Inject(ExpirySchedule) protected readonly expiry: ExpirySchedule,
    @Inject(PresenceService) protected readonly presence: PresenceService,
    @Inject(UserControl) protected readonly userControl: UserControl,
    @Inject(RunResync) protected readonly resync: RunResync,
    @Inject(NotificationsMetrics) protected readonly metrics: NotificationsMetrics,
  ) {
    this.claims = new ConnectionClaims(options.connectionClaims);
  }

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    // Built once: every handshake is admitted with the same collaborators.
    const admission = { hub: this.hub, presence: this.presence, connections: this.connections };
    namespace.use(
      createHandshakeAuthMiddleware(this.authenticator, {
        allowTokenInQuery: this.options.auth?.allowTokenInQuery ?? false,
        keep: (user) => this.claims.keep(user),
        onRefused: (code) => this.metrics.handshakes.inc({ outcome: 'refused', code }),
        admit: (user, socket) => admitConnection(admission, user, socket),
      }),
    );
    this.hub.attach(namespace);
    this.userControl.attach(namespace);
    this.resync.attach(namespace);
    this.metrics.attach(namespace);
    this.expiry.start(namespace);
  }

  onApplicationBootstrap(): void {
    if (this.namespace && !this.connections.isAdapted(this.namespace.server)) {
      throw new NotificationsConfigError(
        "the socket.io server was not created by RedisIoAdapter, so Redis scale-out and the module's limits " +
          'are not applied. Call app.useWebSocketAdapter(new RedisIoAdapter(app)) before app.init() or app.listen().',
      );
    }
  }

  /**
   * Drain: refuse new connections and close this instance's own, so that clients reconnect to
   * another instance while the app finishes its in-flight work. Redis stays open until shutdown.
   * Done at module destroy, the first shutdown phase, so that it precedes the app's own waits for
   * in-flight work (typically in `beforeApplicationShutdown`).
   */
  onModuleDestroy(): void {
    this.hub.draining = true;
    this.namespace?.local.disconnectSockets(true);
  }

  handleConnection(socket: NotificationsSocket): void {
    const { user } = socket.data;
    if (!user) {
      socket.disconnect(true);
      return;
    }
    this.metrics.handshakes.inc({ outcome: 'accepted', code: '' });
    socket.data.bucket = new TokenBucket(this.options.limits.subscribesPerSecond);
    this.expiry.track(socket.id, user.expiresAt);
    this.presence.track(user.userId, socket.id);
    for (const [event, listener] of this.listeners) socket.on(event, listener);
    releaseHandshakeRequest(socket);
  }

  handleDisconnect(socket: NotificationsSocket): void {
    this.expiry.untrack(socket.id);
    const user = socket.data.user;
    // The bucket marks a connection that handleConnection admitted (and presence tracked).
    if (user && socket.data.bucket) this.presence.release(user.userId, socket.id);
  }

  /** `subscribeToRun`: answers the ack, with metrics around {@link subscribe}. */
  async subscribeToRun(
    socket: NotificationsSocket,
    body: unknown,
  ): Promise<SubscribeAck | ErrorAck> {
    const end = this.metrics.subscribeDuration.startTimer();
    const ack = await this.subscribe(socket, body);
    end();
    this.metrics.subscribeRequests.inc({ result: ack.ok ? 'ok' : ack.error.code });
    if (ack.ok && ack.replayed > 0) {
      this.metrics.replayed.inc(ack.replayed);
      this.metrics.countEmitted('replay', ack.replayed);
    }
    return ack;
  }

  /** Checks, joins, replays: the body of `subscribeToRun`. */
  protected async subscribe(
    socket: NotificationsSocket,
    body: unknown,
  ): Promise<SubscribeAck | ErrorAck> {
    const args = parseSubscribeArgs(body);
    if (!args)
      return errorAck(
        'invalid_argument',
        'Expected a run id (1–128 chars of [A-Za-z0-9_.:-]) or {runId, afterSeq?, createdAt?}.',
      );
    const state = socket.data;
    if (!state.bucket.take())
      return errorAck('rate_limited', 'Too many subscribe requests; slow down.');
    return inOrder(state, args.runId, () => this.subscribeInOrder(socket, args));
  }

  private async subscribeInOrder(
    socket: NotificationsSocket,
    { runId, afterSeq, createdAt }: SubscribeArgs,
  ): Promise<SubscribeAck | ErrorAck> {
    const state = socket.data;
    // inOrder settled any earlier request on this run id: it is new unless one of its rooms is
    // joined (that of the run under the id now, or of one that expired).
    const held = roomsOfRunId(socket.rooms, runId);
    const isNew = held.length === 0;
    const max = this.options.limits.maxSubscriptionsPerConnection;
    if (isNew && subscribedRuns(socket) + (state.pending ?? 0) >= max) {
      return errorAck('too_many_subscriptions', `At most ${max} runs per connection.`);
    }
    // Counted as pending until settled, so that concurrent subscribes cannot overshoot the limit.
    if (isNew) state.pending = (state.pending ?? 0) + 1;
    let joined: string | undefined;
    try {
      const run = await this.runs.getRun(runId);
      if (!run || !(await canAccessRun(this.accessPolicy, state.user, run))) {
        return errorAck('not_found', 'No such run.');
      }
      // A resubscription to a run that expired, its id since used again: the run followed is gone.
      if (typeof createdAt === 'string' && createdAt !== run.createdAt) {
        return errorAck('not_found', 'No such run.');
      }
      if (!socket.connected) return errorAck('not_found', 'Disconnected.');
      const room = runRoom(runId, run.createdAt);
      if (!held.includes(room)) joined = room;
      // Join before reading the log: an update published in between is then either in the log
      // or delivered live (possibly both; the client drops duplicates by seq).
      await socket.join(room);
      await this.connections.roomReady(socket.nsp.name, room);
      // Checked again once joined, on the record the log read returns: a revocation between the
      // check above and the join made every instance leave the room before this connection was in
      // it (revocation writes the store before it asks the instances to leave, so one of the two
      // catches it), and a run expired and created anew under the id is not the one checked.
      const slice = await this.runs.readLog(runId, afterSeq);
      if (!isStillAccessible(run, slice.run, state.user)) {
        await socket.leave(room);
        return errorAck('not_found', 'No such run.');
      }
      // The subscription to an expired run under this id, if any, is replaced by this one.
      for (const old of held) if (old !== room) await socket.leave(old);
      for (const update of slice.updates) socket.emit(ServerEvents.StatusUpdate, update);
      const ack: SubscribeAck = {
        ok: true,
        runId,
        lastSeq: slice.lastSeq,
        replayed: slice.updates.length,
      };
      if (slice.gap) ack.gap = true;
      // Only to a client that tracks runs by creation: the others get the ack as documented.
      if (createdAt !== undefined) ack.createdAt = run.createdAt;
      return ack;
    } catch (error) {
      this.logger.error(`subscribeToRun failed: ${(error as Error).message}`);
      // Not left in a room whose subscription the ack reports as failed.
      if (joined !== undefined) await socket.leave(joined);
      return errorAck('internal', 'The subscription could not be completed; retry.');
    } finally {
      if (isNew) state.pending = state.pending! - 1;
    }
  }

  /** `unsubscribeFromRun`: leaves the run's room (idempotent). */
  async unsubscribeFromRun(
    socket: NotificationsSocket,
    body: unknown,
  ): Promise<UnsubscribeAck | ErrorAck> {
    const runId = parseRunIdArg(body);
    if (!runId) return errorAck('invalid_argument', 'Expected a run id or {runId}.');
    // After a subscribe still in progress, which would otherwise join once this has left.
    return inOrder(socket.data, runId, async () => {
      for (const room of roomsOfRunId(socket.rooms, runId)) await socket.leave(room);
      return { ok: true } as const;
    });
  }

  /** `refreshToken`: a new token of the same user moves the connection's expiry. */
  async refreshToken(
    socket: NotificationsSocket,
    body: unknown,
  ): Promise<RefreshTokenAck | ErrorAck> {
    const token = parseTokenArg(body);
    if (!token) return errorAck('token_invalid', 'Expected {token}.');
    // Each refresh costs a signature check: it shares the subscribe budget of the connection.
    if (!socket.data.bucket.take())
      return errorAck('rate_limited', 'Too many requests; slow down.');
    let user: AuthenticatedUser;
    try {
      user = await this.authenticator.authenticate(token.replace(/^Bearer +/i, ''));
    } catch (error) {
      const code =
        error instanceof AuthError && error.code === 'token_expired'
          ? 'token_expired'
          : 'token_invalid';
      return errorAck(code, 'The new token was refused.');
    }
    if (user.userId !== socket.data.user.userId) {
      return errorAck('user_mismatch', 'The new token belongs to another user.');
    }
    // The connection may have closed while the token was verified: do not schedule a dead socket.
    if (!socket.connected) return errorAck('token_invalid', 'Disconnected.');
    socket.data.user = this.claims.keep(user);
    this.expiry.track(socket.id, user.expiresAt);
    return { ok: true, expiresAt: new Date(user.expiresAt).toISOString() };
  }
}
