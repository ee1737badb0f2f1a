/**
 * A token bucket: `ratePerSecond` sustained, bursts up to twice that. One per connection, kept on
 * the socket, so it costs a few numbers and no timer.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt = Date.now();

  constructor(private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond * 2;
  }

  /** Takes one token; false when the bucket is empty. */
  take(now = Date.now()): boolean {
    const capacity = this.ratePerSecond * 2;
    this.tokens = Math.min(
      capacity,
      this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond,
    );
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
