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

// Not a run id character: the run id is what comes before the first one.
const GENERATION_MARK = '@';

/**
 * Socket.io room holding the connections admitted to one run: `run:<runId>@<creation time>`. A run
 * id can be used again once its run has expired, possibly by another user; the creation time gives
 * the new run a room of its own, so that the expired run's subscribers (still in theirs) never
 * receive it, whatever order instances learn of the two runs in. `createdAt` is the run's
 * (`RunRecord.createdAt`), the same identity the gateway checks a subscription against.
 */
export function runRoom(runId: string, createdAt: string): string {
  // A room named without it would be joined by nobody: fail loudly (a caller of the former
  // one-argument form).
  if (typeof createdAt !== 'string' || createdAt === '') {
    throw new TypeError("runRoom(runId, createdAt) needs the run's createdAt.");
  }
  // As the store wrote it: named per run update, so nothing is parsed or formatted here.
  return `${RUN_ROOM_PREFIX}${runId}${GENERATION_MARK}${createdAt}`;
}

/** The run id of a run room; undefined for any other room. */
export function runIdOfRoom(room: string): string | undefined {
  if (!room.startsWith(RUN_ROOM_PREFIX)) return undefined;
  const mark = room.indexOf(GENERATION_MARK, RUN_ROOM_PREFIX.length);
  return mark > RUN_ROOM_PREFIX.length ? room.slice(RUN_ROOM_PREFIX.length, mark) : undefined;
}

/** Those of `rooms` (a socket's) that belong to the run id, whichever run under it they are for. */
export function roomsOfRunId(rooms: Iterable<string>, runId: string): string[] {
  const prefix = `${RUN_ROOM_PREFIX}${runId}${GENERATION_MARK}`;
  const held: string[] = [];
  for (const room of rooms) if (room.startsWith(prefix)) held.push(room);
  return held;
}
