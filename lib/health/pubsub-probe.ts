import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../scale-out/redis-connections';

/**
 * A round trip through Redis pub/sub on the adapter's own connections: publish a nonce on the
 * publisher, wait for it on the subscriber. A subscriber that is connected but no longer
 * subscribed (the silent failure of pub/sub) fails it, where a PING would still succeed.
 */
export class PubSubProbe {
  private readonly channel: string;
  private readonly pending = new Map<string, () => void>();
  private subscribed?: Promise<unknown>;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly sharded: boolean,
    keyPrefix: string,
  ) {
    // One channel per instance, so that instances do not answer each other's probes.
    this.channel = `${keyPrefix}:health:{${randomUUID()}}`;
    const onMessage = (channel: string, message: string) => {
      if (channel === this.channel) this.pending.get(message)?.();
    };
    subscriber.on(sharded ? 'smessage' : 'message', onMessage);
  }

  /** Resolves when a probe message came back within `timeoutMs`; rejects otherwise. */
  async probe(timeoutMs: number): Promise<void> {
    // ioredis re-subscribes on reconnect, so subscribing once is enough.
    this.subscribed ??= (
      this.sharded
        ? this.subscriber.ssubscribe(this.channel)
        : this.subscriber.subscribe(this.channel)
    ).catch((error: unknown) => {
      // Try again on the next probe; this one fails.
      this.subscribed = undefined;
      throw error;
    });
    await this.subscribed;
    const nonce = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.pending.set(nonce, resolve);
        timer = setTimeout(() => reject(new Error('pub/sub round trip timed out')), timeoutMs);
        const sent = this.sharded
          ? this.publisher.spublish(this.channel, nonce)
          : this.publisher.publish(this.channel, nonce);
        sent.catch(reject);
      });
    } finally {
      clearTimeout(timer);
      this.pending.delete(nonce);
    }
  }
}
