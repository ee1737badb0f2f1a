import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially from the initial delay up to the cap, without jitter', () => {
    const delays = [0, 1, 2, 3, 4, 5, 10].map((a) =>
      backoffDelay(a, { initialDelayMs: 100, maxDelayMs: 2000, jitter: 0 }),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('draws jitter below the nominal delay, never above, so clients spread out', () => {
    const options = { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.5 };
    expect(backoffDelay(3, options, () => 0)).toBe(1000);
    expect(backoffDelay(3, options, () => 0.9)).toBe(550);
    const samples = Array.from({ length: 200 }, () => backoffDelay(0, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...samples)).toBeLessThanOrEqual(1000);
    expect(new Set(samples).size).toBeGreaterThan(20);
  });

  it('uses defaults: 500 ms, doubling, 15 s cap, half jitter', () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(500);
    expect(backoffDelay(20, {}, () => 0)).toBe(15000);
    expect(backoffDelay(0, {}, () => 1)).toBe(250);
  });
});
