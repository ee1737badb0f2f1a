import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions } from 'socket.io';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { RedisConnections } from './redis-connections';
import { releaseSentPackets } from './release-sent-packets';

/**
 * The socket.io adapter for apps that import NotificationsModule: install it with
 * `app.useWebSocketAdapter(new RedisIoAdapter(app))` before `listen()`.
 *
 * It applies the module's path, CORS, transports and message size limit, and, when Redis is
 * configured, `@socket.io/redis-adapter` on connections owned by the module, so that a message
 * emitted on any instance reaches the sockets of every instance. Without Redis it is socket.io's
 * in-memory adapter. Its connections let the packets they sent be collected young (see
 * `releaseSentPackets`), which keeps full collections, and their pauses, rare under load.
 */
export class RedisIoAdapter extends IoAdapter {
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
    releaseSentPackets(server);
    return server;
  }

  /**
   * Nest's IoAdapter keeps a disconnect observable per socket (about 1 KB of closures) even when
   * there is nothing to bind: TaskGateway binds its events itself, so for its sockets this keeps
   * nothing. Gateways with `@SubscribeMessage` handlers are bound as Nest binds them.
   */
  override bindMessageHandlers(
    socket: Parameters<IoAdapter['bindMessageHandlers']>[0],
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(socket, handlers, transform);
  }
}
