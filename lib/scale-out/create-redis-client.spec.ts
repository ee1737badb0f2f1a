import { Cluster, Redis } from 'ioredis';
import { createRedisClient } from './create-redis-client';

// lazyConnect: the clients are inspected, never connected.
describe('createRedisClient', () => {
  it('takes credentials and TLS for every cluster node from the first URL', () => {
    const client = createRedisClient(
      {
        clusterNodes: [
          'rediss://app:p%40ss@10.0.0.1:7000',
          'rediss://10.0.0.2:7001',
          'rediss://10.0.0.3',
        ],
        clusterOptions: { lazyConnect: true },
        mode: 'sharded',
      },
      { connectionName: 'sample' },
    ) as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect((client as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '10.0.0.3', port: 6379 },
    ]);
    expect(client.options.redisOptions).toEqual({
      username: 'app',
      password: 'p@ss',
      tls: {},
      connectionName: 'sample',
    });
    expect(client.options.shardedSubscribers).toBe(true);
  });

  it('adds nothing for plain redis:// seeds without credentials', () => {
    const client = createRedisClient({
      clusterNodes: ['redis://h1:7000', 'redis://h2:7001'],
      clusterOptions: { lazyConnect: true },
    }) as Cluster;
    expect(client.options.redisOptions).toEqual({});
  });

  it('one server: options override the URL’s credentials and database', () => {
    const client = createRedisClient({
      url: 'rediss://stale:old-key@h:6380/2',
      options: { lazyConnect: true, username: 'oid', password: 'token', db: 0 },
    }) as Redis;
    expect(client.options).toMatchObject({
      host: 'h',
      port: 6380,
      username: 'oid',
      password: 'token',
      db: 0,
      tls: true,
    });
  });

  it('one server: the URL, the defaults, and options that override them', () => {
    const client = createRedisClient(
      { url: 'redis://u:pw@h:6380/2', options: { lazyConnect: true, connectionName: 'mine' } },
      { connectionName: 'default', maxRetriesPerRequest: 3 },
    ) as Redis;
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({
      host: 'h',
      port: 6380,
      db: 2,
      username: 'u',
      password: 'pw',
      connectionName: 'mine',
      maxRetriesPerRequest: 3,
    });
  });
});
