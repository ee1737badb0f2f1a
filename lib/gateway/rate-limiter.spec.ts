import { TokenBucket } from './rate-limiter';

describe('TokenBucket', () => {
  it('allows a burst of twice the rate, then refills at the rate', () => {
    const bucket = new TokenBucket(10);
    const t0 = Date.now();
    const burst = Array.from({ length: 25 }, () => bucket.take(t0)).filter(Boolean).length;
    expect(burst).toBe(20);
    expect(bucket.take(t0 + 50)).toBe(false);
    expect(bucket.take(t0 + 100)).toBe(true);
    expect(bucket.take(t0 + 100)).toBe(false);
    const afterSecond = Array.from({ length: 30 }, () => bucket.take(t0 + 5000)).filter(
      Boolean,
    ).length;
    expect(afterSecond).toBe(20);
  });
});
