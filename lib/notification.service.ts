import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ServerEvents } from '../src/protocol/events';
import {
  RUN_STATUSES,
  type RunSnapshot,
  type RunStatus,
  type StatusUpdate,
  type UserNotification,
} from '../src/protocol/messages';
import { isValidRunId } from '../src/protocol/run-id';
import { NotificationsError } from './errors/notifications.error';
import { NotificationsHub } from './gateway/notifications-hub';
import { runRoom, userRoom } from './notifications.constants';
import { RunStore, type NewStatusUpdate, type RunLogSlice, type RunRecord } from './runs/run-store';
import { RunAccessPolicy, canAccessRun, isStillAccessible } from './runs/run-access.policy';
import { PresenceService } from './presence/presence.service';
import { UserControl } from './gateway/user-control';
import type { AuthenticatedUser } from './auth/authenticated-user';
import { NotificationsMetrics } from './metrics/notifications-metrics';

/** What a task publishes about its run. */
export interface RunUpdateInput {
  status: RunStatus;
  message?: string;
  data?: unknown;
}

/** Options of {@link NotificationService.createRun}. */
export interface CreateRunOptions {
  /** Use this id instead of a random UUID (1–128 chars of `[A-Za-z0-9_.:-]`). */
  runId?: string;
  /**
   * The run's first update (e.g. `{ status: 'queued' }`), stored with the run in the same step as
   * seq 1: what `createRun` then `publishRunUpdate` do, with one store round trip fewer and no
   * moment where the run exists without it. It is not emitted: nobody can be subscribed to a run
   * that did not exist, and a subscriber gets it from the log.
   */
  firstUpdate?: RunUpdateInput;
}

/**
 * Sends notifications from anywhere in the app: to one user (all their tabs and devices), to the
 * subscribers of one run, or to everyone. With Redis, a send from any instance reaches the
 * connections of every instance. Run updates are written to the run store before they are emitted,
 * so that a late subscriber replays what it missed.
 */
@Injectable()
export class NotificationService {
  constructor(
    @Inject(RunStore) private readonly runs: RunStore,
    @Inject(NotificationsHub) private readonly hub: NotificationsHub,
    @Inject(RunAccessPolicy) private readonly accessPolicy: RunAccessPolicy,
    @Inject(PresenceService) private readonly presence: PresenceService,
    @Inject(UserControl) private readonly control: UserControl,
    @Inject(NotificationsMetrics) private readonly metrics: NotificationsMetrics,
  ) {}

  /** Registers a run owned by `ownerId`; only connections admitted by the access policy see it. */
  async createRun(ownerId: string, options: CreateRunOptions = {}): Promise<RunRecord> {
    if (typeof ownerId !== 'string' || ownerId.length === 0) {
      throw new NotificationsError('invalid_argument', "createRun needs the owner's user id.");
    }
    const runId = options.runId ?? randomUUID();
    if (!isValidRunId(runId)) {
      throw new NotificationsError(
        'invalid_argument',
        'A run id is 1–128 chars of [A-Za-z0-9_.:-].',
      );
    }
    const first = options.firstUpdate === undefined ? undefined : this.entry(options.firstUpdate);
    return this.runs.createRun(runId, ownerId, first);
  }

  /**
   * Appends an update to the run's log (giving it the next `seq`) and emits it to the run's
   * subscribers. Resolves once the update is stored; rejects if the run does not exist.
   */
  async publishRunUpdate(runId: string, update: RunUpdateInput): Promise<StatusUpdate> {
    const appended = await this.runs.append(runId, this.entry(update));
    if (!appended) throw new NotificationsError('not_found', `Run ${runId} does not exist.`);
    const { update: stored, runCreatedAt } = appended;
    // To this run's room: the subscribers of an expired run under the id are in another.
    this.hub.namespace.to(runRoom(runId, runCreatedAt)).emit(ServerEvents.StatusUpdate, stored);
    this.metrics.countEmitted('status_update');
    return stored;
  }

  /** A run update as it is logged, stamped with the time; refuses an unknown status. */
  private entry(update: RunUpdateInput): NewStatusUpdate {
    if (!RUN_STATUSES.includes(update?.status)) {
      throw new NotificationsError(
        'invalid_argument',
        `status must be one of ${RUN_STATUSES.join(', ')}.`,
      );
    }
    const entry: NewStatusUpdate = { status: update.status, at: new Date().toISOString() };
    if (update.message !== undefined) entry.message = update.message;
    if (update.data !== undefined) entry.data = update.data;
    return entry;
  }

