import type { RunSnapshot, StatusUpdate, SubscribeAck } from '../protocol/messages';
import { RunTracker, type RunTrackerOptions } from './run-tracker';

const GAP_MS = 1000;
const u = (seq: number, runId = 'r'): StatusUpdate => ({
  runId,
  seq,
  status: 'progress',
  at: new Date(seq).toISOString(),
});
const snapshot = (lastSeq: number, seqs: number[]): RunSnapshot => ({
  runId: 'r',
  status: 'running',
  lastSeq,
  updates: seqs.map((seq) => u(seq)),
});
/** A successful subscribe ack of run 'r' that replayed nothing. */
const ack = (lastSeq: number, extra: Partial<SubscribeAck> = {}): SubscribeAck => ({
  ok: true,
  runId: 'r',
  lastSeq,
  replayed: 0,
  ...extra,
});
/** Lets a refetch's promise settle under fake timers. */
const settle = () =>
  new Promise<void>((resolve) => jest.requireActual('timers').setImmediate(resolve));

describe('RunTracker', () => {
  let released: number[];
  let fetchRun: jest.Mock<Promise<RunSnapshot>, [string]>;
  let onFetchError: jest.Mock<void, [string, Error, boolean]>;
  let onHandlerError: jest.Mock<void, [unknown, StatusUpdate]>;
  let tracker: RunTracker;

  beforeEach(() => {
    jest.useFakeTimers();
    released = [];
    fetchRun = jest.fn();
    onFetchError = jest.fn();
    onHandlerError = jest.fn();
    const options: RunTrackerOptions = {
      onUpdate: (update) => released.push(update.seq),
      onFetchError,
      onHandlerError,
      fetchRun,
      gapTimeoutMs: GAP_MS,
    };
    tracker = new RunTracker(options);
  });
  afterEach(() => jest.useRealTimers());

  it('counts handlers per run: the first add is new, the last removal empties it', () => {
    const a = jest.fn();
    const b = jest.fn();
    expect(tracker.add('r', a, 0)).toBe(true);
    expect(tracker.add('r', b, 0)).toBe(false);
    tracker.accept(u(1));
    expect(a).toHaveBeenCalledWith(u(1));
    expect(b).toHaveBeenCalledWith(u(1));
    expect(tracker.removeHandler('r', a)).toBe(false);
    expect(tracker.removeHandler('r', b)).toBe(true);
    expect(tracker.ids()).toEqual(['r']);
    tracker.delete('r');
    expect(tracker.has('r')).toBe(false);
  });

  it('releases each update once, in order, after afterSeq, and ignores runs it does not follow', () => {
    tracker.add('r', () => undefined, 2);
    for (const seq of [1, 2, 3, 3, 5, 4]) tracker.accept(u(seq));
    tracker.accept(u(1, 'other'));
    tracker.accept(null as unknown as StatusUpdate);
    expect(released).toEqual([3, 4, 5]);
    expect(tracker.lastSeq('r')).toBe(5);
    expect(tracker.lastSeq('other')).toBe(0);
  });

  it('does not refetch a hole that fills within the gap timeout', async () => {
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(2));
    jest.advanceTimersByTime(GAP_MS - 1);
    tracker.accept(u(1));
    jest.advanceTimersByTime(GAP_MS * 2);
    await settle();
    expect(released).toEqual([1, 2]);
    expect(fetchRun).not.toHaveBeenCalled();
  });

  it('fills a hole that stays open from the run over HTTP after the gap timeout', async () => {
    fetchRun.mockResolvedValue(snapshot(3, [1, 2, 3]));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(3));
    jest.advanceTimersByTime(GAP_MS - 1);
    expect(fetchRun).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await settle();
    expect(fetchRun).toHaveBeenCalledWith('r');
    expect(released).toEqual([1, 2, 3]);
  });

  it('moves past updates the log no longer has', async () => {
    // The log kept 4 and 5 only; 2 and 3 are gone for good.
    fetchRun.mockResolvedValue(snapshot(5, [4, 5]));
    tracker.add('r', () => undefined, 1);
    tracker.accept(u(5));
    jest.advanceTimersByTime(GAP_MS);
    await settle();
    expect(released).toEqual([4, 5]);
    tracker.accept(u(6));
    expect(released).toEqual([4, 5, 6]);
  });

  it('an ack below what already arrived live changes nothing (an update emitted between the log read and the ack)', async () => {
    fetchRun.mockResolvedValue(snapshot(2, [1, 2]));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(1));
    tracker.accept(u(2));
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 1, replayed: 1 });
    jest.advanceTimersByTime(GAP_MS * 10);
    await settle();
    expect(fetchRun).not.toHaveBeenCalled();
    expect(released).toEqual([1, 2]);
  });

  it("keeps the first ack's createdAt: the run a resubscription asks for", () => {
    tracker.add('r', () => undefined, 0);
    expect(tracker.createdAt('r')).toBeUndefined();
    tracker.acknowledged('r', ack(0));
    expect(tracker.createdAt('r')).toBeUndefined();
    tracker.acknowledged('r', ack(0, { createdAt: 'A' }));
    tracker.acknowledged('r', ack(0, { createdAt: 'B' }));
    expect(tracker.createdAt('r')).toBe('A');
    expect(tracker.createdAt('other')).toBeUndefined();
  });

  it('refetches at once for an ack that reports a gap', async () => {
    fetchRun.mockResolvedValue(snapshot(8, [7, 8]));
    tracker.add('r', () => undefined, 2);
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 8, replayed: 0, gap: true });
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    expect(released).toEqual([7, 8]);
  });

  it('after an ack ahead of what arrived, waits the gap timeout for the updates in flight', async () => {
    fetchRun.mockResolvedValue(snapshot(2, [1, 2]));
    tracker.add('r', () => undefined, 0);
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 2, replayed: 2 });
    tracker.accept(u(1));
    jest.advanceTimersByTime(GAP_MS);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    expect(released).toEqual([1, 2]);
  });

  it('does nothing more once what the ack announced has arrived', async () => {
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(1));
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 1, replayed: 1 });
    tracker.add('s', () => undefined, 0);
    tracker.acknowledged('s', { ok: true, runId: 's', lastSeq: 2, replayed: 0 });
    tracker.accept(u(1, 's'));
    tracker.accept(u(2, 's'));
    jest.advanceTimersByTime(GAP_MS * 2);
    await settle();
    expect(fetchRun).not.toHaveBeenCalled();
  });

  it('reports a failed refetch, and runs one refetch at a time', async () => {
    let fail!: (error: Error) => void;
    fetchRun.mockReturnValue(new Promise((_, reject) => (fail = reject)));
    tracker.add('r', () => undefined, 0);
    const ack = { ok: true as const, runId: 'r', lastSeq: 3, replayed: 0, gap: true };
    tracker.acknowledged('r', ack);
    tracker.acknowledged('r', ack);
    expect(fetchRun).toHaveBeenCalledTimes(1);
    fail(new Error('503'));
    await settle();
    expect(onFetchError).toHaveBeenCalledWith('r', new Error('503'), false);
    expect(released).toEqual([]);
  });

  it('tries a failed refetch again later, waiting longer each time', async () => {
    fetchRun
      .mockRejectedValueOnce(new Error('503'))
      .mockRejectedValueOnce(new Error('503'))
      .mockResolvedValue(snapshot(2, [1, 2]));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(2));
    jest.advanceTimersByTime(GAP_MS);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(GAP_MS * 2 - 1);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(GAP_MS * 4);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(3);
    expect(released).toEqual([1, 2]);
    expect(onFetchError).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(GAP_MS * 10);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(3);
  });

  it('gives a run up after five failed refetches in a row', async () => {
    fetchRun.mockRejectedValue(new Error('404'));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(2));
    for (let i = 0; i < 5; i++) {
      expect(tracker.has('r')).toBe(true);
      jest.advanceTimersByTime(60_000);
      await settle();
    }
    expect(fetchRun).toHaveBeenCalledTimes(5);
    expect(onFetchError).toHaveBeenCalledTimes(5);
    expect(onFetchError).toHaveBeenLastCalledWith('r', new Error('404'), true);
    // Dropped before the last report, so that the report's handler sees it gone.
    expect(tracker.has('r')).toBe(false);
    jest.advanceTimersByTime(600_000);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(5);
  });

  it('starts counting failed refetches afresh once a gap is filled over the socket', async () => {
    fetchRun.mockRejectedValue(new Error('503'));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(2));
    for (let i = 0; i < 4; i++) {
      jest.advanceTimersByTime(60_000);
      await settle();
    }
    expect(fetchRun).toHaveBeenCalledTimes(4);
    tracker.accept(u(1)); // the gap fills over the socket
    tracker.accept(u(4)); // a new gap: refetched after the first delay again
    jest.advanceTimersByTime(GAP_MS);
    await settle();
    expect(fetchRun).toHaveBeenCalledTimes(5);
    // One failure of the new streak does not give the run up.
    expect(tracker.has('r')).toBe(true);
  });

  it('isolates a handler that throws: the others and the later updates still come', () => {
    const other: number[] = [];
    tracker.add(
      'r',
      (update) => {
        throw new Error(`bad ${update.seq}`);
      },
      0,
    );
    tracker.add('r', (update) => other.push(update.seq), 0);
    tracker.accept(u(2));
    tracker.accept(u(1));
    tracker.accept(u(3));
    expect(other).toEqual([1, 2, 3]);
    expect(released).toEqual([1, 2, 3]);
    expect(onHandlerError.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      'bad 1',
      'bad 2',
      'bad 3',
    ]);
  });

  it('drops a refetch that returns after the run was left', async () => {
    let answer!: (value: RunSnapshot) => void;
    fetchRun.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    tracker.add('r', () => undefined, 0);
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 1, replayed: 0, gap: true });
    tracker.delete('r');
    answer(snapshot(1, [1]));
    await settle();
    expect(released).toEqual([]);
  });

  it('starts no refetch while paused, and again once a subscription is acknowledged after resume', async () => {
    fetchRun.mockResolvedValue(snapshot(2, [1, 2]));
    tracker.add('r', () => undefined, 0);
    tracker.accept(u(2));
    tracker.pause();
    jest.advanceTimersByTime(GAP_MS * 2);
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 2, replayed: 0, gap: true });
    await settle();
    expect(fetchRun).not.toHaveBeenCalled();
    tracker.resume();
    tracker.acknowledged('r', { ok: true, runId: 'r', lastSeq: 2, replayed: 0, gap: true });
    await settle();
    expect(released).toEqual([1, 2]);
  });
});
