import { NotificationsClient } from '../src/client';
import type { StatusUpdate } from '../src/protocol/messages';
import { startTopology, type Topology } from './utils/topology';
import { eventually } from './utils/wait';

const STEPS = 4;
const TOTAL = STEPS + 3;
const ALL_SEQS = Array.from({ length: TOTAL }, (_, i) => i + 1);

// docker-compose.yml's topology (Redis with AOF, three instances, nginx, the worker) without Docker,
// with the client SDK as the client: the promise is every update exactly once, in order.
describe('no lost updates under faults (through nginx, SDK client)', () => {
  let topology: Topology;
  const clients: NotificationsClient[] = [];

  beforeAll(async () => {
    topology = await startTopology({ env: { RUN_STEPS: String(STEPS), RUN_STEP_MS: '120' } });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    clients.length = 0;
  });
  afterAll(() => topology?.stop());

  /**
   * An HTTP call through nginx, retried on 502/503 for up to 10 s as a browser app would: while
   * instances restart, nginx can have no live upstream until its `fail_timeout` (2 s) has passed
   * for one of them, and on a loaded machine a restart can take longer than that. A task start
   * retried after a 502 may have started a run already; the test follows the run it is told of.
   */
  async function call(path: string, init?: RequestInit): Promise<Response> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${topology.nginx.url}${path}`, init);
      if ((res.status !== 502 && res.status !== 503) || Date.now() > deadline) return res;
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function token(user: string): Promise<string> {
    const res = await call(`/dev/token?user=${user}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`/dev/token answered ${res.status}: ${body}`);
    return (JSON.parse(body) as { access_token: string }).access_token;
  }

  async function client(user: string): Promise<NotificationsClient> {
    const c = new NotificationsClient({
      url: topology.nginx.url,
      accessTokenFactory: () => token(user),
      transports: ['websocket'],
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      gapTimeoutMs: 1000,
    });
    clients.push(c);
    await c.start();
    return c;
  }

  async function startRun(user: string): Promise<string> {
    const res = await call('/api/runs', {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(user)}` },
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { runId: string }).runId;
  }

  /** Subscribes and resolves with everything the handler saw once the run completed. */
  function follow(c: NotificationsClient, runId: string) {
    const seen: StatusUpdate[] = [];
    let done!: () => void;
    const completed = new Promise<void>((resolve) => (done = resolve));
    const subscribed = c.subscribeToRun(runId, (u) => {
      seen.push(u);
      if (u.status === 'completed') done();
    });
    return { seen, subscribed, completed };
  }

  function expectExactlyOnceInOrder(seen: StatusUpdate[]) {
    expect(seen.map((u) => u.seq)).toEqual(ALL_SEQS);
    expect(seen.at(-1)?.status).toBe('completed');
  }

  it('worker: updates published by the worker (no gateway) reach the client through any instance', async () => {
    const c = await client('worker-user');
    const runId = await startRun('worker-user');
    const run = follow(c, runId);
    await run.subscribed;
    await run.completed;
    expectExactlyOnceInOrder(run.seen);
  });

  it('instance crash: SIGKILL of the instance holding the connection, 20 runs, random points', async () => {
    let restarting: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < 20; i++) {
      const user = `crash-${i}`;
      const c = await client(user);
      const runId = await startRun(user);
      const run = follow(c, runId);
      await run.subscribed;
      // Kill somewhere between "before the first update arrived" and "just before completed".
      const killAfter = Math.floor(Math.random() * TOTAL);
      await eventually(
        () => `${run.seen.length} of ${killAfter} updates before the kill`,
        () => run.seen.length >= killAfter,
        10_000,
      );
      await restarting;
      const victim = await topology.instanceHolding();
      await topology.instances[victim].kill();
      // The killed instance comes back while the client carries on elsewhere.
      restarting = topology.restart(victim);
      await run.completed;
      expectExactlyOnceInOrder(run.seen);
      await c.stop();
    }
    await restarting;
  }, 120_000);

  it('network blip: the transport drops mid-run, the client resumes without a gap', async () => {
    const c = await client('blip');
    const runId = await startRun('blip');
    const run = follow(c, runId);
    await run.subscribed;
    await eventually(
      () => `updates seen: ${run.seen}`,
      () => run.seen.length >= 2,
      10_000,
    );
    // Close the underlying connection as a network fault would (not a client disconnect).
    (c as unknown as { socket: { io: { engine: { close(): void } } } }).socket.io.engine.close();
    await run.completed;
    expectExactlyOnceInOrder(run.seen);
  });

  it('redeploy: SIGTERM each instance in turn while 10 users watch runs; all exit 0, nothing missed or doubled', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `deploy-${i}`);
    const users$ = await Promise.all(users.map(async (user) => ({ user, c: await client(user) })));
    const watched: Array<ReturnType<typeof follow>> = [];
    const codes: Array<number | null> = [];
    for (let i = 0; i < topology.instances.length; i++) {
      // A wave of runs in flight during each instance's drain.
      const wave = await Promise.all(
        users$.map(async ({ user, c }) => {
          const run = follow(c, await startRun(user));
          await run.subscribed;
          return run;
        }),
      );
      watched.push(...wave);
      codes.push(await topology.instances[i].stop());
      await topology.restart(i);
    }
    expect(codes).toEqual([0, 0, 0]);
    await Promise.all(watched.map((w) => w.completed));
    expect(watched).toHaveLength(30);
    for (const w of watched) expectExactlyOnceInOrder(w.seen);
  }, 60_000);
});
