import { NotificationsClient, type ConnectionState } from '../src/client';
import type { RunSnapshot, StatusUpdate, UserNotification } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { delay, eventually } from './utils/wait';

// The client SDK against a real gateway (in memory, one instance).
describe('NotificationsClient', () => {
  let idp: LocalIdentityProvider;
  let lib: LibraryApp;
  const clients: NotificationsClient[] = [];

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
    lib = await startLibraryApp({
      auth: idp.authOptions({
        expiryWarningSeconds: 2,
        clockToleranceSeconds: 0,
      }),
      runs: { logMaxLength: 4 },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    clients.length = 0;
  });
  afterAll(async () => {
    await lib?.close();
    await idp?.stop();
  });

  function makeClient(
    oid: string,
    options: { lifetime?: number; fetchRun?: (runId: string) => Promise<RunSnapshot> } = {},
  ) {
    const calls = { count: 0 };
    const client = new NotificationsClient({
      url: lib.url,
      accessTokenFactory: () => {
        calls.count++;
        return idp.issueToken({ oid, expiresInSeconds: options.lifetime ?? 3600 });
      },
      transports: ['websocket'],
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      fetchRun: options.fetchRun,
    });
    clients.push(client);
    return { client, calls };
  }

  it('start() connects; the handler sees a run’s updates once each, in order, including those published before', async () => {
    const oid = randomGuid();
    const { client } = makeClient(oid);
    const states: ConnectionState[] = [];
    client.onStateChange((s) => states.push(s));
    await client.start();
    expect(client.state).toBe('connected');
    const run = await lib.notifications.createRun(oid);
    await lib.notifications.publishRunUpdate(run.runId, { status: 'queued' });
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      client.subscribeToRun(run.runId, (u) => {
        seen.push(u.seq);
        if (u.status === 'completed') resolve();
      }),
    );
    await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await lib.notifications.publishRunUpdate(run.runId, { status: 'completed' });
    await done;
    expect(seen).toEqual([1, 2, 3]);
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('runUpdates() is an async iterator that ends after the terminal status', async () => {
    const oid = randomGuid();
    const { client } = makeClient(oid);
    await client.start();
    const run = await lib.notifications.createRun(oid);
    const collected: StatusUpdate[] = [];
    const iterating = (async () => {
      for await (const update of client.runUpdates(run.runId)) collected.push(update);
    })();
    for (const status of ['queued', 'running', 'progress', 'failed'] as const) {
      await lib.notifications.publishRunUpdate(run.runId, { status });
    }
    await iterating;
    expect(collected.map((u) => [u.seq, u.status])).toEqual([
      [1, 'queued'],
      [2, 'running'],
      [3, 'progress'],
      [4, 'failed'],
    ]);
  });

  it('subscribeToRun rejects with not_found for a run of another user', async () => {
    const { client } = makeClient(randomGuid());
    await client.start();
    const foreign = await lib.notifications.createRun(randomGuid());
    await expect(client.subscribeToRun(foreign.runId, () => undefined)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('calls the token factory again on every reconnect, and re-subscribes from the last seq seen', async () => {
    const oid = randomGuid();
    const { client, calls } = makeClient(oid);
    await client.start();
    expect(calls.count).toBe(1);
    const run = await lib.notifications.createRun(oid);
    const seen: number[] = [];
    await client.subscribeToRun(run.runId, (u) => seen.push(u.seq));
    await lib.notifications.publishRunUpdate(run.runId, { status: 'running' });
    await eventually(
      () => `updates seen: ${seen}`,
      () => seen.length >= 1,
    );

    const reconnected = new Promise<void>((resolve) => {
      const off = client.onStateChange((s) => {
        if (s === 'connected') {
          off();
          resolve();
        }
      });
    });
    lib.notifications.disconnectUser(oid, 'test');
    // Published while the client is away: replayed after the re-subscription.
    await lib.notifications.publishRunUpdate(run.runId, { status: 'progress' });
    await reconnected;
    expect(calls.count).toBe(2);
    await lib.notifications.publishRunUpdate(run.runId, { status: 'completed' });
    await eventually(
      () => `updates seen: ${seen}`,
      () => seen.length >= 3,
    );
    expect(seen).toEqual([1, 2, 3]);
  });

  it('refreshes the token in place when the server warns of expiry, and stays connected past it', async () => {
    const oid = randomGuid();
    const { client, calls } = makeClient(oid, { lifetime: 3 });
    await client.start();
    const notes: UserNotification[] = [];
    client.onNotification((n) => notes.push(n));
    const states: ConnectionState[] = [];
    client.onStateChange((s) => states.push(s));
    await eventually(
      () => `token requests: ${calls.count}`,
      () => calls.count >= 2,
    );
    // Past the first token's expiry (3 s, plus the schedule's granularity).
    await delay(3500);
    lib.notifications.sendToUser(oid, 'still-here', {});
    await eventually(
      () => 'no notification after the first expiry',
      () => notes.length >= 1,
    );
    expect(states).toEqual([]);
    expect(client.state).toBe('connected');
  }, 15_000);

  it('refetches the run over HTTP when the server reports a gap', async () => {
    const oid = randomGuid();
    const fetched: string[] = [];
    const { client } = makeClient(oid, {
      fetchRun: async (runId) => {
        fetched.push(runId);
        const run = await lib.notifications.getRun(runId);
        return run!;
      },
    });
    await client.start();
    const run = await lib.notifications.createRun(oid);
    // logMaxLength 4: seq 1 and 2 are trimmed from the log.
    for (let i = 0; i < 6; i++)
      await lib.notifications.publishRunUpdate(run.runId, { status: 'progress' });
    const seen: number[] = [];
    await client.subscribeToRun(run.runId, (u) => seen.push(u.seq));
    await eventually(
      () => `updates seen: ${seen}`,
      () => seen.length >= 4,
    );
    expect(seen).toEqual([3, 4, 5, 6]);
    expect(fetched).toEqual([run.runId]);
  });

  it('start() rejects with the code when the server refuses the token for good', async () => {
    const client = new NotificationsClient({
      url: lib.url,
      accessTokenFactory: () => idp.issueToken({ claims: { aud: 'api://someone-else' } }),
      transports: ['websocket'],
    });
    clients.push(client);
    await expect(client.start()).rejects.toMatchObject({ code: 'token_invalid' });
    expect(client.state).toBe('disconnected');
  });
});
