import { io, type Socket } from 'socket.io-client';
import { NOTIFICATIONS_NAMESPACE } from '../protocol/events';
import type { NotificationsClientOptions } from './client-options';

/**
 * The client's socket.io socket, not yet connected. Every (re)connect asks the token factory for a
 * token; when the factory fails, `onTokenError` hears of it and the handshake goes without one
 * (the server answers `token_missing`, and the client retries later).
 */
export function createClientSocket(
  options: NotificationsClientOptions,
  onTokenError: (error: unknown) => void,
): Socket {
  return io(`${options.url.replace(/\/$/, '')}${options.namespace ?? NOTIFICATIONS_NAMESPACE}`, {
    path: options.path,
    transports: options.transports ?? ['websocket', 'polling'],
    withCredentials: options.withCredentials,
    autoConnect: false,
    // Reconnection is the client's own: socket.io-client does not retry a refused handshake or a
    // server-side disconnect (a draining instance), which are exactly the cases to recover from.
    reconnection: false,
    auth: (cb) => {
      Promise.resolve()
        .then(() => options.accessTokenFactory())
        .then(
          (token) => cb({ token }),
          (error: unknown) => {
            onTokenError(error);
            cb({});
          },
        );
    },
  });
}
