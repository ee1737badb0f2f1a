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

  it('logs and emits it once as seq 1', async () => {
    const runs = new MemoryRunStore(settings);
    const { service, emitted } = serviceOver(runs);
    const run = await service.createRun('owner', {
      runId: 'r1',
      firstUpdate: { status: 'queued', message: 'Queued' },
    });
    expect(run).toMatchObject({ runId: 'r1', status: 'queued', lastSeq: 1 });
    const log = await runs.readLog('r1', 0);
    expect(log.updates.map((u) => [u.seq, u.status, u.message])).toEqual([[1, 'queued', 'Queued']]);
    expect(emitted).toEqual([{ room: expect.stringContaining('r1'), update: log.updates[0] }]);
    expect(await service.publishRunUpdate('r1', { status: 'running' })).toMatchObject({ seq: 2 });
    await runs.close();
  });
});
