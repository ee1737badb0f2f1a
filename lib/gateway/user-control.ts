import { Inject, Injectable } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { ServerEvents } from '../../src/protocol/events';
import { roomsOfRunId, userRoom, RUN_ROOM_PREFIX } from '../notifications.constants';
import { RedisConnections } from '../scale-out/redis-connections';

const CONTROL_EVENT = 'notifications:control';

/** An instruction carried to every instance. */
export type ControlCommand =
  | { op: 'disconnectUser'; userId: string; reason: string }
  | { op: 'leaveAllRuns'; userId: string }
  | { op: 'leaveRun'; userId: string; runId: string };

/**
 * Acts on a user's connections on every instance: each instance applies a command to the sockets
 * it holds, in order, so that (for example) the reason for a disconnect reaches the client before
 * the disconnect does. Commands travel through the socket.io adapter's server-side channel.
 */
@Injectable()
export class UserControl {
  private namespace?: Namespace;

  constructor(@Inject(RedisConnections) private readonly connections: RedisConnections) {}

  attach(namespace: Namespace): void {
    this.namespace = namespace;
    namespace.on(CONTROL_EVENT, (command: ControlCommand) => this.apply(command));
  }

  /** Applies a command here and on every other instance. */
  execute(command: ControlCommand): void {
    this.apply(command);
    // The in-memory adapter has no other instances (and warns on serverSideEmit).
    if (this.connections.enabled) this.namespace?.serverSideEmit(CONTROL_EVENT, command);
  }

  /**
   * Applies a command to this instance's connections only: for what every instance works out for
   * itself (the resync after a subscriber outage).
   */
  apply(command: ControlCommand): void {
    if (!command || typeof command.userId !== 'string') return;
    for (const socket of this.localSockets(command.userId)) {
      switch (command.op) {
        case 'disconnectUser':
          socket.emit(ServerEvents.Notification, {
            id: `disconnect:${socket.id}`,
            type: 'connection.closed',
            payload: { reason: command.reason },
            at: new Date().toISOString(),
          });
          socket.disconnect(true);
          break;
        case 'leaveAllRuns':
          for (const room of [...socket.rooms])
            if (room.startsWith(RUN_ROOM_PREFIX)) void socket.leave(room);
          break;
        case 'leaveRun':
          for (const room of roomsOfRunId(socket.rooms, command.runId)) void socket.leave(room);
          break;
      }
    }
  }

  private localSockets(userId: string): Socket[] {
    const ids = this.namespace?.adapter.rooms.get(userRoom(userId));
    if (!ids) return [];
    return [...ids]
      .map((id) => this.namespace!.sockets.get(id))
      .filter((s): s is Socket => s !== undefined);
  }
}
