import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { ServerEvents } from '../../src/protocol/events';
import { runIdOfRoom, runRoom } from '../notifications.constants';
import { RunStore } from '../runs/run-store';
import { RedisConnections } from '../scale-out/redis-connections';
import { NotificationsMetrics } from '../metrics/notifications-metrics';
import { UserControl } from './user-control';

// Resynchronise twice: once the subscription is back, and again once publishers that queued
// updates during the outage have surely flushed them.
const RESYNC_DELAYS_MS = [1000, 5000];
// Instances' clocks differ a little; re-emit a margin before the outage began.
const CLOCK_MARGIN_MS = 2000;
// Per run, at most this many recent updates are considered.
const MAX_RECENT = 200;

/**
 * While this instance's Redis subscriber is disconnected, updates published elsewhere do not reach
 * it, and nothing would tell its clients. When the subscriber is back, this re-emits to each local
 * run room the updates logged since the outage began; clients drop the ones they already have by
 * seq. The run log is the source of truth, the live channel only its fast path. Revocations are
 * in the store too: connections of users revoked meanwhile leave the room first.
 */
@Injectable()
export class RunResync implements OnModuleDestroy {
  private readonly logger = new Logger('Notifications:Resync');
  private readonly timers = new Set<NodeJS.Timeout>();
  private namespace?: Namespace;

  constructor(
    @Inject(RedisConnections) private readonly connections: RedisConnections,
    @Inject(RunStore) private readonly runs: RunStore,
    @Inject(NotificationsMetrics) private readonly metrics: NotificationsMetrics,
    @Inject(UserControl) private readonly control: UserControl,
  ) {}

  attach(namespace: Namespace): void {
    this.namespace = namespace;
    this.connections.onRecovered((role, downSince) => {
      if (role !== 'subscriber') return;
      for (const delay of RESYNC_DELAYS_MS) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.resync(downSince - CLOCK_MARGIN_MS);
        }, delay);
        timer.unref();
        this.timers.add(timer);
      }
    });
  }

  /** Re-emits to each local run room the updates published at or after `since` (ms). */
  async resync(since: number): Promise<number> {
    const namespace = this.namespace;
    if (!namespace) return 0;
    // Copied: the loop awaits, and rooms come and go meanwhile.
    const rooms = [...namespace.adapter.rooms.keys()];
    let emitted = 0;
    let runRooms = 0;
    for (const room of rooms) {
      const runId = runIdOfRoom(room);
      if (runId === undefined) continue;
      runRooms++;
      try {
        // The run's lastSeq first, to read only its recent updates (a log can be long).
        const run = await this.runs.getRun(runId);
        // A room of an expired run whose id was reused gets nothing of the new run.
        if (!run || runRoom(runId, run.createdAt) !== room) continue;
        // A revocation's request to leave the room may have been published during the outage.
        for (const userId of run.revoked ?? [])
          this.control.apply({ op: 'leaveRun', userId, runId });
        const slice = await this.runs.readLog(runId, Math.max(0, run.lastSeq - MAX_RECENT));
        for (const update of slice.updates) {
          if (Date.parse(update.at) < since) continue;
          namespace.local.to(room).emit(ServerEvents.StatusUpdate, update);
          this.metrics.countEmitted('resync');
          emitted++;
        }
      } catch (error) {
        this.logger.warn(`Resync of run ${runId} failed: ${(error as Error).message}`);
      }
    }
    if (emitted > 0)
      this.logger.log(
        `Re-emitted ${emitted} update(s) to ${runRooms} run room(s) after a Redis outage`,
      );
    return emitted;
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
