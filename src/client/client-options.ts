import type { RunSnapshot } from '../protocol/messages';
import type { BackoffOptions } from './backoff';

/** Where the client stands. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** Options of `NotificationsClient`. */
export interface NotificationsClientOptions {
  /** Origin of the app, e.g. `https://api.example.com`. */
  url: string;
  /** Returns a current access token; called on every (re)connect and before the token expires. */
  accessTokenFactory: () => string | Promise<string>;
  /** @default '/notifications' */
  namespace?: string;
  /** @default '/socket.io' */
  path?: string;
  /** @default ['websocket', 'polling'] */
  transports?: Array<'websocket' | 'polling'>;
  /**
   * Send cookies with cross-origin long-polling requests, such as the session affinity cookie of a
   * load balancer (Azure App Service's ARR affinity). The server's `cors` option must then name the
   * page's origin and set `credentials: true`. @default false
   */
  withCredentials?: boolean;
  /** Reconnection delays; reconnection itself is always on until `NotificationsClient.stop()`. */
  reconnect?: BackoffOptions;
  /**
   * Refetches a run's state when the server reports a gap (its log no longer holds what was
   * missed). @default GET `${url}/api/runs/${runId}` with the bearer token
   */
  fetchRun?: (runId: string, token: string) => Promise<RunSnapshot>;
  /** How long an out-of-order update is held before the run is refetched. @default 5000 */
  gapTimeoutMs?: number;
  /** Time-out of a subscribe or refresh acknowledgement. @default 10000 */
  ackTimeoutMs?: number;
}

/** An error the client could not recover from by itself, or a failed re-subscription. */
export interface NotificationsClientError {
  /**
   * A protocol code (`token_invalid`, `not_found`, …), or one of the client's own:
   * `fetch_failed` (a run's refetch over HTTP; retried later), `token_unavailable` (the token
   * factory threw; the reconnect is retried), `handler_error` (one of the app's handlers threw;
   * the other handlers and later updates are not affected).
   */
  code: string;
  message: string;
  runId?: string;
}

/** A handler of one kind of client event. */
export type Handler<T> = (value: T) => void;
