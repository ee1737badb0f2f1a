import type { Server } from 'socket.io';

/** What this reads of an engine.io 6 socket. */
interface EngineSocket {
  writeBuffer: unknown[];
  transport?: { name?: string };
  flush(): void;
  listenerCount(event: string): number;
  server?: { listenerCount(event: string): number };
}

/**
 * engine.io's `flush` on a socket whose buffer was handed to a WebSocket transport, then emptied.
 *
 * `flush` hands the socket's write buffer to the transport and starts a new, empty one. On a
 * notification socket that new buffer waits seconds for the next message, long enough for V8 to
 * move it to the old generation; the next packet goes into it and, once sent, stays referenced by
 * that dead old-generation array until the next full collection. Young-generation collections
 * then copy and promote every message's packet, its data and its encoded frame: ≈ 350 bytes per
 * message (870 KB/s at 2,500 msg/s in `bench/probes/engine-io-promotion.js`), enough for a
 * mark-compact every 2–3 s at 5,000 msg/s, whose pauses made the latency tail. Emptying the
 * handed-over buffer lets them die young (32 KB/s in the same probe).
 *
 * Only where that cannot change what anyone sees: the WebSocket transport writes the whole buffer
 * before `send` returns (polling's EIO3 encoder and WebTransport may still read it later), and
 * nobody listens to `flush`, whose listeners are given the buffer.
 */
function releasingFlush(flush: () => void) {
  return function flushAndRelease(this: EngineSocket): void {
    const buffer = this.writeBuffer;
    const websocket = this.transport?.name === 'websocket';
    flush.call(this);
    if (
      websocket &&
      this.writeBuffer !== buffer &&
      this.listenerCount('flush') === 0 &&
      (this.server?.listenerCount('flush') ?? 0) === 0
    ) {
      buffer.length = 0;
    }
  };
}

/**
 * Makes every engine.io connection of `server` release the packets it has sent (see
 * {@link releasingFlush}). One function per server, set on each connection: the prototype, and so
 * other engine.io servers of the process, stay as they are. When engine.io's socket no longer has
 * the shape this expects, nothing is changed.
 */
export function releaseSentPackets(server: Server): void {
  const engine = server.engine as unknown as
    { on(event: 'connection', listener: (socket: EngineSocket) => void): void } | undefined;
  if (!engine) return;
  let flushAndRelease: (() => void) | undefined;
  engine.on('connection', (socket) => {
    if (typeof socket.flush !== 'function' || !Array.isArray(socket.writeBuffer)) return;
    flushAndRelease ??= releasingFlush(socket.flush);
    socket.flush = flushAndRelease;
  });
}
