import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { PresenceStore } from './presence.store';

// Each connection is refreshed once per heartbeat interval, one slice of them per tick.
const HEARTBEAT_SLICES = 40;

/** A connection's slice: derived from its id, so that tracking and release agree without a lookup. */
function sliceOf(connectionId: string): number {
  let sum = 0;
  for (let i = 0; i < connectionId.length; i++) sum += connectionId.charCodeAt(i);
  return sum % HEARTBEAT_SLICES;
}

/**
 * This instance's side of presence: admits connections within the per-user limit, keeps the
 * ones it holds alive with one shared heartbeat, and answers who is online across all instances.
 */
@Injectable()
export class PresenceService implements OnModuleDestroy {
  private readonly logger = new Logger('Notifications:Presence');
  /** This instance's connections (id → user), in the slices the heartbeat refreshes in turn. */
  private readonly slices = Array.from(
    { length: HEARTBEAT_SLICES },
    () => new Map<string, string>(),
  );
  private timer?: NodeJS.Timeout;
  private slice = 0;
  private readonly maxPerUser: number;

  constructor(
    @Inject(PresenceStore) private readonly store: PresenceStore,
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    this.maxPerUser = options.limits.maxConnectionsPerUser;
  }

  /**
   * Registers a connection at the handshake. False when the user is at the limit. While the
   * presence store is unreachable the limit cannot be checked: connections are admitted rather
   * than refused, since the limit guards against abuse and Redis outages are not abuse.
   */
  async admit(userId: string, connectionId: string): Promise<boolean> {
    try {
      return await this.store.register(userId, connectionId, this.maxPerUser);
    } catch (error) {
      this.logger.warn(
        `Presence unavailable, connection admitted unchecked: ${(error as Error).message}`,
      );
      return true;
    }
  }

  /** Starts refreshing an accepted connection. */
  track(userId: string, connectionId: string): void {
    this.slices[sliceOf(connectionId)].set(connectionId, userId);
    if (!this.timer) {
      // The heartbeat is spread over the interval, a slice per tick, rather than refreshing every
      // connection at once: thousands of commands in one burst stall the event loop and Redis.
      this.timer = setInterval(
        () => void this.beat(),
        (this.options.presence.heartbeatSeconds * 1000) / HEARTBEAT_SLICES,
      );
      this.timer.unref();
    }
  }

  /** Forgets a closed connection. */
  release(userId: string, connectionId: string): void {
    this.slices[sliceOf(connectionId)].delete(connectionId);
    this.store.unregister(userId, connectionId).catch((error: Error) => {
      // It expires on its own after the TTL.
      this.logger.warn(`Presence release failed: ${error.message}`);
    });
  }

  /** Live connections of a user on every instance. */
  count(userId: string): Promise<number> {
    return this.store.count(userId);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const slice = this.slices[this.slice++ % HEARTBEAT_SLICES];
    const due: Array<[string, string]> = [];
    for (const [connectionId, userId] of slice) due.push([userId, connectionId]);
    if (due.length === 0) return;
    try {
      await this.store.heartbeat(due);
    } catch (error) {
      this.logger.warn(`Presence heartbeat failed: ${(error as Error).message}`);
    }
  }
}