  /** The run with its logged updates, or null. Callers check ownership before showing it. */
  async getRun(
    runId: string,
  ): Promise<(RunSnapshot & { ownerId: string; createdAt: string }) | null> {
    if (!isValidRunId(runId)) return null;
    const slice = await this.runs.readLog(runId, 0);
    return slice.run ? snapshotOf(slice.run, slice) : null;
  }

  /**
   * The run for a user the access policy admits (and whose access was not revoked), else null:
   * the same rule the gateway applies to `subscribeToRun`, for the app's REST routes.
   */
  async getRunForUser(
    user: AuthenticatedUser,
    runId: string,
  ): Promise<(RunSnapshot & { ownerId: string; createdAt: string }) | null> {
    if (!isValidRunId(runId)) return null;
    // Checked before the log is read: a refused caller costs one small read, not the whole log.
    const run = await this.runs.getRun(runId);
    if (!run || !(await canAccessRun(this.accessPolicy, user, run))) return null;
    const slice = await this.runs.readLog(runId, 0);
    // What is returned is what was checked (see isStillAccessible).
    return isStillAccessible(run, slice.run, user) ? snapshotOf(slice.run, slice) : null;
  }

  /** True when the user has at least one live connection on any instance. */
  async isUserOnline(userId: string): Promise<boolean> {
    return (await this.presence.count(userId)) > 0;
  }

  /** The user's live connections across all instances. */
  getUserConnectionCount(userId: string): Promise<number> {
    return this.presence.count(userId);
  }

  /**
   * Disconnects every connection of the user on every instance, after a `notification` of type
   * `connection.closed` with `{reason}`. The client may reconnect if its token is still valid:
   * revoke the token (or refuse it in the verifier) to keep it out.
   */
  disconnectUser(userId: string, reason = 'disconnected by the server'): void {
    this.control.execute({ op: 'disconnectUser', userId, reason });
  }

  /** Removes the user's connections from every run room on every instance. */
  removeUserFromAllRuns(userId: string): void {
    this.control.execute({ op: 'leaveAllRuns', userId });
  }

  /**
   * Revokes a user's access to a run: their connections leave its room at once on every instance,
   * and later subscriptions (and `getRunForUser`) are refused whatever the access policy says.
   */
  async revokeRunAccess(runId: string, userId: string): Promise<boolean> {
    const revoked = await this.runs.revoke(runId, userId);
    this.control.execute({ op: 'leaveRun', userId, runId });
    return revoked;
  }

  /** Sends a `notification` to every connection of one user, on every instance. */
  sendToUser<P>(userId: string, type: string, payload: P): UserNotification<P> {
    return this.sendToUsers([userId], type, payload);
  }

  /** Sends one `notification` to every connection of each listed user. */
  sendToUsers<P>(userIds: string[], type: string, payload: P): UserNotification<P> {
    const notification = this.notification(type, payload);
    if (userIds.length > 0) {
      // One room as a string: the common case skips building a room list.
      const rooms = userIds.length === 1 ? userRoom(userIds[0]) : userIds.map(userRoom);
      this.hub.namespace.to(rooms).emit(ServerEvents.Notification, notification);
      this.metrics.countEmitted('notification');
    }
    return notification;
  }

  /** Sends a `notification` to every connection of every user. */
  broadcast<P>(type: string, payload: P): UserNotification<P> {
    const notification = this.notification(type, payload);
    this.hub.namespace.emit(ServerEvents.Notification, notification);
    this.metrics.countEmitted('broadcast');
    return notification;
  }

  private notification<P>(type: string, payload: P): UserNotification<P> {
    if (typeof type !== 'string' || type.length === 0) {
      throw new NotificationsError('invalid_argument', 'A notification needs a type.');
    }
    return { id: randomUUID(), type, payload, at: new Date().toISOString() };
  }
}

/** A run and its log as the app sees it. */
function snapshotOf(
  run: RunRecord,
  log: RunLogSlice,
): RunSnapshot & { ownerId: string; createdAt: string } {
  return {
    runId: run.runId,
    ownerId: run.ownerId,
    createdAt: run.createdAt,
    status: run.status,
    lastSeq: log.lastSeq,
    updates: log.updates,
  };
}
