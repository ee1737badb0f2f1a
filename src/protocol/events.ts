/** Default socket.io namespace of the notifications gateway. */
export const NOTIFICATIONS_NAMESPACE = '/notifications';

/** Events a client sends; each expects an acknowledgement. */
export const ClientEvents = {
  SubscribeToRun: 'subscribeToRun',
  UnsubscribeFromRun: 'unsubscribeFromRun',
  RefreshToken: 'refreshToken',
} as const;

/** Events the server emits. */
export const ServerEvents = {
  StatusUpdate: 'statusUpdate',
  Notification: 'notification',
  AuthExpiring: 'authExpiring',
  AuthExpired: 'authExpired',
} as const;

/** `err.message` of every handshake refusal; the reason is in `err.data.code`. */
export const UNAUTHORIZED_MESSAGE = 'unauthorized';
