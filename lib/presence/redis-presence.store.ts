import type { Redis } from 'ioredis';
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

interface ScriptedRedis extends Redis {
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
    const writes: Array<Promise<unknown>> = [];
    // Separate commands rather than one pipeline: on Redis Cluster the users' keys live on
    // different slots. ioredis still writes them to the socket in batches.
    for (const [userId, connectionId] of connections) {
      // XX: a connection unregistered meanwhile is not brought back.
      writes.push(this.redis.zadd(this.key(userId), 'XX', expiry, connectionId));
      writes.push(this.redis.pexpire(this.key(userId), this.settings.ttlMs));
    }
    await Promise.all(writes);
  }

  async count(userId: string): Promise<number> {
    return this.redis.zcount(this.key(userId), Date.now(), '+inf');
  }
}
