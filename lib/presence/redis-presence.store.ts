import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../scale-out/redis-connections';
import { PresenceStore, type PresenceSettings } from './presence.store';

// One sorted set per user: members are connection ids, scores their expiry. Registration drops
// the expired members, checks the limit and adds the new one atomically, so concurrent handshakes
// on several instances cannot overshoot the limit.
const REGISTER = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local max = tonumber(ARGV[4])
if max > 0 and redis.call('ZCARD', KEYS[1]) >= max then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

// A heartbeat moves a live member's expiry and the key's with it, in one command. XX: a
// connection unregistered meanwhile is not brought back.
const BEAT = `
if redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[2], ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1`;

interface ScriptedRedis extends Redis {
  notificationsPresenceBeat(key: string, member: string, expiry: number, ttlMs: number): unknown;
  notificationsPresenceRegister(
    key: string,
    member: string,
    now: number,
    expiry: number,
    max: number,
    ttlMs: number,
  ): Promise<number>;
}

/** {@link PresenceStore} in Redis, shared by every instance. */
export class RedisPresenceStore extends PresenceStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: RedisClient,
    private readonly settings: PresenceSettings & { keyPrefix: string },
  ) {
    super();
    // Cluster and Redis share this command API; the run's keys share one slot.
    this.redis = redis as unknown as ScriptedRedis;
    if (!('notificationsPresenceRegister' in redis)) {
      redis.defineCommand('notificationsPresenceRegister', { numberOfKeys: 1, lua: REGISTER });
      redis.defineCommand('notificationsPresenceBeat', { numberOfKeys: 1, lua: BEAT });
    }
  }

  /** The user's key; the hash tag keeps it on one cluster slot. */
  key(userId: string): string {
    return `${this.settings.keyPrefix}:presence:{${userId}}`;
  }

  async register(userId: string, connectionId: string, max: number): Promise<boolean> {
    const now = Date.now();
    const ttl = this.settings.ttlMs;
    const added = await this.redis.notificationsPresenceRegister(
      this.key(userId),
      connectionId,
      now,
      now + ttl,
      max,
      ttl,
    );
    return added === 1;
  }

  async unregister(userId: string, connectionId: string): Promise<void> {
    await this.redis.zrem(this.key(userId), connectionId);
  }

  async heartbeat(connections: Iterable<[string, string]>): Promise<void> {
    const expiry = Date.now() + this.settings.ttlMs;
    const ttl = this.settings.ttlMs;
    if ((this.redis as unknown) instanceof Cluster) {
      // The users' keys live on different slots, which one cluster pipeline cannot hold.
      const beats: unknown[] = [];
      for (const [userId, connectionId] of connections)
        beats.push(
          this.redis.notificationsPresenceBeat(this.key(userId), connectionId, expiry, ttl),
        );
      await Promise.all(beats);
      return;
    }
    // One write for the whole slice: a command per connection costs the event loop a socket
    // write each, and the heartbeat runs beside the messages.
    const pipeline = this.redis.pipeline() as unknown as ScriptedRedis & {
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (const [userId, connectionId] of connections)
      pipeline.notificationsPresenceBeat(this.key(userId), connectionId, expiry, ttl);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async count(userId: string): Promise<number> {
    return this.redis.zcount(this.key(userId), Date.now(), '+inf');
  }
}
