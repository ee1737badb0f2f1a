import { NotificationsHub } from '../lib/gateway/notifications-hub';
import { runRoom } from '../lib/notifications.constants';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import {
  closeAll,
  connectClient,
  connectError,
  emitWithAck,
  record,
  waitUntil,
} from './utils/socket-client';

// Presence, the per-user connection limit and user control, across two instances on one Redis.
describe('presence and user control across instances', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  let apps: LibraryApp[];

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    const options = {
      auth: idp.authOptions(),
      redis: { url: redis.url },
      limits: { maxConnectionsPerUser: 3 },
    };
    apps = [await startLibraryApp(options), await startLibraryApp(options)];
  });
  afterAll(async () => {
    await Promise.all((apps ?? []).map((a) => a.close()));
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  async function userOn(...which: number[]) {
    const oid = randomGuid();
    const token = await idp.issueToken({ oid });
    const sockets = [];
    for (const i of which) sockets.push(await connectClient(apps[i].url, token));
    return { oid, token, sockets };
  }

  /** Resolves once no instance holds any of these rooms: commands to other instances go over Redis. */
  async function roomsGone(...rooms: string[]) {
    for (const app of apps) {
      const adapterRooms = app.app.get(NotificationsHub).namespace.adapter.rooms;
      for (let i = 0; i < 100 && rooms.some((r) => adapterRooms.has(r)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(rooms.filter((r) => adapterRooms.has(r))).toEqual([]);
    }
  }

  /** Resolves once the count seen from `app` reaches `expected` (disconnects are asynchronous). */
  async function expectCount(app: LibraryApp, userId: string, expected: number) {
    for (let i = 0; i < 100; i++) {
      if ((await app.notifications.getUserConnectionCount(userId)) === expected) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await app.notifications.getUserConnectionCount(userId)).toBe(expected);
  }

  it('counts a user’s connections across instances, from either instance', async () => {
    const { oid, sockets } = await userOn(0, 1);
    expect(await apps[0].notifications.getUserConnectionCount(oid)).toBe(2);
    expect(await apps[1].notifications.isUserOnline(oid)).toBe(true);
    expect(await apps[1].notifications.isUserOnline(randomGuid())).toBe(false);
    sockets[0].close();
    await expectCount(apps[1], oid, 1);
    sockets[1].close();
    await expectCount(apps[0], oid, 0);
    expect(await apps[0].notifications.isUserOnline(oid)).toBe(false);
  });

  it('refuses a connection past the per-user limit, counted across instances: too_many_connections', async () => {
    const { oid, token, sockets } = await userOn(0, 1, 0);
    expect(await connectError(apps[1].url, { auth: { token } })).toEqual({
      message: 'unauthorized',
      data: { code: 'too_many_connections' },
    });
    // Another user is not affected, and a slot freed is a slot usable again.
    const other = await userOn(1);
    sockets[2].close();
    await expectCount(apps[0], oid, 2);
    const again = await connectClient(apps[1].url, token);
    closeAll(...sockets, again, ...other.sockets);
  });

  it('disconnectUser closes every connection of that user on every instance, telling them why', async () => {
    const target = await userOn(0, 1);
    const bystander = await userOn(0, 1);
    const notes = target.sockets.map((s) => record<UserNotification>(s, 'notification'));
    const closed = target.sockets.map(
      (s) => new Promise<string>((resolve) => s.once('disconnect', resolve)),
    );
    apps[1].notifications.disconnectUser(target.oid, 'account disabled');
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const n of notes)
      expect(n).toMatchObject([
        { type: 'connection.closed', payload: { reason: 'account disabled' } },
      ]);
    expect(bystander.sockets.every((s) => s.connected)).toBe(true);
    await expectCount(apps[0], target.oid, 0);
    closeAll(...bystander.sockets);
  });

  it('revokeRunAccess: the user leaves the run on every instance at once and cannot subscribe again', async () => {
    const owner = await userOn(0, 1);
    const run = await apps[0].notifications.createRun(owner.oid);
    const received = owner.sockets.map((s) => record<StatusUpdate>(s, 'statusUpdate'));
    for (const s of owner.sockets) await emitWithAck(s, 'subscribeToRun', run.runId);
    await apps[0].notifications.publishRunUpdate(run.runId, { status: 'running' });
    for (const [i, s] of owner.sockets.entries())
      await waitUntil(s, () => received[i].length === 1);

    expect(await apps[1].notifications.revokeRunAccess(run.runId, owner.oid)).toBe(true);
    await expectRevoked();
    await apps[0].notifications.publishRunUpdate(run.runId, { status: 'progress' });
    const probe = await emitWithAck(owner.sockets[1], 'subscribeToRun', run.runId);
    expect(probe).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const sentinel = await apps[0].notifications.createRun(owner.oid);
    for (const s of owner.sockets) await emitWithAck(s, 'subscribeToRun', sentinel.runId);
    await apps[1].notifications.publishRunUpdate(sentinel.runId, { status: 'running' });
    for (const [i, s] of owner.sockets.entries()) {
      await waitUntil(s, () => received[i].some((u) => u.runId === sentinel.runId));
      expect(received[i].filter((u) => u.runId === run.runId).map((u) => u.seq)).toEqual([1]);
    }
    expect(
      await apps[0].notifications.getRunForUser(
        { userId: owner.oid, claims: {}, expiresAt: 0 },
        run.runId,
      ),
    ).toBeNull();
    closeAll(...owner.sockets);

    async function expectRevoked() {
      await roomsGone(runRoom(run.runId, run.createdAt));
    }
  });

  it('removeUserFromAllRuns: no further update of any run reaches that user; notifications still do', async () => {
    const owner = await userOn(0, 1);
    const runs = [
      await apps[0].notifications.createRun(owner.oid),
      await apps[1].notifications.createRun(owner.oid),
    ];
    const received = owner.sockets.map((s) => record<StatusUpdate>(s, 'statusUpdate'));
    const notes = owner.sockets.map((s) => record<UserNotification>(s, 'notification'));
    for (const s of owner.sockets)
      for (const r of runs) await emitWithAck(s, 'subscribeToRun', r.runId);
    apps[0].notifications.removeUserFromAllRuns(owner.oid);
    await roomsGone(...runs.map((r) => runRoom(r.runId, r.createdAt)));
    for (const r of runs)
      await apps[1].notifications.publishRunUpdate(r.runId, { status: 'running' });
    apps[0].notifications.sendToUser(owner.oid, 'after', {});
    for (const [i, s] of owner.sockets.entries()) await waitUntil(s, () => notes[i].length === 1);
    expect(received.flat()).toEqual([]);
    closeAll(...owner.sockets);
  });
});
