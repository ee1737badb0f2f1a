import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { RedisConnections } from './redis-connections';

/**
 * The socket.io adapter for apps that import NotificationsModule: install it with
 * `app.useWebSocketAdapter(new RedisIoAdapter(app))` before `listen()`.
 *
 * It applies the module's path, CORS, transports and message size limit, and, when Redis is
 * configured, `@socket.io/redis-adapter` on connections owned by the module, so that a message
 * emitted on any instance reaches the sockets of every instance. Without Redis it is socket.io's
 * in-memory adapter.
 */
export class RedisIoAdapter extends IoAdapter {
  /**
   * Binds each gateway message handler with one plain listener per socket. Nest's own binding
   * builds an rxjs pipeline per handler per socket (and one for disconnect), which costs several
   * kilobytes per idle connection; here a pipeline exists only while a message is handled.
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers as Array<
      MessageMappingProperties & { isAckHandledManually?: boolean }
    >) {
      socket.on(message as string, (...args: unknown[]) => {
        // As rxjs' fromEvent does: one argument as is, several as an array.
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
        transform(callback(data, ack)).subscribe({
          next: (response) => {
            if (response === null || response === undefined) return;
            const event = response as { event?: string; data?: unknown };
            if (event.event) {
              socket.emit(event.event, event.data);
            } else if (!isAckHandledManually && typeof ack === 'function') {
              (ack as (value: unknown) => void)(response);
            }
          },
          // Handlers answer errors with error acks; anything else was already reported by Nest's
          // exception filters, and must not reach the socket.
          error: () => undefined,
        });
      });
    }
  }

  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const resolved = this.app.get<string, ResolvedNotificationsOptions>(
      NOTIFICATIONS_RESOLVED_OPTIONS,
      {
        strict: false,
      },
    );
    const server = super.createIOServer(port, {
      ...options,
      path: resolved.path,
      cors: resolved.cors ?? options?.cors,
      transports: resolved.transports,
      maxHttpBufferSize: resolved.limits.maxMessageBytes,
    } as ServerOptions) as Server;
    const connections = this.app.get(RedisConnections, { strict: false });
    if (connections.enabled) server.adapter(connections.createAdapter());
    connections.markAdapted(server);
    return server;
  }
}
