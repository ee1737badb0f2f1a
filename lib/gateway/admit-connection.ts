import type { Socket } from 'socket.io';
import type { AuthErrorCode } from '../../src/protocol/error-codes';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { userRoom } from '../notifications.constants';
import type { PresenceService } from '../presence/presence.service';
import type { RedisConnections } from '../scale-out/redis-connections';
import type { NotificationsHub } from './notifications-hub';

/** What admitting a handshake needs from the gateway. */
export interface Admission {
  hub: NotificationsHub;
  presence: PresenceService;
  connections: RedisConnections;
}

/**
 * The last step of an authenticated handshake: refused while the instance drains or when the user
 * is at the connection limit; otherwise the connection holds a presence slot and is in its user's
 * room (subscribed, in sharded mode) before it is accepted. Resolves to a refusal code, if any.
 */
export async function admitConnection(
  { hub, presence, connections }: Admission,
  user: AuthenticatedUser,
  socket: Socket,
): Promise<AuthErrorCode | undefined> {
  // A draining instance sends clients elsewhere; auth_unavailable tells them to retry.
  if (hub.draining) return 'auth_unavailable';
  if (!(await presence.admit(user.userId, socket.id))) return 'too_many_connections';
  try {
    // Joined (and, in sharded mode, subscribed) before the connection is accepted, so that a
    // notification sent as soon as the client sees `connect` reaches it. A refused or closed
    // handshake leaves its rooms.
    const room = userRoom(user.userId);
    await socket.join(room);
    await connections.roomReady(socket.nsp.name, room);
  } catch (error) {
    presence.release(user.userId, socket.id);
    throw error;
  }
  // A client gone meanwhile is dropped by socket.io without a connection or disconnect event, so
  // its presence slot would hold until the TTL: release it here.
  if (socket.conn.readyState !== 'open') {
    presence.release(user.userId, socket.id);
    return 'auth_unavailable';
  }
  return undefined;
}
