import type { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';

/**
 * engine.io's stand-in for the HTTP response of a WebSocket upgrade re-emits the TCP socket's
 * `close` through this listener, and so keeps the upgrade request alive for the connection's
 * lifetime. Matched by its source: when engine.io changes it, nothing is removed.
 */
const UPGRADE_RESPONSE_CLOSE_LISTENER = '() => this.emit("close")';

interface EngineTransport {
  name: string;
  /** The `ws` WebSocket of a websocket transport; `_socket` is its TCP socket. */
  socket?: { _socket?: EventEmitter };
}

interface EngineSocket extends EventEmitter {
  request?: unknown;
  transport?: EngineTransport;
}

function dropUpgradeResponse(transport: EngineTransport | undefined): void {
  const tcp = transport?.name === 'websocket' ? transport.socket?._socket : undefined;
  if (!tcp) return;
  for (const raw of tcp.rawListeners('close')) {
    const listener = (raw as { listener?: (...args: unknown[]) => void }).listener ?? raw;
    if (listener.toString() === UPGRADE_RESPONSE_CLOSE_LISTENER) {
      tcp.removeListener('close', listener as (...args: unknown[]) => void);
    }
  }
}

/**
 * Lets the HTTP request of an authenticated connection be collected (about 1.5 KB per connection:
 * the request, its raw headers and stream state). `socket.handshake` keeps what apps read of it.
 *
 * socket.io's memory guide drops `conn.request`; with WebSockets that is not enough, since the
 * upgrade response holds the request too. Its `close` event exists for engine.io middlewares
 * (`io.engine.use`), so it is kept when the app installed any.
 */
export function releaseHandshakeRequest(socket: Socket): void {
  const conn = socket.conn as unknown as EngineSocket;
  conn.request = undefined;
  const engine = socket.nsp.server.engine as unknown as { middlewares?: unknown[] };
  if (engine.middlewares?.length) return;
  if (conn.transport?.name === 'websocket') dropUpgradeResponse(conn.transport);
  // A polling connection that upgrades later brings a new upgrade request.
  else conn.once('upgrade', (transport: EngineTransport) => dropUpgradeResponse(transport));
}
