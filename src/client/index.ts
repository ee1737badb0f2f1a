export { NotificationsClient } from './notifications-client';
export type {
  ConnectionState,
  NotificationsClientError,
  NotificationsClientOptions,
} from './client-options';
export { RunSequencer } from './run-sequencer';
export { backoffDelay, type BackoffOptions } from './backoff';
export * from '../protocol';
