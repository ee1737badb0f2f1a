import { EventEmitter } from 'node:events';
import type { INestApplicationContext } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import type { Socket } from 'socket.io';
import { RedisIoAdapter } from './redis-io.adapter';

/** What Nest's IoAdapter keeps per socket: the observable that ends a socket's handlers. */
type WithDisconnectMap = { disconnectMap: WeakMap<object, unknown> };

describe('RedisIoAdapter.bindMessageHandlers', () => {
  const adapter = new RedisIoAdapter({} as INestApplicationContext);
  // Nest's transform turns a handler's result into a stream; these handlers return one.
  const transform = (result: unknown) => result as Observable<unknown>;
  // What the adapter uses of a socket.io socket: its EventEmitter side.
  const asSocket = (emitter: EventEmitter) => emitter as unknown as Socket;

  it('keeps nothing for a socket when the gateway binds no message handler', () => {
    const socket = new EventEmitter();
    adapter.bindMessageHandlers(asSocket(socket), [], transform);
    expect((adapter as unknown as WithDisconnectMap).disconnectMap.has(socket)).toBe(false);
    expect(socket.eventNames()).toEqual([]);
  });

  it("binds another gateway's @SubscribeMessage handlers as Nest does", () => {
    const socket = new EventEmitter();
    adapter.bindMessageHandlers(
      asSocket(socket),
      [
        {
          message: 'ping',
          methodName: 'ping',
          isAckHandledManually: false,
          callback: (data: unknown) => of({ pong: data }),
        },
      ],
      transform,
    );
    const ack = jest.fn();
    socket.emit('ping', 7, ack);
    expect(ack).toHaveBeenCalledWith({ pong: 7 });
    expect((adapter as unknown as WithDisconnectMap).disconnectMap.has(socket)).toBe(true);
  });
});
