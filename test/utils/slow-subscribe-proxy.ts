import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP proxy to Redis started by {@link startSlowSubscribeProxy}. */
export interface SlowSubscribeProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  url: string;
  /** Chunks held back so far: shows that the delay applied. */
  delayed(): number;
  stop(): Promise<void>;
}

/**
 * A proxy in front of Redis that holds back every client chunk carrying a (S)SUBSCRIBE command by
 * `delayMs`, and what follows it on the same connection, so order is kept. Other connections and
 * commands pass at once: a subscription takes effect well after a command sent later on another
 * connection, which widens the race between subscribing and publishing to something a test sees.
 */
export async function startSlowSubscribeProxy(
  redisPort: number,
  delayMs: number,
): Promise<SlowSubscribeProxy> {
  const sockets = new Set<Socket>();
  let delayed = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      // A RESP command name: SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE (not a name like `x:subscriber`).
      const slow = /\r\n\$\d+\r\n[ps]?subscribe\r\n/i.test(chunk.toString('latin1'));
      chain = chain.then(async () => {
        if (slow) {
          delayed++;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    delayed: () => delayed,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
