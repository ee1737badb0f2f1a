import type { IncomingMessage, Server } from 'node:http';
import { NotificationsHub } from '../lib/gateway/notifications-hub';
import { collectGarbage } from './utils/heap';
import { eventually } from './utils/wait';
import { LocalIdentityProvider } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { closeAll, connectClient } from './utils/socket-client';

/**
 * Each connection's HTTP request is released once the connection is authenticated: checked with
 * weak references to the requests the HTTP server saw, after full collections.
 */
describe('handshake request of an authenticated connection', () => {
  let idp: LocalIdentityProvider;
  let lib: LibraryApp;
  let requests: Array<WeakRef<IncomingMessage>>;

  const alive = () => requests.filter((ref) => ref.deref() !== undefined).length;
  const namespace = () => lib.app.get(NotificationsHub).namespace;

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
    lib = await startLibraryApp({
      auth: idp.authOptions(),
    });
    const server = lib.app.getHttpServer() as Server;
    const track = (req: IncomingMessage) => {
      if (req.url?.startsWith('/socket.io/')) requests.push(new WeakRef(req));
    };
    server.on('upgrade', track);
    server.on('request', track);
  });
  beforeEach(() => {
    requests = [];
  });
  afterAll(async () => {
    await lib?.close();
    await idp?.stop();
  });

  it('is collected for WebSocket connections', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 10 }, async () => connectClient(lib.url, await idp.issueToken())),
    );
    try {
      expect(requests).toHaveLength(10);
      await collectGarbage();
      expect(alive()).toBe(0);
    } finally {
      closeAll(...sockets);
    }
  });

  it('is collected after a polling connection upgrades to WebSocket', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const socket = await connectClient(lib.url, await idp.issueToken(), {
          transports: ['polling', 'websocket'],
        });
        if (socket.io.engine.transport.name !== 'websocket')
          await new Promise((resolve) => socket.io.engine.once('upgrade', resolve));
        return socket;
      }),
    );
    try {
      expect(requests.length).toBeGreaterThanOrEqual(10);
      // The server has processed the upgrade once a message sent over it is answered.
      await Promise.all(sockets.map((s) => s.timeout(5000).emitWithAck('unsubscribeFromRun', 'r')));
      await collectGarbage();
      expect(alive()).toBe(0);
    } finally {
      closeAll(...sockets);
    }
  });

  it("with an engine middleware installed, the upgrade response's close still fires", async () => {
    const closed: string[] = [];
    const engine = namespace().server.engine;
    const middlewares = (engine as unknown as { middlewares: unknown[] }).middlewares;
    const installed = middlewares.length;
    // As pino-http does: log the response when it closes.
    engine.use(
      (req: IncomingMessage, res: { once(e: string, f: () => void): void }, next: () => void) => {
        res.once('close', () => closed.push(req.url ?? ''));
        next();
      },
    );
    try {
      const socket = await connectClient(lib.url, await idp.issueToken());
      socket.close();
      await eventually(
        () => 'the upgrade response closed',
        () => closed.length > 0,
      );
      expect(closed).toHaveLength(1);
    } finally {
      middlewares.length = installed;
    }
  });
});
