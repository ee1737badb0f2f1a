import type { Server } from 'socket.io';

/** What this reads of an engine.io 6 transport. */
interface EngineTransport {
  name?: string;
  /** The Engine.IO protocol revision of the connection: 4, or 3 with `allowEIO3`. */
  protocol?: number;
}

/** What this reads of an engine.io 6 socket. */
interface EngineSocket {
  writeBuffer: unknown[];
  transport?: EngineTransport;
  flush(): void;
  listenerCount(event: string): number;
  server?: { listenerCount(event: string): number };
}

/**
 * True for a transport whose `send` is done with the packets it was given when it returns: the
 * WebSocket transport, and long-polling with Engine.IO 4, whose payload encoder is synchronous.
 * Not long-polling with Engine.IO 3, whose encoder may call back later, nor WebTransport, which
 * writes packet by packet across awaits.
 */
export function sendsBeforeReturning(transport: EngineTransport | undefined): boolean {
  return (
    transport?.name === 'websocket' || (transport?.name === 'polling' && transport.protocol === 4)
  );
}

/**
 * engine.io's `flush`, then the buffer it handed to the transport is emptied.
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
 * Only where that cannot change what anyone sees: the transport is done with the buffer when
 * `send` returns ({@link sendsBeforeReturning}), and nobody listens to `flush`, whose listeners
 * are given the buffer.
 */
function releasingFlush(flush: () => void) {
  return function flushAndRelease(this: EngineSocket): void {
    const buffer = this.writeBuffer;
    // Decided before the flush: a `once('flush')` listener is gone once it has been called.
    const releasable =
      sendsBeforeReturning(this.transport) &&
      this.listenerCount('flush') === 0 &&
      (this.server?.listenerCount('flush') ?? 0) === 0;
    flush.call(this);
    if (releasable && this.writeBuffer !== buffer) buffer.length = 0;
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
