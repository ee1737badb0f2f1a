import type { Socket } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { coalesceWrites } from '../lib/scale-out/coalesce-writes';
import { startRedisCluster, type RedisClusterHandle } from './utils/redis-cluster';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { eventually } from './utils/wait';

/** Counts the socket writes (system calls) a connection makes, and how many commands they carry. */
function countWrites(stream: Socket): { writes: number; chunks: number } {
  const counts = { writes: 0, chunks: 0 };
  const socket = stream as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (chunks: unknown[], ...rest: unknown[]) => void;
  };
  const [write, writev] = [socket._write, socket._writev];
  socket._write = function (...args) {
    counts.writes++;
    counts.chunks++;
    return write.apply(this, args);
  };
  socket._writev = function (chunks, ...rest) {
    counts.writes++;
    counts.chunks += chunks.length;
    return writev.call(this, chunks, ...rest);
  };
  return counts;
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
}

describe('commands issued in one tick leave in one socket write', () => {
  let server: RedisServerHandle;
  const clients: Array<Redis | Cluster> = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await server?.stop();
  });

  function connect(coalesced: boolean): Redis {
    const redis = new Redis(server.url);
    if (coalesced) coalesceWrites(redis);
    clients.push(redis);
    return redis;
  }

  it('sends a tick of commands in one write, in order, and every reply comes back', async () => {
    const redis = connect(true);
    await ready(redis);
    const counts = countWrites(redis.stream as Socket);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => redis.incrby('coalesced', i + 1)),
    );
    // Applied in the order they were issued: each INCRBY sees the ones before it.
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    expect(counts).toEqual({ writes: 1, chunks: 20 });
  });

  it('writes each command on its own without it (what the coalescing saves)', async () => {
    const redis = connect(false);
    await ready(redis);
    const counts = countWrites(redis.stream as Socket);
    await Promise.all(Array.from({ length: 20 }, () => redis.incr('plain')));
    expect(counts.writes).toBeGreaterThan(1);
  });

  it('does not hold a command past its tick: later ticks get their own writes', async () => {
    const redis = connect(true);
    await ready(redis);
    const counts = countWrites(redis.stream as Socket);
    for (let i = 0; i < 3; i++) {
      const reply = redis.ping();
      // Written by the time the tick's own process.nextTick callbacks have run, not later.
      await new Promise((resolve) => process.nextTick(resolve));
      expect(counts.writes).toBe(i + 1);
      expect(await reply).toBe('PONG');
    }
    expect(counts).toEqual({ writes: 3, chunks: 3 });
  });

  it('also batches commands issued from promise continuations, as awaited code issues them', async () => {
    const redis = connect(true);
    await ready(redis);
    const counts = countWrites(redis.stream as Socket);
    // Each task awaits once before its command: the commands come from promise continuations.
    const task = async (i: number) => {
      await Promise.resolve();
      return redis.set(`continued:${i}`, String(i));
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => task(i)));
    expect(counts).toEqual({ writes: 1, chunks: 10 });
    expect(await redis.mget(...Array.from({ length: 10 }, (_, i) => `continued:${i}`))).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
  });

  it('writes a pipeline and a transaction with the commands of their tick, and quit flushes', async () => {
    const redis = connect(true);
    await ready(redis);
    const counts = countWrites(redis.stream as Socket);
    const single = redis.set('mixed:a', '1');
    const pipeline = redis.pipeline().set('mixed:b', '2').incr('mixed:b').exec();
    const transaction = redis.multi().set('mixed:c', '3').get('mixed:c').exec();
    expect(await single).toBe('OK');
    expect(await pipeline).toEqual([
      [null, 'OK'],
      [null, 3],
    ]);
    expect(await transaction).toEqual([
      [null, 'OK'],
      [null, '3'],
    ]);
    expect(counts.writes).toBe(1);
    // A command issued in the same tick as quit still reaches Redis.
    const last = redis.set('mixed:last', 'sent');
    await redis.quit();
    await last;
    expect(await connect(false).get('mixed:last')).toBe('sent');
  });

  it('coalesces the socket of a reconnection too', async () => {
    const redis = connect(true);
    await ready(redis);
    const first = redis.stream;
    // Dropped by the server, as in a failover.
    await connect(false).client('KILL', 'ID', String(await redis.client('ID')));
    await eventually(
      () => 'did not reconnect',
      () => redis.status === 'ready' && redis.stream !== first,
    );
    const counts = countWrites(redis.stream as Socket);
    await Promise.all([redis.ping(), redis.ping(), redis.ping()]);
    expect(counts).toEqual({ writes: 1, chunks: 3 });
  });
});

describe('coalesced writes on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  });
  afterAll(async () => {
    await client?.quit().catch(() => client.disconnect());
    await cluster?.stop();
  });

  it("coalesces a cluster node's connection", async () => {
    client = new Cluster(
      cluster.urls.map((url) => ({ host: '127.0.0.1', port: Number(new URL(url).port) })),
    );
    coalesceWrites(client);
    // Keys of one hash tag live on one node; reaching it once connects it.
    await client.get('{tag}warm');
    const counts = client
      .nodes('master')
      .filter((node) => node.status === 'ready')
      .map((node) => countWrites(node.stream as Socket));
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.set(`{tag}k${i}`, String(i))));
    const total = counts.reduce(
      (sum, c) => ({ writes: sum.writes + c.writes, chunks: sum.chunks + c.chunks }),
      { writes: 0, chunks: 0 },
    );
    expect(total).toEqual({ writes: 1, chunks: 10 });
  });
});
