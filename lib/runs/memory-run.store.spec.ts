import { describeRunStoreContract } from '../../test/run-store-contract';
import { MemoryRunStore } from './memory-run.store';

describeRunStoreContract('MemoryRunStore', async (settings) => new MemoryRunStore(settings));

describe('MemoryRunStore expiry', () => {
  it('forgets a run ttlSeconds after its last update', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const store = new MemoryRunStore({ logMaxLength: 10, ttlSeconds: 60 });
    try {
      await store.createRun('r1', 'o');
      jest.setSystemTime(Date.parse('2026-01-01T00:00:50Z'));
      await store.append('r1', { status: 'running', at: new Date().toISOString() });
      jest.setSystemTime(Date.parse('2026-01-01T00:01:40Z'));
      expect(await store.getRun('r1')).not.toBeNull();
      jest.setSystemTime(Date.parse('2026-01-01T00:01:51Z'));
      expect(await store.getRun('r1')).toBeNull();
    } finally {
      await store.close();
      jest.useRealTimers();
    }
  });
});
