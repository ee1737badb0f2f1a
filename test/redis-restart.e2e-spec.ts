import { NotificationsClient } from '../src/client';
import type { StatusUpdate } from '../src/protocol/messages';
import { startTopology, type Topology } from './utils/topology';
import { delay, eventually } from './utils/wait';

const STEPS = 12;
const TOTAL = STEPS + 3;

async function healthStatus(url: string): Promise<number> {
  return (await fetch(`${url}/health`)).status;
}

// Redis (AOF on) restarts in the middle of a run: nothing acknowledged is lost, subscribers resume,
// and /health goes 503 while Redis is away, then 200 again.
describe('Redis restart mid-run (through nginx, SDK client)', () => {
  let topology: Topology;
  let client: NotificationsClient | undefined;

  beforeAll(async () => {
    topology = await startTopology({ env: { RUN_STEPS: String(STEPS), RUN_STEP_MS: '150' } });
  }, 60_000);
  afterAll(async () => {
    await client?.stop();
    await topology?.stop();
  });

  it('every update of the run arrives exactly once, in order', async () => {
    const base = topology.nginx.url;
    const token = async () =>
      (
        (await (await fetch(`${base}/dev/token?user=redis-restart`)).json()) as {
          access_token: string;
        }
      ).access_token;
    client = new NotificationsClient({
      url: base,
      accessTokenFactory: token,
      transports: ['websocket'],
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      gapTimeoutMs: 1000,
    });
    await client.start();
    const res = await fetch(`${base}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}` },
    });
    const { runId } = (await res.json()) as { runId: string };
    const seen: StatusUpdate[] = [];
    const completed = new Promise<void>((resolve) =>
      client!.subscribeToRun(runId, (u) => {
        seen.push(u);
        if (u.status === 'completed') resolve();
      }),
    );
    await eventually(
      () => 'the first updates',
      () => seen.length >= 3,
      15_000,
    );

    await topology.stopRedis();
    await eventually(
      () => '/health 503',
      async () => (await healthStatus(topology.instances[0].url)) === 503,
      15_000,
    );
    // Long enough for the worker to have queued updates while Redis was away.
    await delay(400);
    await topology.startRedis();
    await eventually(
      () => '/health 200 on every instance',
      async () =>
        (await Promise.all(topology.instances.map((i) => healthStatus(i.url)))).every(
          (s) => s === 200,
        ),
      15_000,
    );

    await completed;
    expect(seen.map((u) => u.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    // The log survived the restart (AOF): the run's state over HTTP is complete too.
    const snapshot = (await (
      await fetch(`${base}/api/runs/${runId}`, {
        headers: { authorization: `Bearer ${await token()}` },
      })
    ).json()) as { status: string; lastSeq: number; updates: StatusUpdate[] };
    expect(snapshot).toMatchObject({ status: 'completed', lastSeq: TOTAL });
    expect(snapshot.updates.map((u) => u.seq)).toEqual(
      Array.from({ length: TOTAL }, (_, i) => i + 1),
    );
  }, 60_000);
});
