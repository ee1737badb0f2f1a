import type { RunStatus, StatusUpdate } from '../../src/protocol/messages';

/** The record of one run. */
export interface RunRecord {
  runId: string;
  ownerId: string;
  status: RunStatus;
  /** seq of the last published update; 0 before the first. */
  lastSeq: number;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** Users whose access was revoked: refused whatever the access policy says. */
  revoked?: string[];
}

/** An update before the store gives it its `seq`. */
export type NewStatusUpdate = Omit<StatusUpdate, 'seq' | 'runId'>;

/** What {@link RunStore.append} stored, and in which run. */
export interface AppendedUpdate {
  update: StatusUpdate;
  /**
   * `createdAt` of the run the update went to, read in the same atomic step: a run id can be
   * reused after its run expired, and the update belongs to this run only.
   */
  runCreatedAt: string;
}

/** A slice of a run's log. */
export interface RunLogSlice {
  /**
   * The run as it was when the log was read (its owner, revocations), read in the same round trip;
   * null when there is no such run.
   */
  run: RunRecord | null;
  /** Updates with `seq > afterSeq`, in `seq` order. */
  updates: StatusUpdate[];
  /** The run's last seq as this read saw it: at least that of the last update in `updates`. */
  lastSeq: number;
  /** True when the log no longer holds `afterSeq + 1` (trimmed or expired); false without a run. */
  gap: boolean;
}

/**
 * Runs and their sequenced logs. The Redis implementation is shared by every instance; the memory
 * one serves a single instance. `append` assigns the next `seq` atomically and stores the update
 * before it is emitted, so that a subscriber who reads the log after joining cannot miss it.
 */
export abstract class RunStore {
  /**
   * Registers a run; rejects if the id is taken. With `firstUpdate`, the run is created with it
   * already logged as seq 1 (its status, `lastSeq` 1), in the same step.
   */
  abstract createRun(
    runId: string,
    ownerId: string,
    firstUpdate?: NewStatusUpdate,
  ): Promise<RunRecord>;
  /** The run, or null when there is none (or it expired). */
  abstract getRun(runId: string): Promise<RunRecord | null>;
  /**
   * Appends an update; resolves to it with its `seq` and its run's `createdAt`, or to null when the
   * run does not exist.
   */
  abstract append(runId: string, update: NewStatusUpdate): Promise<AppendedUpdate | null>;
  /**
   * Every logged update with `seq > afterSeq`, with the run's record: a replay that stopped short
   * would look complete to the subscriber, so there is no page size.
   */
  abstract readLog(runId: string, afterSeq: number): Promise<RunLogSlice>;
  /** Refuses the user further access to the run; resolves false when the run does not exist. */
  abstract revoke(runId: string, userId: string): Promise<boolean>;
  /** Releases connections and timers. */
  abstract close(): Promise<void>;
}
