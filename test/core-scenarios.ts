import type { Socket } from 'socket.io-client';
import type { RunSnapshot, StatusUpdate, UserNotification } from '../src/protocol/messages';
import { http } from './utils/http';
import {
  closeAll,
  connectClient,
  emitWithAck,
  record,
  updatesOf,
  waitUntil,
} from './utils/socket-client';

/** What the shared scenarios need from a topology. */
export interface Topology {
  /** Base URLs of the two instances (the same URL twice for a single instance). */
  urls(): [string, string];
  /** A valid token for a user name, and the user's id. */
  tokenFor(name: string): Promise<{ token: string; userId: string }>;
  /** Progress steps of the sample's simulated task in this topology. */
  runSteps: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Subscribes and resolves once the run's terminal update has arrived. */
async function watchRunToEnd(
  socket: Socket,
  received: StatusUpdate[],
  runId: string,
  afterSeq = 0,
) {
  const ack = await emitWithAck<{ ok: boolean; lastSeq: number; replayed: number }>(
    socket,
    'subscribeToRun',
    {
      runId,
      afterSeq,
    },
  );
  expect(ack).toMatchObject({ ok: true, runId });
  await waitUntil(socket, () => updatesOf(received, runId).some((u) => TERMINAL.has(u.status)));
  return ack;
}

/** Every update exactly once, seq 1..n, in order, ending with completed. */
function expectCompleteLog(updates: StatusUpdate[], runSteps: number): void {
  const unique = [...new Map(updates.map((u) => [u.seq, u])).values()].sort(
    (a, b) => a.seq - b.seq,
  );
  expect(unique.map((u) => u.seq)).toEqual(Array.from({ length: runSteps + 3 }, (_, i) => i + 1));
  expect(unique.map((u) => u.status)).toEqual([
    'queued',
    'running',
    ...Array<string>(runSteps).fill('progress'),
    'completed',
  ]);
  for (const u of unique) expect(new Date(u.at).toISOString()).toBe(u.at);
}

/** The core issue's scenarios 1–4, run against any topology. */
export function describeCoreScenarios(name: string, topology: () => Topology): void {
  describe(name, () => {
    const sockets: Socket[] = [];
    afterEach(() => {
      closeAll(...sockets);
      sockets.length = 0;
    });

    async function connect(url: string, token: string): Promise<Socket> {
      const socket = await connectClient(url, token);
      sockets.push(socket);
      return socket;
    }

    async function startRun(url: string, token: string): Promise<string> {
      const res = await http<{ runId: string }>(`${url}/api/runs`, { method: 'POST', token });
      expect(res.status).toBe(202);
      return res.body.runId;
    }

    it('1. a user on instance 1 follows a run started through instance 2, every update in seq order', async () => {
      const t = topology();
      const [url1, url2] = t.urls();
      const alice = await t.tokenFor('alice-1');
      const socket = await connect(url1, alice.token);
      const received = record<StatusUpdate>(socket, 'statusUpdate');
      const runId = await startRun(url2, alice.token);
      await watchRunToEnd(socket, received, runId);
      const updates = updatesOf(received, runId);
      expectCompleteLog(updates, t.runSteps);
      // Live delivery after the subscription keeps seq order on the wire.
      const seqs = updates.map((u) => u.seq);
      const firstLive = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]);
      expect(
        firstLive === -1 || seqs.slice(firstLive).every((s, i, a) => i === 0 || s > a[i - 1]),
      ).toBe(true);
    });

    it('2. another user sees nothing of the run: not_found on subscribe, 404 over HTTP', async () => {
      const t = topology();
      const [url1, url2] = t.urls();
      const alice = await t.tokenFor('alice-2');
      const bob = await t.tokenFor('bob-2');
      const bobSockets = [await connect(url1, bob.token), await connect(url2, bob.token)];
      const bobReceived = bobSockets.map((s) => ({
        updates: record<StatusUpdate>(s, 'statusUpdate'),
        notes: record<UserNotification>(s, 'notification'),
      }));
      const aliceSocket = await connect(url1, alice.token);
      const aliceReceived = record<StatusUpdate>(aliceSocket, 'statusUpdate');
      const runId = await startRun(url2, alice.token);

      for (const s of bobSockets) {
        expect(await emitWithAck(s, 'subscribeToRun', { runId, afterSeq: 0 })).toEqual({
          ok: false,
          error: { code: 'not_found', message: expect.any(String) },
        });
      }
      // The same answer as for a run that never existed: existence is not revealed.
      expect(await emitWithAck(bobSockets[0], 'subscribeToRun', 'no-such-run')).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      await watchRunToEnd(aliceSocket, aliceReceived, runId);
      expect((await http(`${url1}/api/runs/${runId}`, { token: bob.token })).status).toBe(404);
      expect((await http(`${url2}/api/runs/${runId}`, { token: bob.token })).status).toBe(404);
      expect((await http(`${url2}/api/runs/${runId}`)).status).toBe(401);
      const own = await http<RunSnapshot>(`${url1}/api/runs/${runId}`, { token: alice.token });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ runId, status: 'completed', lastSeq: t.runSteps + 3 });
      expectCompleteLog(own.body.updates, t.runSteps);

      // A round trip on each of bob's sockets flushes anything in flight before asserting silence.
      for (const s of bobSockets) await emitWithAck(s, 'unsubscribeFromRun', runId);
      for (const r of bobReceived) {
        expect(r.updates).toEqual([]);
        expect(r.notes.filter((n) => (n.payload as { runId?: string }).runId === runId)).toEqual(
          [],
        );
      }
    });

    it("3. a user's notification reaches all of that user's connections on both instances, and no one else", async () => {
      const t = topology();
      const [url1, url2] = t.urls();
      const alice = await t.tokenFor('alice-3');
      const bob = await t.tokenFor('bob-3');
      const aliceSockets = [
        await connect(url1, alice.token),
        await connect(url2, alice.token),
        await connect(url2, alice.token),
      ];
      const bobSocket = await connect(url1, bob.token);
      const aliceNotes = aliceSockets.map((s) => record<UserNotification>(s, 'notification'));
      const bobNotes = record<UserNotification>(bobSocket, 'notification');
      const received = record<StatusUpdate>(aliceSockets[0], 'statusUpdate');

      const runId = await startRun(url2, alice.token);
      await watchRunToEnd(aliceSockets[0], received, runId);
      for (const [i, s] of aliceSockets.entries()) {
        await waitUntil(s, () => aliceNotes[i].some((n) => n.type === 'run.completed'));
        const note = aliceNotes[i].find((n) => n.type === 'run.completed')!;
        expect(note).toMatchObject({
          type: 'run.completed',
          payload: { runId, status: 'completed' },
        });
        expect(typeof note.id).toBe('string');
      }
      // Every copy is the same notification (one id), delivered once per connection.
      const ids = new Set(aliceNotes.flat().map((n) => n.id));
      expect(ids.size).toBe(1);
      expect(aliceNotes.map((n) => n.length)).toEqual([1, 1, 1]);
      await emitWithAck(bobSocket, 'unsubscribeFromRun', runId);
      expect(bobNotes).toEqual([]);
    });

    it('4. subscribing after the run completed replays the whole log; afterSeq replays only the rest', async () => {
      const t = topology();
      const [url1, url2] = t.urls();
      const alice = await t.tokenFor('alice-4');
      const watcher = await connect(url2, alice.token);
      const watched = record<StatusUpdate>(watcher, 'statusUpdate');
      const runId = await startRun(url1, alice.token);
      await watchRunToEnd(watcher, watched, runId);
      const total = t.runSteps + 3;

      const late = await connect(url1, alice.token);
      const lateReceived = record<StatusUpdate>(late, 'statusUpdate');
      const ack = await emitWithAck(late, 'subscribeToRun', runId);
      // Replayed updates are emitted before the ack.
      expect(ack).toEqual({ ok: true, runId, lastSeq: total, replayed: total });
      expectCompleteLog(lateReceived, t.runSteps);

      const partial = await connect(url2, alice.token);
      const partialReceived = record<StatusUpdate>(partial, 'statusUpdate');
      const afterSeq = total - 2;
      expect(await emitWithAck(partial, 'subscribeToRun', { runId, afterSeq })).toEqual({
        ok: true,
        runId,
        lastSeq: total,
        replayed: 2,
      });
      expect(partialReceived.map((u) => u.seq)).toEqual([total - 1, total]);

      expect(await emitWithAck(partial, 'subscribeToRun', { runId, afterSeq: total })).toEqual({
        ok: true,
        runId,
        lastSeq: total,
        replayed: 0,
      });
    });
  });
}
