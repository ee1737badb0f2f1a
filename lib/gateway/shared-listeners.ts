import type { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { errorAck } from './acks';

/** Handles one client event: the socket and the event's argument; resolves to the ack. */
export type SocketMessageHandler<S extends Socket = Socket> = (
  socket: S,
  body: unknown,
) => Promise<unknown>;

/**
 * A socket event's arguments as `{ data, ack }`, as Nest's socket.io adapter maps them: one
 * argument as is, several as an array, none before an ack as undefined.
 */
export function splitAck(args: unknown[]): { data: unknown; ack?: (value: unknown) => void } {
  const last = args[args.length - 1];
  if (typeof last !== 'function') return { data: args.length === 1 ? args[0] : args };
  const rest = args.slice(0, -1);
  const data = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : rest;
  return { data, ack: last as (value: unknown) => void };
}

/**
 * One listener function per event, shared by every connection: socket.io calls a listener with
 * the socket as `this`, so a connection costs no closure or bound function of its own (Nest's
 * `@SubscribeMessage` binding allocates a bound handler per event and per connection, and the
 * closures around them: about 0.7 KB per idle connection). The ack is sent when the handler
 * resolves; an exception never reaches the socket, it is logged and answered `internal`.
 */
export function sharedListeners<S extends Socket>(
  handlers: Record<string, SocketMessageHandler<S>>,
  logger: Logger,
): Array<[event: string, listener: (...args: unknown[]) => void]> {
  return Object.entries(handlers).map(([event, handle]) => [
    event,
    function (this: S, ...args: unknown[]) {
      const { data, ack } = splitAck(args);
      handle(this, data).then(
        (result) => ack?.(result),
        (error: unknown) => {
          logger.error(`${event} failed: ${(error as Error)?.message ?? String(error)}`);
          ack?.(errorAck('internal', 'The request failed; retry.'));
        },
      );
    },
  ]);
}
