import { io, type Socket } from 'socket.io-client';
import type { StatusUpdate } from '../../src/protocol/messages';

/** The `connect_error` of a refused handshake. */
export interface ConnectError {
  message: string;
  data?: { code?: string };
}

/** Options of a test client; never reconnects unless asked. */
export interface TestClientOptions {
  auth?: Record<string, unknown>;
  extraHeaders?: Record<string, string>;
  query?: Record<string, string>;
  transports?: Array<'websocket' | 'polling'>;
  reconnection?: boolean;
}

/** A client that starts connecting at once (nothing awaited): for handshakes a test interrupts. */
export function open(url: string, options: TestClientOptions): Socket {
  return io(`${url}/notifications`, {
    forceNew: true,
    reconnection: options.reconnection ?? false,
    transports: options.transports ?? ['websocket'],
    auth: options.auth,
    extraHeaders: options.extraHeaders,
    query: options.query,
  });
}

/** Connects with a token in `auth.token`; rejects with the `connect_error` if refused. */
export function connectClient(
  url: string,
  token: string | undefined,
  options: TestClientOptions = {},
): Promise<Socket> {
  const socket = open(url, { auth: token === undefined ? undefined : { token }, ...options });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      socket.close();
      reject(Object.assign(new Error(error.message), { data: error.data }));
    });
  });
}

/** The `connect_error` of a handshake expected to fail; rejects if it connects. */
export async function connectError(url: string, options: TestClientOptions): Promise<ConnectError> {
  const socket = open(url, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('connected, but a refusal was expected'));
    });
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({ message: error.message, data: error.data });
    });
  });
}

/** Emits with an acknowledgement and resolves to it. */
export function emitWithAck<T = unknown>(
  socket: Socket,
  event: string,
  ...args: unknown[]
): Promise<T> {
  return socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>;
}

/** Records every payload of an event, from now on. */
export function record<T = unknown>(socket: Socket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

/** Resolves when `predicate` holds, checking on every event of the socket (no sleeping). */
export function waitUntil(
  socket: Socket,
  predicate: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.offAny(check);
      reject(new Error('condition not met in time'));
    }, timeoutMs);
    const settle = () => {
      if (!predicate()) return;
      clearTimeout(timer);
      socket.offAny(check);
      resolve();
    };
    // Catch-all listeners run before the event's own listeners (which record the payload).
    const check = () => queueMicrotask(settle);
    socket.onAny(check);
  });
}

/** The updates of one run among those received, in arrival order. */
export function updatesOf(received: StatusUpdate[], runId: string): StatusUpdate[] {
  return received.filter((u) => u.runId === runId);
}

/** Closes every socket given. */
export function closeAll(...sockets: Array<Socket | undefined>): void {
  for (const socket of sockets) socket?.close();
}
