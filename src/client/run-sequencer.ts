import type { StatusUpdate } from '../protocol/messages';

/**
 * Restores a run's order from what the wire delivers: duplicates (a replay overlapping live
 * delivery, a re-subscription after a reconnect) are dropped, and an update that arrives early is
 * held until the ones before it fill the gap. Each update is released exactly once, in `seq` order.
 */
export class RunSequencer {
  private delivered: number;
  /** The highest seq the server said the run has: everything up to it is due. */
  private announced = 0;
  private readonly held = new Map<number, StatusUpdate>();

  constructor(lastSeq = 0) {
    this.delivered = lastSeq;
  }

  /** The highest seq released so far: the `afterSeq` of a re-subscription. */
  get lastSeq(): number {
    return this.delivered;
  }

  /** True while some update is held because an earlier one is missing. */
  get hasGap(): boolean {
    return this.held.size > 0;
  }

  /** True while an update is held behind a hole, or one the server announced has not arrived. */
  get missing(): boolean {
    return this.held.size > 0 || this.delivered < this.announced;
  }

  /** The server says the run has updates up to `lastSeq` (a subscribe ack): they are due. */
  expect(lastSeq: number): void {
    if (Number.isSafeInteger(lastSeq)) this.announced = Math.max(this.announced, lastSeq);
  }

  /** Accepts one update; returns the updates now releasable, in order (possibly none). */
  accept(update: StatusUpdate): StatusUpdate[] {
    if (
      !Number.isSafeInteger(update.seq) ||
      update.seq <= this.delivered ||
      this.held.has(update.seq)
    )
      return [];
    this.held.set(update.seq, update);
    return this.drain();
  }

  /**
   * Accepts the run's log as refetched over HTTP after a gap: releases what it holds past the last
   * seq released, and skips past updates the log no longer has.
   */
  acceptSnapshot(updates: StatusUpdate[], lastSeq: number): StatusUpdate[] {
    const released: StatusUpdate[] = [];
    for (const update of [...updates].sort((a, b) => a.seq - b.seq))
      released.push(...this.accept(update));
    if (lastSeq > this.delivered) {
      // What the log lost cannot be had any more: move on rather than wait forever.
      const first = Math.min(...[...this.held.keys(), lastSeq + 1]);
      this.delivered = Math.max(this.delivered, first - 1);
      released.push(...this.drain());
    }
    return released;
  }

  private drain(): StatusUpdate[] {
    const released: StatusUpdate[] = [];
    for (
      let next = this.held.get(this.delivered + 1);
      next;
      next = this.held.get(this.delivered + 1)
    ) {
      this.held.delete(next.seq);
      this.delivered = next.seq;
      released.push(next);
    }
    return released;
  }
}
