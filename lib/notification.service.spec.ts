import type { StatusUpdate } from '../src/protocol/messages';
import type { NotificationsHub } from './gateway/notifications-hub';
import type { UserControl } from './gateway/user-control';
import type { NotificationsMetrics } from './metrics/notifications-metrics';
import { NotificationService } from './notification.service';
import type { PresenceService } from './presence/presence.service';
import { OwnerOnlyRunAccessPolicy } from './runs/run-access.policy';
import { MemoryRunStore } from './runs/memory-run.store';
import type { RunStore } from './runs/run-store';

/** The service over a run store, with the emits to run rooms recorded instead of sent. */
function serviceOver(runs: RunStore) {
  const emitted: Array<{ room: string; update: StatusUpdate }> = [];
  const hub = {
    namespace: {
      to: (room: string) => ({
        emit: (_event: string, update: StatusUpdate) => emitted.push({ room, update }),
      }),
    },
  } as unknown as NotificationsHub;
  const metrics = { countEmitted: () => undefined } as unknown as NotificationsMetrics;
  const service = new NotificationService(
    runs,
    hub,
    new OwnerOnlyRunAccessPolicy(),
    {} as PresenceService,
    {} as UserControl,
    metrics,
  );
  return { service, emitted };
}

describe('NotificationService.createRun with a first update', () => {
  const settings = { logMaxLength: 100, ttlSeconds: 60 };

  it('logs it as seq 1, and emits nothing to a room nobody can be in yet', async () => {
    const runs = new MemoryRunStore(settings);
    const { service, emitted } = serviceOver(runs);
    const run = await service.createRun('owner', {
      runId: 'r1',
      firstUpdate: { status: 'queued', message: 'Queued' },
    });
    expect(run).toMatchObject({ runId: 'r1', status: 'queued', lastSeq: 1 });
    const log = await runs.readLog('r1', 0);
    expect(log.updates.map((u) => [u.seq, u.status, u.message])).toEqual([[1, 'queued', 'Queued']]);
    expect(emitted).toEqual([]);
    expect(await service.publishRunUpdate('r1', { status: 'running' })).toMatchObject({ seq: 2 });
    await runs.close();
  });
});

describe('NotificationService.getRunForUser', () => {
  const settings = { logMaxLength: 100, ttlSeconds: 60 };
  const owner = { userId: 'owner', claims: {}, expiresAt: Date.now() + 3600e3 };

  /** A memory store that runs `between` after the access check's read, before the log read. */
  class StoreWithGap extends MemoryRunStore {
    between?: () => Promise<void>;

    override async getRun(runId: string) {
      const run = await super.getRun(runId);
      const between = this.between;
      this.between = undefined;
      await between?.();
      return run;
    }
  }

  it("returns the owner's run with its log", async () => {
    const runs = new StoreWithGap(settings);
    const { service } = serviceOver(runs);
    await service.createRun('owner', { runId: 'r1', firstUpdate: { status: 'queued' } });
    expect(await service.getRunForUser(owner, 'r1')).toMatchObject({
      runId: 'r1',
      ownerId: 'owner',
      lastSeq: 1,
      updates: [{ seq: 1, status: 'queued' }],
    });
    expect(await service.getRunForUser({ ...owner, userId: 'other' }, 'r1')).toBeNull();
    await runs.close();
  });

  it('returns nothing for a run revoked between the access check and the log read', async () => {
    const runs = new StoreWithGap(settings);
    const { service } = serviceOver(runs);
    await service.createRun('owner', { runId: 'r2' });
    runs.between = async () => void (await runs.revoke('r2', 'owner'));
    expect(await service.getRunForUser(owner, 'r2')).toBeNull();
    await runs.close();
  });

  it('returns nothing for a run created anew under the same id between the two reads', async () => {
    const runs = new StoreWithGap(settings);
    const { service } = serviceOver(runs);
    await service.createRun('owner', { runId: 'r3' });
    runs.between = async () => {
      // The checked run expired (dropped here) and another was created with the same id.
      (runs as unknown as { runs: Map<string, unknown> }).runs.delete('r3');
      await new Promise((resolve) => setTimeout(resolve, 2)); // a later createdAt
      await runs.createRun('r3', 'owner');
    };
    expect(await service.getRunForUser(owner, 'r3')).toBeNull();
    await runs.close();
  });
});
