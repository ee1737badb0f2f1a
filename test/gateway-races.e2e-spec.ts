import type { Socket } from 'socket.io-client';
import {
  MemoryPresenceStore,
  MemoryRunStore,
  NotificationService,
  PresenceStore,
  RunStore,
  type RunRecord,
} from '../lib';
import { NotificationsHub } from '../lib/gateway/notifications-hub';
import { roomsOfRunId } from '../lib/notifications.constants';
import type { StatusUpdate } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import {
  closeAll,
  connectClient,
  emitWithAck,
  open,
  record,
  waitUntil,
} from './utils/socket-client';
import { delay, eventually } from './utils/wait';

/** A pause in a store call: `reached` once a call waits at it; `open()` lets it, and later ones, on. */
class Gate {
  readonly reached: Promise<void>;
  readonly open: () => void;
  private readonly opened: Promise<void>;
  private arrive!: () => void;

  constructor() {
    let open!: () => void;
    this.opened = new Promise((resolve) => (open = resolve));
    this.open = open;
    this.reached = new Promise((resolve) => (this.arrive = resolve));
  }

  /** Where the store's call waits. */
  pass(): Promise<void> {
    this.arrive();
    return this.opened;
  }
}

/** A run store whose `getRun`, once held, answers only when the gate opens: a read taken before. */
class GatedRunStore extends MemoryRunStore {
  private gate?: Gate;

  hold(): Gate {
    return (this.gate = new Gate());
  }

  override async getRun(runId: string): Promise<RunRecord | null> {
    const run = structuredClone(await super.getRun(runId));
    await this.gate?.pass();
    return run;
  }

  /** Drops a run as its expiry would. */
  expire(runId: string): void {
    (this as unknown as { runs: Map<string, unknown> }).runs.delete(runId);
  }
}

/** A presence store whose next registration, once held, completes only when the gate opens. */
class HeldPresenceStore extends MemoryPresenceStore {
  private held?: { gate: Gate; registered: () => void };

  /** Holds the next registration; `registered` resolves once it has completed. */
  hold(): { gate: Gate; registered: Promise<void> } {
    const gate = new Gate();
    const registered = new Promise<void>((resolve) => (this.held = { gate, registered: resolve }));
    return { gate, registered };
  }

  override async register(userId: string, connectionId: string, max: number): Promise<boolean> {
    const held = this.held;
    this.held = undefined;
    await held?.gate.pass();
    const added = await super.register(userId, connectionId, max);
    held?.registered();
    return added;
  }
}

/**
 * Races around a connection's requests, each widened with a slow store: a handshake the client
 * abandons while it is admitted, a revocation while a subscribe is checked, an unsubscribe sent
 * while the subscribe is in progress.
 */
describe('gateway races', () => {
  let idp: LocalIdentityProvider;
  let lib: LibraryApp;
  let url: string;
  let notifications: NotificationService;
  const runs = new GatedRunStore({ logMaxLength: 100, ttlSeconds: 3600 });
  const presence = new HeldPresenceStore({ ttlMs: 30_000 });
  const namespace = () => lib.app.get(NotificationsHub).namespace;
  /** Connections in a room of the run id. */
  const roomSize = (runId: string) =>
    roomsOfRunId(namespace().adapter.rooms.keys(), runId).reduce(
      (total, room) => total + namespace().adapter.rooms.get(room)!.size,
      0,
    );
  /** Resolves when the server side of `socket` has received `event`. */
  const serverReceived = (socket: Socket, event: string) =>
    new Promise<void>((resolve) =>
      namespace()
        .sockets.get(socket.id!)!
        .onAny((name: string) => name === event && resolve()),
    );

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
    lib = await startLibraryApp(
      { auth: idp.authOptions() },
      {
        overrides: [
          [RunStore, runs],
          [PresenceStore, presence],
        ],
      },
    );
    ({ url, notifications } = lib);
  });
  const sockets: Socket[] = [];
  afterEach(() => closeAll(...sockets.splice(0)));
  afterAll(async () => {
    await lib?.close();
    await idp?.stop();
  });

  it('releases the presence slot of a handshake the client abandons while it is admitted', async () => {
    const oid = randomGuid();
    const held = presence.hold();
    const socket = open(url, { auth: { token: await idp.issueToken({ oid }) } });
    await held.gate.reached;
    // The server sees the client go while the registration is under way.
    socket.close();
    await eventually(
      () => 'the server did not see the close',
      () => namespace().server.engine.clientsCount === 0,
    );
    held.gate.open();
    await held.registered;
    await eventually(
      () => 'the abandoned handshake still holds its slot',
      async () => (await presence.count(oid)) === 0,
      2000,
    );
    // A completed handshake still counts.
    const kept = await connectClient(url, await idp.issueToken({ oid }));
    expect(await presence.count(oid)).toBe(1);
    closeAll(kept);
  });

  /**
   * A user, their run and connection, and a subscribe whose access check is held while `during`
   * runs; returns the subscribe's ack and what the connection received.
   */
  async function subscribeHeld(
    during: (runId: string, oid: string, socket: Socket) => Promise<void>,
  ) {
    const oid = randomGuid();
    const { runId } = await notifications.createRun(oid);
    const socket = await connectClient(url, await idp.issueToken({ oid }));
    sockets.push(socket);
    const received = record<StatusUpdate>(socket, 'statusUpdate');
    const held = runs.hold();
    const ack = emitWithAck<{ ok: boolean; error?: { code: string } }>(socket, 'subscribeToRun', {
      runId,
    });
    await held.reached; // the access check has read the run
    await during(runId, oid, socket);
    held.open();
    return { runId, oid, socket, ack: await ack, received };
  }

  /** The connection is not in the run's room, and an update published now does not reach it. */
  async function expectOutOfRun({
    runId,
    oid,
    socket,
    received,
  }: {
    runId: string;
    oid: string;
    socket: Socket;
    received: StatusUpdate[];
  }) {
    await eventually(
      () => 'still in the run room',
      () => roomSize(runId) === 0,
    );
    await notifications.publishRunUpdate(runId, { status: 'running' });
    // Sent after the update, to the same connection: once it is here, the update would be too.
    const sentinel = record(socket, 'notification');
    notifications.sendToUser(oid, 'sentinel', {});
    await waitUntil(socket, () => sentinel.length === 1);
    expect(received).toEqual([]);
  }

  it('keeps a user out of a run whose access is revoked while the subscribe is checked', async () => {
    const held = await subscribeHeld(async (runId, oid) => {
      await notifications.revokeRunAccess(runId, oid);
    });
    expect(held.ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await expectOutOfRun(held);
  });

  it('keeps a user out of a run created anew under the same id while the subscribe is checked', async () => {
    const held = await subscribeHeld(async (runId) => {
      // The checked run expires, and another user's run takes its id.
      runs.expire(runId);
      await delay(2); // a later createdAt
      await notifications.createRun(randomGuid(), { runId });
    });
    expect(held.ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await expectOutOfRun(held);
  });

  it('applies an unsubscribe sent while the subscribe is in progress after it', async () => {
    let unsubscribed!: Promise<unknown>;
    const held = await subscribeHeld(async (runId, _oid, socket) => {
      const arrived = serverReceived(socket, 'unsubscribeFromRun');
      unsubscribed = emitWithAck(socket, 'unsubscribeFromRun', { runId });
      await arrived;
    });
    expect(held.ack).toMatchObject({ ok: true });
    expect(await unsubscribed).toEqual({ ok: true });
    await expectOutOfRun(held);
  });
});
