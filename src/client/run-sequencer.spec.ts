import type { StatusUpdate } from '../protocol/messages';
import { RunSequencer } from './run-sequencer';

const u = (seq: number): StatusUpdate => ({
  runId: 'r',
  seq,
  status: 'progress',
  at: new Date(seq).toISOString(),
});
const seqs = (updates: StatusUpdate[]) => updates.map((x) => x.seq);

/** A deterministic shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe('RunSequencer', () => {
  it('releases in-order input as it comes', () => {
    const s = new RunSequencer();
    expect(seqs(s.accept(u(1)))).toEqual([1]);
    expect(seqs(s.accept(u(2)))).toEqual([2]);
    expect(s.lastSeq).toBe(2);
  });

  it('drops duplicates and anything at or below the last seq released', () => {
    const s = new RunSequencer();
    s.accept(u(1));
    s.accept(u(2));
    expect(s.accept(u(2))).toEqual([]);
    expect(s.accept(u(1))).toEqual([]);
    expect(s.accept({ ...u(0) })).toEqual([]);
  });

  it('holds an early update until the gap fills, then releases the run in order', () => {
    const s = new RunSequencer();
    expect(s.accept(u(3))).toEqual([]);
    expect(s.accept(u(2))).toEqual([]);
    expect(s.hasGap).toBe(true);
    expect(s.missing).toBe(true);
    expect(s.accept(u(3))).toEqual([]);
    expect(seqs(s.accept(u(1)))).toEqual([1, 2, 3]);
    expect(s.hasGap).toBe(false);
    expect(s.missing).toBe(false);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])(
    'any shuffle with duplicates yields 1..n once each, in order (seed %i)',
    (seed) => {
      const all = Array.from({ length: 40 }, (_, i) => u(i + 1));
      const input = shuffled(
        [...all, ...all.filter((x) => x.seq % 3 === 0), ...all.slice(0, 5)],
        seed,
      );
      const s = new RunSequencer();
      const out = input.flatMap((x) => s.accept(x));
      expect(seqs(out)).toEqual(all.map((x) => x.seq));
    },
  );

  it('counts announced updates as missing until they are released', () => {
    const s = new RunSequencer();
    s.expect(2);
    expect(s.missing).toBe(true);
    expect(s.hasGap).toBe(false); // nothing held: the announced updates have not come at all
    s.accept(u(1));
    expect(s.missing).toBe(true);
    s.accept(u(2));
    expect(s.missing).toBe(false);
    s.expect(1);
    expect(s.missing).toBe(false);
  });

  it('starts after a given seq (a re-subscription or a page that already showed some)', () => {
    const s = new RunSequencer(5);
    expect(s.accept(u(5))).toEqual([]);
    expect(seqs(s.accept(u(6)))).toEqual([6]);
  });

  it('ignores updates without a usable seq', () => {
    const s = new RunSequencer();
    expect(s.accept({ ...u(1), seq: Number.NaN })).toEqual([]);
    expect(s.accept({ ...u(1), seq: 1.5 })).toEqual([]);
    expect(s.lastSeq).toBe(0);
  });

  describe('acceptSnapshot (refetch after a gap)', () => {
    it('fills a gap from the run log and releases the held updates after it', () => {
      const s = new RunSequencer();
      s.accept(u(1));
      s.accept(u(4));
      const out = s.acceptSnapshot([u(1), u(2), u(3), u(4)], 4);
      expect(seqs(out)).toEqual([2, 3, 4]);
      expect(s.missing).toBe(false);
    });

    it('skips past what the log no longer holds instead of waiting forever', () => {
      const s = new RunSequencer();
      s.accept(u(1));
      // The log was trimmed: it starts at 6.
      const out = s.acceptSnapshot([u(6), u(7), u(8)], 8);
      expect(seqs(out)).toEqual([6, 7, 8]);
      expect(s.lastSeq).toBe(8);
      expect(seqs(s.accept(u(9)))).toEqual([9]);
    });

    it('releases held live updates that are newer than the snapshot', () => {
      const s = new RunSequencer();
      s.accept(u(9));
      const out = s.acceptSnapshot([u(7), u(8)], 8);
      expect(seqs(out)).toEqual([7, 8, 9]);
    });
  });
});
