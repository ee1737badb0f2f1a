import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  NotificationsClient,
  type NotificationsClientError,
  type NotificationsClientOptions,
} from '../src/client';
import type { StatusUpdate } from '../src/protocol/messages';
import { delay, eventually } from './utils/wait';

type Ack = (answer: unknown) => void;
/** How the scripted server answers one `subscribeToRun` (the nth for that run, from 1). */
type SubscribeScript = (socket: Socket, runId: string, nth: number, ack: Ack) => void;

const update = (runId: string, seq: number, status = 'progress'): StatusUpdate =>
  ({ runId, seq, status, at: new Date().toISOString() }) as StatusUpdate;
const refusal = (code: string) => ({ ok: false, error: { code, message: code } });

/**
 * The SDK's recovery paths against a real socket.io server whose answers each test scripts: a
 * subscribe cut off by a disconnect, transient refusals, a run refused after a reconnect, refresh
 * refusals, a failing token factory, handlers that throw, stop() during start().
 */
describe('NotificationsClient recovery (scripted server)', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  let onSubscribe: SubscribeScript;
  let onRefresh: (ack: Ack) => void;
  /** Subscribe requests received, per run. */
  let subscribes: Map<string, number>;
  /** Unsubscribe requests received, in order. */
  let unsubscribes: string[];
  const clients: NotificationsClient[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    io.of('/notifications')
      .use((socket, next) =>
        socket.handshake.auth.token
          ? next()
          : next(Object.assign(new Error('unauthorized'), { data: { code: 'token_missing' } })),
      )
      .on('connection', (socket) => {
        socket.on('subscribeToRun', ({ runId }: { runId: string }, ack: Ack) => {
          const nth = (subscribes.get(runId) ?? 0) + 1;
          subscribes.set(runId, nth);
          onSubscribe(socket, runId, nth, ack);
        });
        socket.on('refreshToken', (_: unknown, ack: Ack) => onRefresh(ack));
        socket.on('unsubscribeFromRun', ({ runId }: { runId: string }, ack?: Ack) => {
          unsubscribes.push(runId);
          ack?.({ ok: true });
        });
      });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    subscribes = new Map();
    unsubscribes = [];
    onSubscribe = (socket, runId, _nth, ack) => ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
    onRefresh = (ack) => ack({ ok: true, expiresAt: new Date(Date.now() + 3600e3).toISOString() });
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    clients.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => io.close(resolve));
  });

  function makeClient(
    accessTokenFactory: () => string | Promise<string> = () => 'token',
    overrides: Partial<NotificationsClientOptions> = {},
  ) {
    const errors: NotificationsClientError[] = [];
    const client = new NotificationsClient({
      url,
      accessTokenFactory,
      transports: ['websocket'],
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      ackTimeoutMs: 2000,
      ...overrides,
    });
    client.onError((e) => errors.push(e));
    clients.push(client);
    return { client, errors };
  }

  it('keeps a run whose subscribe a disconnect cut off, and subscribes it again on reconnect', async () => {
    onSubscribe = (socket, runId, nth, ack) => {
      if (nth === 1) return void socket.disconnect(true); // no answer: the connection is gone
      ack({ ok: true, runId, lastSeq: 1, replayed: 0 });
      socket.emit('statusUpdate', update(runId, 1, 'completed'));
    };
    const { client, errors } = makeClient();
    await client.start();
    const seen: number[] = [];
    await client.subscribeToRun('r1', (u) => seen.push(u.seq));
    await eventually(
      () => `updates: ${seen}`,
      () => seen.length === 1,
    );
    expect(subscribes.get('r1')).toBe(2);
    expect(errors).toEqual([]);
  });

  it('retries transient refusals (rate_limited, internal) and a missing answer while connected', async () => {
    onSubscribe = (socket, runId, nth, ack) => {
      if (nth === 1) return ack(refusal('rate_limited'));
      if (nth === 2) return ack(refusal('internal'));
      if (nth === 3) return; // never answered: the client's ack time-out
      ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
    };
    const { client, errors } = makeClient();
    await client.start();
    await client.subscribeToRun('r2', () => undefined);
    expect(subscribes.get('r2')).toBe(4);
    expect(errors).toEqual([]);
  }, 15_000);

  it('gives up after six transient refusals in a row, with the last code', async () => {
    onSubscribe = (_socket, _runId, _nth, ack) => ack(refusal('internal'));
    const { client } = makeClient();
    await client.start();
    await expect(client.subscribeToRun('r6', () => undefined)).rejects.toMatchObject({
      code: 'internal',
    });
    expect(subscribes.get('r6')).toBe(6);
    // A subscribe that completes late on the server is undone.
    await eventually(
      () => `unsubscribes: ${unsubscribes}`,
      () => unsubscribes.includes('r6'),
    );
  });

  it('sends one subscription per run at a time, however many ask for it', async () => {
    let answer!: () => void;
    onSubscribe = (_socket, runId, nth, ack) => {
      if (runId === 'r7' && nth === 1)
        answer = () => ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
      else ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
    };
    const { client } = makeClient();
    await client.start();
    const first = client.subscribeToRun('r7', () => undefined);
    await eventually(
      () => 'no subscribe arrived',
      () => subscribes.get('r7') === 1,
    );
    // A reconnect re-subscribes every run; the one in progress is not sent twice.
    (client as unknown as { onConnect(): void }).onConnect();
    // A later subscription on the same connection arrives after anything sent before it.
    const sentinel = client.subscribeToRun('sentinel', () => undefined);
    await eventually(
      () => 'the sentinel subscribe did not arrive',
      () => subscribes.get('sentinel') === 1,
    );
    expect(subscribes.get('r7')).toBe(1);
    answer();
    await Promise.all([first, sentinel]);
  });

  it('an unsubscribe ends the subscription in progress: subscribing again sends a new one', async () => {
    let answerFirst!: () => void;
    onSubscribe = (_socket, runId, nth, ack) => {
      const ok = () => ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
      if (nth === 1) answerFirst = ok;
      else ok();
    };
    const { client } = makeClient();
    await client.start();
    const first = client.subscribeToRun('r8', () => undefined);
    await eventually(
      () => 'no subscribe arrived',
      () => subscribes.get('r8') === 1,
    );
    await client.unsubscribeFromRun('r8');
    const again = client.subscribeToRun('r8', () => undefined);
    // Sent at once, not after the first one's ack time-out (2 s here).
    await eventually(
      () => `subscribes: ${subscribes.get('r8')}`,
      () => subscribes.get('r8') === 2,
      1000,
    );
    answerFirst();
    await Promise.all([first, again]);
  });

  it('a second handler of a run being subscribed shares its refusal', async () => {
    let refuse!: () => void;
    onSubscribe = (_socket, _runId, _nth, ack) => (refuse = () => ack(refusal('not_found')));
    const { client } = makeClient();
    await client.start();
    const first = client.subscribeToRun('r9', () => undefined);
    await eventually(
      () => 'no subscribe arrived',
      () => subscribes.get('r9') === 1,
    );
    const second = client.subscribeToRun('r9', () => undefined);
    refuse();
    await expect(first).rejects.toMatchObject({ code: 'not_found' });
    await expect(second).rejects.toMatchObject({ code: 'not_found' });
    expect(subscribes.get('r9')).toBe(1);
  });

  it('a late refusal of a subscription already replaced by a new one leaves the new one alone', async () => {
    let refuseFirst!: () => void;
    let server!: Socket;
    onSubscribe = (socket, runId, nth, ack) => {
      if (nth === 1) return void (refuseFirst = () => ack(refusal('not_found')));
      server = socket;
      ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
    };
    const { client } = makeClient();
    await client.start();
    const first = client.subscribeToRun('r11', () => undefined);
    await eventually(
      () => 'the first subscribe was not sent',
      () => subscribes.get('r11') === 1,
    );
    await client.unsubscribeFromRun('r11');
    const seen: number[] = [];
    await client.subscribeToRun('r11', (u) => seen.push(u.seq));
    refuseFirst();
    await expect(first).rejects.toMatchObject({ code: 'not_found' });
    server.emit('statusUpdate', update('r11', 1, 'running'));
    await eventually(
      () => `updates seen: ${seen}`,
      () => seen.length === 1,
    );
  });

  it('rejects a final refusal with its code, and forgets the run', async () => {
    onSubscribe = (_socket, _runId, _nth, ack) => ack(refusal('not_found'));
    const { client } = makeClient();
    await client.start();
    await expect(client.subscribeToRun('r3', () => undefined)).rejects.toMatchObject({
      code: 'not_found',
    });
    // Forgotten: a second call subscribes anew (a kept run would resolve without asking).
    await expect(client.subscribeToRun('r3', () => undefined)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(subscribes.get('r3')).toBe(2);
  });

  it('ends runUpdates() with the code when a re-subscription is refused after a reconnect', async () => {
    onSubscribe = (socket, runId, nth, ack) => {
      if (nth === 1) {
        ack({ ok: true, runId, lastSeq: 0, replayed: 0 });
        setTimeout(() => socket.disconnect(true), 50);
        return;
      }
      ack(refusal('not_found')); // the run expired while the client was away
    };
    const { client, errors } = makeClient();
    await client.start();
    const loop = (async () => {
      for await (const u of client.runUpdates('r4')) void u;
    })();
    await expect(loop).rejects.toMatchObject({ code: 'not_found' });
    expect(errors).toEqual([expect.objectContaining({ code: 'not_found', runId: 'r4' })]);
  });

  it('ends runUpdates() with fetch_failed when the refetches of a hole are given up', async () => {
    // The log lost what the client asks for, and the run's HTTP route keeps failing.
    onSubscribe = (_socket, runId, _nth, ack) =>
      ack({ ok: true, runId, lastSeq: 3, replayed: 0, gap: true });
    let fetches = 0;
    const { client, errors } = makeClient(undefined, {
      gapTimeoutMs: 10,
      fetchRun: () => {
        fetches++;
        return Promise.reject(new Error('HTTP 503'));
      },
    });
    await client.start();
    const loop = (async () => {
      for await (const u of client.runUpdates('r6')) void u;
    })();
    await expect(loop).rejects.toMatchObject({ code: 'fetch_failed', message: 'HTTP 503' });
    expect(fetches).toBe(5);
    // Each failure reported; the run left on the server too.
    expect(errors.map((e) => [e.code, e.runId])).toEqual(Array(5).fill(['fetch_failed', 'r6']));
    await eventually(
      () => `unsubscribes: ${unsubscribes}`,
      () => unsubscribes.includes('r6'),
    );
  });

  it('reports a refused token refresh and a failing token factory to onError', async () => {
    let fail = false;
    onRefresh = (ack) => ack(refusal('user_mismatch'));
    const { client, errors } = makeClient(() => {
      if (fail) throw new Error('MSAL: interaction required');
      return 'token';
    });
    await client.start();
    const server = [...io.of('/notifications').sockets.values()][0];
    server.emit('authExpiring', { expiresAt: new Date().toISOString() });
    await eventually(
      () => JSON.stringify(errors),
      () => errors.length === 1,
    );
    expect(errors[0]).toMatchObject({ code: 'user_mismatch' });

    fail = true;
    server.emit('authExpiring', { expiresAt: new Date().toISOString() });
    await eventually(
      () => JSON.stringify(errors),
      () => errors.length === 2,
    );
    expect(errors[1]).toMatchObject({ code: 'token_unavailable', message: /interaction required/ });
    // Reconnecting without a token: refused as token_missing (retried), and reported each time.
    server.disconnect(true);
    await eventually(
      () => JSON.stringify(errors),
      () => errors.length >= 3,
    );
    expect(errors[2]).toMatchObject({ code: 'token_unavailable' });
    expect(client.state).not.toBe('connected');
  });

  it('a handler that throws keeps nothing from the other handlers or the later updates', async () => {
    const { client, errors } = makeClient();
    client.onStateChange(() => {
      throw new Error('state handler');
    });
    await client.start(); // resolves although a state handler throws
    const first: number[] = [];
    const second: number[] = [];
    const all: number[] = [];
    client.onStatusUpdate((u) => all.push(u.seq));
    await client.subscribeToRun('r5', (u) => {
      first.push(u.seq);
      throw new Error(`handler ${u.seq}`);
    });
    await client.subscribeToRun('r5', (u) => second.push(u.seq));
    const server = [...io.of('/notifications').sockets.values()][0];
    // The first two out of order, so that they are released together.
    server.emit('statusUpdate', update('r5', 2));
    server.emit('statusUpdate', update('r5', 1));
    server.emit('statusUpdate', update('r5', 3, 'completed'));
    await eventually(
      () => `second: ${second}`,
      () => second.length === 3,
    );
    expect(first).toEqual([1, 2, 3]);
    expect(all).toEqual([1, 2, 3]);
    expect(errors.filter((e) => e.code === 'handler_error').map((e) => e.message)).toEqual([
      'state handler', // connecting
      'state handler', // connected
      'handler 1',
      'handler 2',
      'handler 3',
    ]);
  });

  // Jest fails a test during which a promise rejects unhandled.
  it('a start() nobody awaits, stopped before it connects, is no unhandled rejection', async () => {
    const { client } = makeClient(() => new Promise<string>(() => undefined));
    void client.start();
    await client.stop();
    await delay(50);
    expect(client.state).toBe('disconnected');
  });

  it('stop() during start() rejects it with code stopped; start() while connecting shares the promise', async () => {
    const pending: Array<(token: string) => void> = [];
    const { client } = makeClient(() => new Promise<string>((resolve) => pending.push(resolve)));
    const first = client.start();
    expect(client.start()).toBe(first);
    await eventually(
      () => 'the token factory was not called',
      () => pending.length === 1,
    );
    await client.stop();
    await expect(first).rejects.toMatchObject({ code: 'stopped' });
    pending[0]('token'); // too late: the client was stopped
    const again = client.start();
    await eventually(
      () => 'the token factory was not called again',
      () => pending.length === 2,
    );
    pending[1]('token');
    await again;
    expect(client.state).toBe('connected');
  });

  it('a state handler that stops the client as it starts connecting leaves it stopped, and a later start() connects', async () => {
    const { client } = makeClient();
    const states: string[] = [];
    let stopOnce = true;
    client.onStateChange((state) => {
      states.push(state);
      if (state === 'connecting' && stopOnce) {
        stopOnce = false;
        void client.stop();
      }
    });
    await expect(client.start()).rejects.toMatchObject({ code: 'stopped' });
    // A stopped client opens nothing: start() must not go on to connect the socket.
    expect((client as unknown as { socket: { active: boolean } }).socket.active).toBe(false);
    await client.start();
    expect(states).toEqual(['connecting', 'disconnected', 'connecting', 'connected']);
  });
});
