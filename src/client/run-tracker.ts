import type { RunSnapshot, StatusUpdate, SubscribeAck } from '../protocol/messages';
import { backoffDelay } from './backoff';
import { callEach } from './call-each';
import { RunSequencer } from './run-sequencer';
import type { Handler } from './client-options';

interface TrackedRun {
  sequencer: RunSequencer;
  handlers: Set<Handler<StatusUpdate>>;
  gapTimer?: ReturnType<typeof setTimeout>;
  refetching?: boolean;
  /** Consecutive failed refetches: the next one waits longer. */
  failedFetches: number;
  /**
   * When the run followed was created, from the first ack that said so: a resubscription passes
   * it, so that another run under the same id (the first expired) is refused, not resumed.
   */
  createdAt?: string;
}

/** What {@link RunTracker} needs from its client. */
export interface RunTrackerOptions {
  /** Every update released, after the run's own handlers (it isolates its own handlers). */
  onUpdate: Handler<StatusUpdate>;
  /**
   * A refetch failed. It is tried again later, less often, while the run still misses updates;
   * after {@link MAX_FAILED_FETCHES} failures in a row the run is dropped before this is called.
   */
  onFetchError: (runId: string, error: Error, gaveUp: boolean) => void;
  /** A handler threw: the others still get the update, and so do the later updates. */
  onHandlerError: (error: unknown, update: StatusUpdate) => void;
  /** The run's state over HTTP, for a gap. */
  fetchRun: (runId: string) => Promise<RunSnapshot>;
  gapTimeoutMs: number;
}

/** Consecutive failed refetches (about two minutes of them) after which a run is given up. */
const MAX_FAILED_FETCHES = 5;

/**
 * The client's runs: per run a sequencer (each update once, in seq order) and its handlers. A hole
 * that does not fill within the gap timeout, or that the server reports (`gap` in the ack), is
 * filled from the run's state over HTTP.
 */
export class RunTracker {
  private readonly runs = new Map<string, TrackedRun>();
  /** False while the client is stopped or disconnected: no refetch is started then. */
  private active = true;

  constructor(private readonly options: RunTrackerOptions) {}

  /** Run ids being followed. */
  ids(): string[] {
    return [...this.runs.keys()];
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /**
   * The run's current entry, compared by identity: a run forgotten and followed again has a new
   * one, so a late answer to the earlier subscription can tell that it is not its own.
   */
  entry(runId: string): object | undefined {
    return this.runs.get(runId);
  }

  /** The last seq released for a run: where a (re-)subscription resumes. */
  lastSeq(runId: string): number {
    return this.runs.get(runId)?.sequencer.lastSeq ?? 0;
  }

  /** When the run followed was created, once an ack said so. */
  createdAt(runId: string): string | undefined {
    return this.runs.get(runId)?.createdAt;
  }

  /** Adds a handler; returns true when the run was not followed yet. */
  add(runId: string, handler: Handler<StatusUpdate>, afterSeq: number): boolean {
    let run = this.runs.get(runId);
    const isNew = !run;
    if (!run) {
      run = {
        sequencer: new RunSequencer(afterSeq),
        handlers: new Set(),
        failedFetches: 0,
      };
      this.runs.set(runId, run);
    }
    run.handlers.add(handler);
    return isNew;
  }

  /** Removes a handler; returns true when the run has none left. */
  removeHandler(runId: string, handler: Handler<StatusUpdate>): boolean {
    const run = this.runs.get(runId);
    if (!run) return false; // dropped meanwhile: nothing left to leave on the server
    run.handlers.delete(handler);
    return run.handlers.size === 0;
  }

  delete(runId: string): void {
    clearTimeout(this.runs.get(runId)?.gapTimer);
    this.runs.delete(runId);
  }

  /** Stops every gap timer (the client is stopping or disconnected; a re-subscription re-arms them). */
  pause(): void {
    this.active = false;
    for (const run of this.runs.values()) {
      clearTimeout(run.gapTimer);
      run.gapTimer = undefined;
    }
  }

  /** An update from the wire. */
  accept(update: StatusUpdate): void {
    const run = this.runs.get(update?.runId);
    if (!run) return;
    this.deliver(run, run.sequencer.accept(update));
    this.check(update.runId, run);
  }

  /**
   * A successful subscribe ack. Replayed updates arrived before it; anything still missing is in
   * flight or gone from the log: refetch at once for a gap, after the gap timeout otherwise.
   */
  acknowledged(runId: string, ack: SubscribeAck): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (typeof ack.createdAt === 'string') run.createdAt ??= ack.createdAt;
    run.sequencer.expect(ack.lastSeq);
    if (ack.gap) void this.refetch(runId);
    else this.check(runId, run);
  }

  /** Waits for what is missing, if anything; once nothing is, the next gap starts afresh. */
  private check(runId: string, run: TrackedRun): void {
    if (run.sequencer.missing) return this.armGapTimer(runId, run);
    clearTimeout(run.gapTimer);
    run.gapTimer = undefined;
    run.failedFetches = 0;
  }

  private deliver(run: TrackedRun, updates: StatusUpdate[]): void {
    // The sequencer has already moved past these updates: a handler that throws must not keep
    // them from the other handlers, nor the rest of the batch from anyone.
    for (const update of updates) {
      callEach(run.handlers, update, (error) => this.options.onHandlerError(error, update));
      this.options.onUpdate(update);
    }
  }

  /** Allows refetches again (the client is connected). */
  resume(): void {
    this.active = true;
  }

  private armGapTimer(runId: string, run: TrackedRun): void {
    if (run.gapTimer || !this.active) return;
    // After failed refetches, wait longer each time (up to a minute).
    const delay = backoffDelay(run.failedFetches, {
      initialDelayMs: this.options.gapTimeoutMs,
      maxDelayMs: 60_000,
      jitter: 0,
    });
    run.gapTimer = setTimeout(() => {
      run.gapTimer = undefined;
      void this.refetch(runId);
    }, delay);
  }

  private async refetch(runId: string): Promise<void> {
    const run = this.runs.get(runId);
    if (!run || run.refetching || !this.active) return;
    run.refetching = true;
    // This fetch answers for a gap timer already armed.
    clearTimeout(run.gapTimer);
    run.gapTimer = undefined;
    try {
      const snapshot = await this.options.fetchRun(runId);
      if (this.runs.get(runId) === run) {
        this.deliver(run, run.sequencer.acceptSnapshot(snapshot.updates, snapshot.lastSeq));
      }
    } catch (error) {
      // Still unreachable after minutes (the run expired, access was revoked): give it up.
      const gaveUp = ++run.failedFetches >= MAX_FAILED_FETCHES && this.runs.get(runId) === run;
      if (gaveUp) this.delete(runId);
      this.options.onFetchError(runId, error as Error, gaveUp);
    } finally {
      run.refetching = false;
    }
    // Still missing something (the fetch failed, or more is due): try again later.
    if (this.runs.get(runId) === run) this.check(runId, run);
  }
}
