import { inOrder, type InProgress } from './in-order';

/** An operation that settles when the test says, recording when it started. */
function step(log: string[], name: string) {
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const run = () => {
    log.push(`start ${name}`);
    return new Promise<string>((resolve, reject) => {
      settle = { resolve: () => resolve(name), reject };
    });
  };
  return { run, settle: () => settle };
}
const ticks = () => new Promise((resolve) => setImmediate(resolve));

describe('inOrder', () => {
  it('runs operations on one key one after the other, in call order, whatever their outcome', async () => {
    const holder: { inProgress?: InProgress } = {};
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => step(log, name));
    const results = [a, b, c].map((s) => inOrder(holder, 'run-1', s.run));
    results[0].catch(() => undefined);
    await ticks();
    expect(log).toEqual(['start a']);
    a.settle().reject(new Error('a failed'));
    await ticks();
    expect(log).toEqual(['start a', 'start b']);
    b.settle().resolve();
    await ticks();
    c.settle().resolve();
    await expect(results[0]).rejects.toThrow('a failed');
    await expect(results[1]).resolves.toBe('b');
    await expect(results[2]).resolves.toBe('c');
  });

  it('does not hold operations on other keys', async () => {
    const holder: { inProgress?: InProgress } = {};
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((name) => step(log, name));
    void inOrder(holder, 'run-1', a.run);
    void inOrder(holder, 'run-2', b.run);
    await ticks();
    expect(log).toEqual(['start a', 'start b']);
    a.settle().resolve();
    b.settle().resolve();
  });

  it('keeps nothing once every operation has settled', async () => {
    const holder: { inProgress?: InProgress } = {};
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((name) => step(log, name));
    const done = [inOrder(holder, 'run-1', a.run), inOrder(holder, 'run-2', b.run)];
    expect(holder.inProgress?.size).toBe(2);
    a.settle().resolve();
    await done[0];
    await ticks();
    expect(holder.inProgress?.size).toBe(1);
    b.settle().resolve();
    await done[1];
    await ticks();
    expect(holder.inProgress).toBeUndefined();
  });
});
