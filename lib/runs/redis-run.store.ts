import type { Redis } from 'ioredis';
import type { RedisClient } from '../scale-out/redis-connections';
import type { RunStatus } from '../../src/protocol/messages';
import { NotificationsError } from '../errors/notifications.error';
import {
  RunStore,
  type AppendedUpdate,
  type NewStatusUpdate,
  type RunLogSlice,
  type RunRecord,
} from './run-store';

// The scripts touch only the run's two keys, which share a hash tag, so they run on one Redis
// Cluster slot. CREATE_RUN logs the first update when given one (ARGV[4] status, ARGV[5] body).
// A log left without its hash (the hash evicted, a run id reused after it expired) is dropped
// first: the new run's seq 1 must not land behind the old entries.
const CREATE_RUN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
local first = ARGV[4]
redis.call('HSET', KEYS[1], 'ownerId', ARGV[1], 'status', first or 'queued', 'lastSeq', first and 1 or 0, 'createdAt', ARGV[2])
if first then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '1-0', 'u', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const APPEND_UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local seq = redis.call('HINCRBY', KEYS[1], 'lastSeq', 1)
redis.call('HSET', KEYS[1], 'status', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'u', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {seq, redis.call('HGET', KEYS[1], 'createdAt')}`;

const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked:' .. ARGV[1], '1')
return 1`;

type StreamEntry = [id: string, fields: string[]];

interface ScriptedRedis extends Redis {
  notificationsCreateRun(
    hash: string,
    log: string,
    ownerId: string,
    createdAt: string,
    ttlMs: number,
    ...first: [status: string, body: string, maxLen: number] | []
  ): Promise<number>;
  notificationsAppend(
    hash: string,
    log: string,
    status: string,
    body: string,
    maxLen: number,
    ttlMs: number,
  ): Promise<[seq: number, createdAt: string] | 0>;
  notificationsRevoke(hash: string, userId: string): Promise<number>;
}

/** The run of a hash read with HGETALL; null when it has no owner (no such run, or expired). */
function toRecord(runId: string, hash: Record<string, string>): RunRecord | null {
  if (!hash.ownerId) return null;
  const record: RunRecord = {
    runId,
    ownerId: hash.ownerId,
    status: hash.status as RunStatus,
    lastSeq: Number(hash.lastSeq),
    createdAt: hash.createdAt,
  };
  const revoked = Object.keys(hash)
    .filter((field) => field.startsWith('revoked:'))
    .map((field) => field.slice('revoked:'.length));
  if (revoked.length > 0) record.revoked = revoked;
  return record;
}

/**
 * A {@link RunStore} in Redis, shared by every instance: a hash per run (owner, status, lastSeq) and a
 * stream for its log whose entry ids are `<seq>-0`, so that "updates after n" is one XRANGE.
 * Both keys expire `ttlSeconds` after the run's last update.
 */
export class RedisRunStore extends RunStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: RedisClient,
    private readonly options: { keyPrefix: string; logMaxLength: number; ttlSeconds: number },
  ) {
    super();
    // Cluster and Redis share this command API; the run's keys share one slot.
    this.redis = redis as unknown as ScriptedRedis;
    if (!('notificationsAppend' in redis)) {
      redis.defineCommand('notificationsCreateRun', { numberOfKeys: 2, lua: CREATE_RUN });
      redis.defineCommand('notificationsAppend', { numberOfKeys: 2, lua: APPEND_UPDATE });
      redis.defineCommand('notificationsRevoke', { numberOfKeys: 1, lua: REVOKE });
    }
  }

  /** Key of a run's hash. The `{runId}` hash tag keeps both keys of a run in one cluster slot. */
  runKey(runId: string): string {
    return `${this.options.keyPrefix}:run:{${runId}}`;
  }

  /** Key of a run's log stream. */
  logKey(runId: string): string {
    return `${this.runKey(runId)}:log`;
  }

  async createRun(
    runId: string,
    ownerId: string,
    firstUpdate?: NewStatusUpdate,
  ): Promise<RunRecord> {
    const createdAt = new Date().toISOString();
    const created = await this.redis.notificationsCreateRun(
      this.runKey(runId),
      this.logKey(runId),
      ownerId,
      createdAt,
      this.ttlMs(),
      ...(firstUpdate
        ? ([firstUpdate.status, JSON.stringify(firstUpdate), this.options.logMaxLength] as const)
        : ([] as const)),
    );
    if (created !== 1) throw new NotificationsError('conflict', `Run ${runId} already exists.`);
    return firstUpdate
      ? { runId, ownerId, status: firstUpdate.status, lastSeq: 1, createdAt }
      : { runId, ownerId, status: 'queued', lastSeq: 0, createdAt };
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    return toRecord(runId, await this.redis.hgetall(this.runKey(runId)));
  }

  async revoke(runId: string, userId: string): Promise<boolean> {
    return (await this.redis.notificationsRevoke(this.runKey(runId), userId)) === 1;
  }

  async append(runId: string, update: NewStatusUpdate): Promise<AppendedUpdate | null> {
    const appended = await this.redis.notificationsAppend(
      this.runKey(runId),
      this.logKey(runId),
      update.status,
      JSON.stringify(update),
      this.options.logMaxLength,
      this.ttlMs(),
    );
    if (appended === 0) return null;
    const [seq, runCreatedAt] = appended;
    return { update: { runId, seq, ...update }, runCreatedAt };
  }

  async readLog(runId: string, afterSeq: number): Promise<RunLogSlice> {
    const results = await this.redis
      .pipeline()
      .hgetall(this.runKey(runId))
      .xrange(this.logKey(runId), `${afterSeq + 1}-0`, '+')
      .exec();
    const [runResult, rangeResult] = results ?? [];
    if (runResult?.[0]) throw runResult[0];
    if (rangeResult?.[0]) throw rangeResult[0];
    const run = toRecord(runId, (runResult?.[1] ?? {}) as Record<string, string>);
    const updates = ((rangeResult?.[1] ?? []) as StreamEntry[]).map(([id, fields]) => ({
      runId,
      seq: Number(id.slice(0, id.indexOf('-'))),
      ...(JSON.parse(fields[1]) as NewStatusUpdate),
    }));
    // The hash and the log are read in one round trip, not atomically: an update appended between
    // the two reads is in the log but not yet in the hash's lastSeq.
    const lastSeq = Math.max(run ? run.lastSeq : 0, updates.at(-1)?.seq ?? 0);
    const firstSeq = updates.length > 0 ? updates[0].seq : lastSeq + 1;
    return { run, updates, lastSeq, gap: afterSeq < lastSeq && firstSeq > afterSeq + 1 };
  }

  async close(): Promise<void> {
    // The Redis connection belongs to RedisConnections, which closes it last.
  }

  private ttlMs(): number {
    return this.options.ttlSeconds * 1000;
  }
}
