/** Injection token of the options passed to `forRoot`/`forRootAsync` (as given, before defaults). */
export const NOTIFICATIONS_MODULE_OPTIONS = 'NOTIFICATIONS:MODULE_OPTIONS';

/** Injection token of the validated options with every default applied. */
export const NOTIFICATIONS_RESOLVED_OPTIONS = 'NOTIFICATIONS:RESOLVED_OPTIONS';

/** Socket.io room holding every connection of one user. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Prefix of every run room: a socket's run subscriptions are its rooms that start with it. */
export const RUN_ROOM_PREFIX = 'run:';

/** Socket.io room holding the connections admitted to one run. */
export function runRoom(runId: string): string {
  return `${RUN_ROOM_PREFIX}${runId}`;
}
