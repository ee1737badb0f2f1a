import type { RunStore } from '../lib/runs/run-store';
import type { NewStatusUpdate } from '../lib/runs/run-store';

const at = () => new Date().toISOString();
const update = (
  status: NewStatusUpdate['status'],
  extra: Partial<NewStatusUpdate> = {},
): NewStatusUpdate => ({
  status,
  at: at(),
  ...extra,
});

/** The behaviour every RunStore implementation must have. */
export function describeRunStoreContract(
  name: string,
  create: (settings: { logMaxLength: number; ttlSeconds: number }) => Promise<RunStore>,
): void {
  describe(`${name} (RunStore contract)`, () => {
    let store: RunStore;
    let id = 0;
    const runId = () => `run-${name.replace(/\W/g, '')}-${Date.now()}-${++id}`;

    beforeEach(async () => {
      store = await create({ logMaxLength: 1000, ttlSeconds: 60 });
    });
    afterEach(() => store.close());

    it('creates a run owned by a user, queued with lastSeq 0', async () => {
      const r = runId();
      const created = await store.createRun(r, 'owner-1');
      expect(created).toMatchObject({ runId: r, ownerId: 'owner-1', status: 'queued', lastSeq: 0 });
      expect(await store.getRun(r)).toEqual(created);
    });

    it('creates a run with its first update logged as seq 1, then goes on from there', async () => {
      const r = runId();
      const first = update('running', { message: 'started', data: { step: 0 } });
      const created = await store.createRun(r, 'owner-1', first);
      expect(created).toMatchObject({
        runId: r,
        ownerId: 'owner-1',
        status: 'running',
        lastSeq: 1,
      });
      expect(await store.getRun(r)).toEqual(created);
      expect(await store.readLog(r, 0)).toEqual({
        run: created,
        updates: [{ runId: r, seq: 1, ...first }],
        lastSeq: 1,
        gap: false,
      });
      // The update, and which run (of those the id has named) it went to.
      expect(await store.append(r, update('completed'))).toEqual({
        update: { runId: r, seq: 2, ...update('completed'), at: expect.any(String) },
        runCreatedAt: created.createdAt,
      });
      // A taken id stays refused, and its log untouched.
      await expect(store.createRun(r, 'owner-2', update('queued'))).rejects.toMatchObject({
        code: 'conflict',
      });
      expect((await store.readLog(r, 0)).updates.map((u) => u.status)).toEqual([
        'running',
        'completed',
      ]);
    });

    it('refuses to create a run twice', async () => {
      const r = runId();
      await store.createRun(r, 'owner-1');
      await expect(store.createRun(r, 'owner-2')).rejects.toMatchObject({ code: 'conflict' });
      expect((await store.getRun(r))?.ownerId).toBe('owner-1');
    });

    it('answers null for an unknown run, and append to it stores nothing', async () => {
      const r = runId();
      expect(await store.getRun(r)).toBeNull();
      expect(await store.append(r, update('running'))).toBeNull();
      expect(await store.getRun(r)).toBeNull();
      expect(await store.readLog(r, 0)).toEqual({ run: null, updates: [], lastSeq: 0, gap: false });
      expect(await store.readLog(r, 3)).toEqual({ run: null, updates: [], lastSeq: 0, gap: false });
    });

    it('logs an update as it was when appended, and hands out copies of it', async () => {
      const r = runId();
      await store.createRun(r, 'o');
      const data = { done: 1 };
      await store.append(r, { status: 'progress', at: new Date().toISOString(), data });
      data.done = 2; // the app reuses its object
      const [read] = (await store.readLog(r, 0)).updates;
      expect(read.data).toEqual({ done: 1 });
      (read.data as { done: number }).done = 3; // a reader changes what it got
      expect((await store.readLog(r, 0)).updates[0].data).toEqual({ done: 1 });
    });

    it('refuses an update whose data JSON cannot hold, and leaves the run as it was', async () => {
      const r = runId();
      await store.createRun(r, 'owner-1', update('running'));
      await expect(store.append(r, update('progress', { data: { big: 1n } }))).rejects.toThrow();
      const slice = await store.readLog(r, 0);
      expect(slice.lastSeq).toBe(1);
      expect(slice.run).toMatchObject({ status: 'running', lastSeq: 1 });
      // The next update follows without a hole.
      expect(await store.append(r, update('completed'))).toMatchObject({ update: { seq: 2 } });
      expect((await store.readLog(r, 0)).gap).toBe(false);
    });

    it('gives seq 1, 2, 3… and keeps status, message and data', async () => {
      const r = runId();
      await store.createRun(r, 'o');
      const a = (await store.append(r, update('queued')))?.update;
      const b = (
        await store.append(
          r,
          update('progress', { message: 'half', data: { percent: 50, nested: [1, 'x'] } }),
        )
      )?.update;
      expect(a).toMatchObject({ runId: r, seq: 1, status: 'queued' });
      expect(b).toMatchObject({
        runId: r,
        seq: 2,
        status: 'progress',
        message: 'half',
        data: { percent: 50, nested: [1, 'x'] },
      });
      expect(await store.getRun(r)).toMatchObject({ status: 'progress', lastSeq: 2 });
      const log = await store.readLog(r, 0);
      expect(log).toEqual({
        run: expect.objectContaining({ runId: r, ownerId: 'o', status: 'progress', lastSeq: 2 }),
        updates: [a, b],
        lastSeq: 2,
        gap: false,
      });
    });

    it('concurrent appends get distinct consecutive seqs', async () => {
      const r = runId();
      await store.createRun(r, 'o');
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.append(r, update('progress'))),
      );
      expect(results.map((u) => u!.update.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const log = await store.readLog(r, 0);
      expect(log.updates.map((u) => u.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('reads only updates after afterSeq, and nothing past the end', async () => {
      const r = runId();
      await store.createRun(r, 'o');
      for (let i = 0; i < 5; i++) await store.append(r, update('progress'));
      expect((await store.readLog(r, 3)).updates.map((u) => u.seq)).toEqual([4, 5]);
      expect(await store.readLog(r, 5)).toEqual({
        run: expect.objectContaining({ runId: r, ownerId: 'o', lastSeq: 5 }),
        updates: [],
        lastSeq: 5,
        gap: false,
      });
    });

    it('reads a long log whole', async () => {
      const long = await create({ logMaxLength: 12_000, ttlSeconds: 60 });
      try {
        const r = runId();
        await long.createRun(r, 'o');
        for (let i = 0; i < 10_050; i += 50)
          await Promise.all(Array.from({ length: 50 }, () => long.append(r, update('progress'))));
        const log = await long.readLog(r, 0);
        expect(log.updates).toHaveLength(10_050);
        expect(log.updates.at(-1)?.seq).toBe(10_050);
      } finally {
        await long.close();
      }
    }, 30_000);

    it('records revoked users on the run, and refuses to revoke on a missing run', async () => {
      const r = runId();
      await store.createRun(r, 'o');
      expect(await store.revoke(r, 'u1')).toBe(true);
      expect(await store.revoke(r, 'u1')).toBe(true);
      expect(await store.revoke(r, 'u2')).toBe(true);
      expect((await store.getRun(r))?.revoked?.sort()).toEqual(['u1', 'u2']);
      // The log read carries the record with its revocations (the gateway's check after a join).
      const slice = await store.readLog(r, 0);
      expect(slice.run?.revoked?.sort()).toEqual(['u1', 'u2']);
      // A copy: changing it changes nothing in the store.
      slice.run!.revoked!.length = 0;
      slice.run!.ownerId = 'someone-else';
      expect(await store.readLog(r, 0)).toMatchObject({
        run: { ownerId: 'o', revoked: expect.arrayContaining(['u1', 'u2']) },
      });
      expect(await store.revoke(runId(), 'u1')).toBe(false);
    });

    it('reports a gap when the log no longer holds afterSeq + 1', async () => {
      await store.close();
      store = await create({ logMaxLength: 1, ttlSeconds: 60 });
      const r = runId();
      await store.createRun(r, 'o');
      // Redis trims with MAXLEN ~, which keeps whole nodes: write enough to force a trim.
      for (let i = 0; i < 300; i++) await store.append(r, update('progress'));
      const slice = await store.readLog(r, 0);
      expect(slice.gap).toBe(true);
      expect(slice.lastSeq).toBe(300);
      expect(slice.updates.at(-1)?.seq).toBe(300);
      expect(slice.updates.length).toBeLessThan(300);
      const firstKept = slice.updates[0].seq;
      expect((await store.readLog(r, firstKept - 1)).gap).toBe(false);
    });
  });
}
