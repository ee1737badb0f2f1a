import { clusterSettings, redisTarget } from './redis-client';

describe('sample Redis settings', () => {
  it('takes credentials and TLS for every cluster node from the first URL', () => {
    const { nodes, redisOptions } = clusterSettings(
      ['rediss://app:p%40ss@10.0.0.1:7000', 'rediss://10.0.0.2:7001', 'rediss://10.0.0.3'],
      { connectionName: 'sample' },
    );
    expect(nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '10.0.0.3', port: 6379 },
    ]);
    expect(redisOptions).toEqual({
      username: 'app',
      password: 'p@ss',
      tls: {},
      connectionName: 'sample',
    });
  });

  it('adds nothing for plain redis:// seeds without credentials', () => {
    expect(clusterSettings(['redis://h1:7000', 'redis://h2:7001']).redisOptions).toEqual({});
  });

  it('maps one URL to url and several to clusterNodes', () => {
    expect(redisTarget('redis://h:6380')).toEqual({ url: 'redis://h:6380' });
    expect(redisTarget('redis://a:1, redis://b:2')).toEqual({
      clusterNodes: ['redis://a:1', 'redis://b:2'],
    });
  });
});
