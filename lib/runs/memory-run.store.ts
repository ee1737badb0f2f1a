import type { StatusUpdate } from '../../src/protocol/messages';
import { NotificationsError } from '../errors/notifications.error';
import {
  RunStore,
  type AppendedUpdate,
  type NewStatusUpdate,
  type RunLogSlice,
  type RunRecord,
} from './run-store';

interface MemoryRun {
  record: RunRecord;
  /**
   * Logged as the Redis store logs it, serialized, and parsed afresh for each reader: the app may
   * change its data object later, and a reader cannot change the log.
   */
  log: Array<{ seq: number; json: string }>;
  expiresAt: number;
}

/** A copy the caller cannot change the store through. */
function copyRecord(record: RunRecord): RunRecord {
  return record.revoked ? { ...record, revoked: [...record.revoked] } : { ...record };
}

/** A {@link RunStore} in this process's memory: one instance only. Expired runs are swept lazily. */
export class MemoryRunStore extends RunStore {
  private readonly runs = new Map<string, MemoryRun>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: { logMaxLength: number; ttlSeconds: number }) {
    super();
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async createRun(
    runId: string,
    ownerId: string,
    firstUpdate?: NewStatusUpdate,
  ): Promise<RunRecord> {
    if (this.live(runId)) throw new NotificationsError('conflict', `Run ${runId} already exists.`);
    const record: RunRecord = {
      runId,
      ownerId,
      status: 'queued',
      lastSeq: 0,
      createdAt: new Date().toISOString(),
    };
    this.runs.set(runId, { record, log: [], expiresAt: this.expiry() });
    if (firstUpdate) await this.append(runId, firstUpdate);
    return { ...record };
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const run = this.live(runId);
    return run ? copyRecord(run.record) : null;
  }

  async append(runId: string, update: NewStatusUpdate): Promise<AppendedUpdate | null> {
    const run = this.live(runId);
    if (!run) return null;
    const seq = run.record.lastSeq + 1;
    const stored: StatusUpdate = { runId, seq, ...update };
    // Serialized first: data JSON cannot hold (a BigInt, a cycle) throws before the run changes.
    const json = JSON.stringify(stored);
    run.record.lastSeq = seq;
    run.record.status = update.status;
    run.log.push({ seq, json });
    if (run.log.length > this.options.logMaxLength)
      run.log.splice(0, run.log.length - this.options.logMaxLength);
    run.expiresAt = this.expiry();
    return { update: stored, runCreatedAt: run.record.createdAt };
  }

  async readLog(runId: string, afterSeq: number): Promise<RunLogSlice> {
    const run = this.live(runId);
    if (!run) return { run: null, updates: [], lastSeq: 0, gap: false };
    const { log, record } = run;
    const firstSeq = log.length > 0 ? log[0].seq : record.lastSeq + 1;
    const updates = log
      .filter((entry) => entry.seq > afterSeq)
      .map((entry) => JSON.parse(entry.json) as StatusUpdate);
    return {
      run: copyRecord(record),
      updates,
      lastSeq: record.lastSeq,
      gap: afterSeq < record.lastSeq && firstSeq > afterSeq + 1,
    };
  }

  async revoke(runId: string, userId: string): Promise<boolean> {
    const run = this.live(runId);
    if (!run) return false;
    run.record.revoked = [...new Set([...(run.record.revoked ?? []), userId])];
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.runs.clear();
  }

  private live(runId: string): MemoryRun | undefined {
    const run = this.runs.get(runId);
    if (run && run.expiresAt <= Date.now()) {
      this.runs.delete(runId);
      return undefined;
    }
    return run;
  }

  private expiry(): number {
    return Date.now() + this.options.ttlSeconds * 1000;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, run] of this.runs) if (run.expiresAt <= now) this.runs.delete(id);
  }
}
