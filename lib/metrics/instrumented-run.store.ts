import {
  RunStore,
  type AppendedUpdate,
  type NewStatusUpdate,
  type RunLogSlice,
  type RunRecord,
} from '../runs/run-store';
import type { NotificationsMetrics } from './notifications-metrics';

/** A {@link RunStore} that times every call into `notifications_run_store_duration_seconds`. */
export class InstrumentedRunStore extends RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly metrics: NotificationsMetrics,
  ) {
    super();
  }

  createRun(runId: string, ownerId: string, firstUpdate?: NewStatusUpdate): Promise<RunRecord> {
    return this.metrics.timeStore('create', () =>
      this.inner.createRun(runId, ownerId, firstUpdate),
    );
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.metrics.timeStore('get', () => this.inner.getRun(runId));
  }

  append(runId: string, update: NewStatusUpdate): Promise<AppendedUpdate | null> {
    return this.metrics.timeStore('append', () => this.inner.append(runId, update));
  }

  readLog(runId: string, afterSeq: number): Promise<RunLogSlice> {
    return this.metrics.timeStore('read', () => this.inner.readLog(runId, afterSeq));
  }

  revoke(runId: string, userId: string): Promise<boolean> {
    return this.metrics.timeStore('revoke', () => this.inner.revoke(runId, userId));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
