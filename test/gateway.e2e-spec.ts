import type { StatusUpdate } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

describe('TaskGateway', () => {
  let idp: LocalIdentityProvider;
  let lib: LibraryApp;

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
    lib = await startLibraryApp({
      auth: idp.authOptions({
        expiryWarningSeconds: 2,
        clockToleranceSeconds: 0,
      }),
      limits: { maxSubscriptionsPerConnection: 3, subscribesPerSecond: 5, maxMessageBytes: 4096 },
    });
  });
  afterAll(async () => {
    await lib?.close();
    await idp?.stop();
  });

  async function user() {
    const oid = randomGuid();
    const token = await idp.issueToken({ oid });
    const socket = await connectClient(lib.url, token);
    return { oid, token, socket };
  }

  it('answers invalid_argument for every malformed subscribe, and keeps the connection', async () => {
    const { socket } = await user();
    const bad: unknown[] = [
      '',
      'has space',
      'x'.repeat(129),
      42,
      null,
      [],
      {},
      { runId: 7 },
      { runId: 'r', afterSeq: -1 },
    ];
    for (const body of bad) {
      expect(await emitWithAck(socket, 'subscribeToRun', body)).toEqual({
        ok: false,
        error: { code: 'invalid_argument', message: expect.any(String) },
      });
    }
    expect(await emitWithAck(socket, 'unsubscribeFromRun', { nope: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('subscribes with a run id string or {runId, afterSeq}, and unsubscribing stops live updates', async () => {
    const { oid, socket } = await user();
    const run = await lib.notifications.createRun(oid);
    const received = record<StatusUpdate>(socket, 'statusUpdate');
    expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toEqual({
      ok: true,
      runId: run.runId,
      lastSeq: 0,
      replayed: 0,
    });
    await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await waitUntil(socket, () => received.length === 1);
    expect(await emitWithAck(socket, 'unsubscribeFromRun', { runId: run.runId })).toEqual({
      ok: true,
    });
    await lib.notifications.publishRunUpdate(run.runId, { status: 'progress' });
    // A later subscription replays seq 2 without a duplicate of seq 1.
    expect(
      await emitWithAck(socket, 'subscribeToRun', { runId: run.runId, afterSeq: 1 }),
    ).toMatchObject({
      ok: true,
      lastSeq: 2,
      replayed: 1,
    });
    expect(received.map((u) => u.seq)).toEqual([1, 2]);
    socket.close();
  });

  it('creates a run with its first update: replayed as seq 1, the next one is seq 2', async () => {
    const { oid, socket } = await user();
    const run = await lib.notifications.createRun(oid, {
      firstUpdate: { status: 'queued', message: 'Queued' },
    });
    expect(run).toMatchObject({ status: 'queued', lastSeq: 1 });
    const received = record<StatusUpdate>(socket, 'statusUpdate');
    expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({
      ok: true,
      lastSeq: 1,
      replayed: 1,
    });
    await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await waitUntil(socket, () => received.length === 2);
    expect(received.map((u) => [u.seq, u.status, u.message])).toEqual([
      [1, 'queued', 'Queued'],
      [2, 'running', undefined],
    ]);
    // An unknown status is refused before anything is stored.
    await expect(
      lib.notifications.createRun(oid, {
        runId: `${run.runId}-bad`,
        firstUpdate: { status: 'nope' as 'queued' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await lib.notifications.getRun(`${run.runId}-bad`)).toBeNull();
    socket.close();
  });

  it('limits subscriptions per connection: too_many_subscriptions', async () => {
    const { oid, socket } = await user();
    const runs = await Promise.all([1, 2, 3, 4].map(() => lib.notifications.createRun(oid)));
    for (const run of runs.slice(0, 3)) {
      expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
    }
    expect(await emitWithAck(socket, 'subscribeToRun', runs[3].runId)).toMatchObject({
      ok: false,
      error: { code: 'too_many_subscriptions' },
    });
    // Re-subscribing to a run already held is not a new subscription.
    expect(await emitWithAck(socket, 'subscribeToRun', runs[0].runId)).toMatchObject({ ok: true });
    await emitWithAck(socket, 'unsubscribeFromRun', runs[0].runId);
    expect(await emitWithAck(socket, 'subscribeToRun', runs[3].runId)).toMatchObject({ ok: true });
    socket.close();
  });

  it('limits subscribe calls per second: rate_limited', async () => {
    const { socket } = await user();
    const acks = await Promise.all(
      Array.from({ length: 20 }, () =>
        emitWithAck<{ ok: boolean; error?: { code: string } }>(
          socket,
          'subscribeToRun',
          'unknown-run',
        ),
      ),
    );
    const codes = acks.map((a) => a.error?.code);
    expect(codes.filter((c) => c === 'not_found').length).toBe(10);
    expect(codes.filter((c) => c === 'rate_limited').length).toBe(10);
    socket.close();
  });

  it('drops messages without an ack callback and unknown events, and stays connected', async () => {
    const { oid, socket } = await user();
    socket.emit('subscribeToRun', { runId: 'bad id' });
    socket.emit('subscribeToRun');
    socket.emit('noSuchEvent', { a: 1 });
    socket.emit('refreshToken', 12);
    const run = await lib.notifications.createRun(oid);
    expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('an oversized message closes only that connection; the others keep receiving', async () => {
    const good = await user();
    const run = await lib.notifications.createRun(good.oid);
    const received = record<StatusUpdate>(good.socket, 'statusUpdate');
    await emitWithAck(good.socket, 'subscribeToRun', run.runId);
    const attacker = await user();
    const closed = new Promise<string>((resolve) => attacker.socket.once('disconnect', resolve));
    attacker.socket.emit('subscribeToRun', { runId: 'r', pad: 'x'.repeat(10_000) });
    expect(await closed).toBe('transport close');
    await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await waitUntil(good.socket, () => received.length === 1);
    closeAll(good.socket);
  });

  describe('token refresh and expiry', () => {
    it('refreshToken with a new token of the same user keeps the subscriptions and moves the expiry', async () => {
      const { oid, socket } = await user();
      const run = await lib.notifications.createRun(oid);
      const received = record<StatusUpdate>(socket, 'statusUpdate');
      await emitWithAck(socket, 'subscribeToRun', run.runId);
      const fresh = await idp.issueToken({ oid, expiresInSeconds: 7200 });
      const ack = await emitWithAck<{ ok: boolean; expiresAt: string }>(socket, 'refreshToken', {
        token: fresh,
      });
      expect(ack.ok).toBe(true);
      expect(Date.parse(ack.expiresAt)).toBeGreaterThan(Date.now() + 7000_000);
      await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
      await waitUntil(socket, () => received.length === 1);
      socket.close();
    });

    it('refreshing as another user answers user_mismatch and changes nothing', async () => {
      const { oid, socket } = await user();
      const other = await idp.issueToken({ oid: randomGuid() });
      expect(await emitWithAck(socket, 'refreshToken', { token: other })).toMatchObject({
        ok: false,
        error: { code: 'user_mismatch' },
      });
      // Still the first user: their notifications arrive, the other user's do not.
      const notes = record(socket, 'notification');
      lib.notifications.sendToUser(oid, 'still-me', {});
      await waitUntil(socket, () => notes.length === 1);
      socket.close();
    });

    it('refreshing with an invalid or expired token is refused with its code', async () => {
      const { oid, socket } = await user();
      expect(await emitWithAck(socket, 'refreshToken', { token: 'not.a.jwt' })).toMatchObject({
        ok: false,
        error: { code: 'token_invalid' },
      });
      const expired = await idp.issueToken({ oid, expiresInSeconds: -10 });
      expect(await emitWithAck(socket, 'refreshToken', { token: expired })).toMatchObject({
        ok: false,
        error: { code: 'token_expired' },
      });
      expect(await emitWithAck(socket, 'refreshToken', {})).toMatchObject({
        ok: false,
        error: { code: 'token_invalid' },
      });
      socket.close();
    });

    it('a connection whose token expires is told authExpiring, then authExpired, then disconnected', async () => {
      const oid = randomGuid();
      const token = await idp.issueToken({ oid, expiresInSeconds: 3 });
      const socket = await connectClient(lib.url, token);
      const events: string[] = [];
      socket.onAny((event) => events.push(event));
      const expiring = new Promise<{ expiresAt: string }>((resolve) =>
        socket.once('authExpiring', resolve),
      );
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const warning = await expiring;
      expect(
        Math.abs(Date.parse(warning.expiresAt) - (Math.floor(Date.now() / 1000) + 3) * 1000),
      ).toBeLessThan(3000);
      expect(await disconnected).toBe('io server disconnect');
      expect(events).toEqual(['authExpiring', 'authExpired']);
    });

    it('a refresh before expiry keeps the connection past the first token’s expiry', async () => {
      const oid = randomGuid();
      const socket = await connectClient(
        lib.url,
        await idp.issueToken({ oid, expiresInSeconds: 3 }),
      );
      await new Promise((resolve) => socket.once('authExpiring', resolve));
      const ack = await emitWithAck<{ ok: boolean }>(socket, 'refreshToken', {
        token: await idp.issueToken({ oid, expiresInSeconds: 3600 }),
      });
      expect(ack.ok).toBe(true);
      // Past the old expiry (3 s + up to 1.25 s of schedule granularity), still connected.
      const notes = record(socket, 'notification');
      await new Promise((resolve) => setTimeout(resolve, 4500));
      lib.notifications.sendToUser(oid, 'alive', {});
      await waitUntil(socket, () => notes.length === 1);
      expect(socket.connected).toBe(true);
      socket.close();
    });
  });
});
