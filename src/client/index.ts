export {
  NotificationsClient,
  type ConnectionState,
  type NotificationsClientError,
  type NotificationsClientOptions,
} from './notifications-client';
export { RunSequencer } from './run-sequencer';
export { backoffDelay, type BackoffOptions } from './backoff';
export * from '../protocol';
