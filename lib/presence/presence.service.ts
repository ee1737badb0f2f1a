import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { PresenceStore } from './presence.store';

/**
 * This instance's side of presence: admits connections within the per-user limit, keeps the
 * ones it holds alive with one shared heartbeat, and answers who is online across all instances.
 */
@Injectable()
export class PresenceService implements OnModuleDestroy {
  private readonly logger = new Logger('Notifications:Presence');
  private readonly local = new Map<string, string>();
  private timer?: NodeJS.Timeout;
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
    this.local.set(connectionId, userId);
    if (!this.timer) {
      this.timer = setInterval(
        () => void this.beat(),
        this.options.presence.heartbeatSeconds * 1000,
      );
      this.timer.unref();
    }
  }

  /** Forgets a closed connection. */
  release(userId: string, connectionId: string): void {
    this.local.delete(connectionId);
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
    try {
      await this.store.heartbeat(
        [...this.local].map(([connectionId, userId]) => [userId, connectionId]),
      );
    } catch (error) {
      this.logger.warn(`Presence heartbeat failed: ${(error as Error).message}`);
    }
  }
}
