import { connect as tcpConnect } from 'node:net';
import { io } from 'socket.io-client';

/** Clients that report exactly what the server answered, where the usual helpers would throw. */

/** What a handshake really ended with, whichever way it ended. */
export type HandshakeOutcome =
  | { event: 'connect' }
  | { event: 'connect_error'; message: string; code?: string }
  | { event: 'disconnect'; reason: string };

export function handshakeOutcome(
  url: string,
  auth: Record<string, unknown>,
): Promise<HandshakeOutcome> {
  const socket = io(`${url}/notifications`, {
    forceNew: true,
    reconnection: false,
    transports: ['websocket'],
    auth,
  });
  return new Promise((resolve) => {
    const done = (outcome: HandshakeOutcome) => {
      socket.close();
      resolve(outcome);
    };
    socket.once('connect', () => done({ event: 'connect' }));
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
      done({ event: 'connect_error', message: error.message, code: error.data?.code }),
    );
    // socket.io-client reports a transport closed before the namespace was joined as 'disconnect'.
    socket.once('disconnect', (reason: string) => done({ event: 'disconnect', reason }));
  });
}

/**
 * One GET over a raw TCP socket, so that header bytes reach the server exactly as written (fetch
 * refuses non-Latin-1 header values and control characters before sending anything).
 */
export function rawGet(url: string, path: string, headerLines: string[]) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset the connection after answering an oversized request: the answer counts.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      if (!status) return reject(new Error(`no HTTP response (got ${JSON.stringify(text)})`));
      const rawBody = text.slice(text.indexOf('\r\n\r\n') + 4);
      let body: unknown = rawBody;
      try {
        body = JSON.parse(rawBody);
      } catch {
        // Not JSON (Node's own 400/431 answers have no body).
      }
      resolve({ status: Number(status[1]), body });
    });
    const head = [
      `GET ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      ...headerLines,
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    socket.end(Buffer.from(head, 'utf8'));
  });
}
