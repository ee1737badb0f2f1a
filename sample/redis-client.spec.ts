import { redisTarget } from './redis-client';

describe('sample Redis settings', () => {
  it('maps one URL to url and several to clusterNodes', () => {
    expect(redisTarget('redis://h:6380')).toEqual({ url: 'redis://h:6380' });
    expect(redisTarget('redis://a:1, redis://b:2')).toEqual({
      clusterNodes: ['redis://a:1', 'redis://b:2'],
    });
  });
});
