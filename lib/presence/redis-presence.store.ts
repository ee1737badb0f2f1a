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

// A heartbeat (re)writes each live member's expiry, and its key's: a member Redis lost (an outage
// past the TTL, a restart without persistence, a handshake admitted while Redis was unreachable)
// is written back. A connection released meanwhile is not: the instance drops it from its
// heartbeat before it sends the ZREM, on the same connection, so the ZREM comes last.
// KEYS: the users' keys; ARGV: expiry, TTL, then the member of each key in order. On a single
// Redis a whole slice of connections is one call; on a Cluster, where the keys live on different
// slots, one call per connection.
const BEAT = `
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[i + 2])
  redis.call('PEXPIRE', key, ARGV[2])
end
return #KEYS`;

interface ScriptedRedis extends Redis {
  /** `numberOfKeys`, the keys, expiry, TTL, then one member per key. */
  notificationsPresenceBeat(...args: Array<string | number>): Promise<number>;
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
      redis.defineCommand('notificationsPresenceBeat', { lua: BEAT });
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
      const beats: Array<Promise<number>> = [];
      for (const [userId, connectionId] of connections)
        beats.push(
          this.redis.notificationsPresenceBeat(1, this.key(userId), expiry, ttl, connectionId),
        );
      await Promise.all(beats);
      return;
    }
    // One command for the whole slice: a command per connection costs a socket write and a few
    // objects each, which, beside thousands of messages a second, lived long enough to be
    // promoted and brought the old generation's collections closer together.
    const keys: string[] = [];
    const members: string[] = [];
    for (const [userId, connectionId] of connections) {
      keys.push(this.key(userId));
      members.push(connectionId);
    }
    if (keys.length > 0)
      await this.redis.notificationsPresenceBeat(keys.length, ...keys, expiry, ttl, ...members);
  }

  async count(userId: string): Promise<number> {
    return this.redis.zcount(this.key(userId), Date.now(), '+inf');
  }
}
