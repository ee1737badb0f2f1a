import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Server, type Namespace } from 'socket.io';
import { NotificationsConfigError } from '../errors/notifications.error';
import { NotificationsHub } from '../gateway/notifications-hub';
import { UserControl } from '../gateway/user-control';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { RedisConnections } from './redis-connections';

/** Injection token of the namespace name in publisher-only mode. */
export const PUBLISHER_NAMESPACE_NAME = 'NOTIFICATIONS:PUBLISHER_NAMESPACE';

/**
 * Publisher-only mode (`gateway: false`): a worker that hosts no gateway still sends to users and
 * runs, like the Management SDK of Azure SignalR. It holds a socket.io server that listens on
 * nothing, with the same Redis adapter as the gateways: what it emits reaches their sockets, and
 * user-control commands reach every instance.
 */
@Injectable()
export class PublisherNamespace implements OnModuleInit, BeforeApplicationShutdown {
  private server?: Server;
  private namespace?: Namespace;

  constructor(
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(RedisConnections) private readonly connections: RedisConnections,
    @Inject(NotificationsHub) private readonly hub: NotificationsHub,
    @Inject(UserControl) private readonly control: UserControl,
    @Inject(PUBLISHER_NAMESPACE_NAME) private readonly namespaceName: string,
  ) {}

  onModuleInit(): void {
    const redis = this.options.redis;
    if (!redis || !this.connections.enabled) {
      throw new NotificationsConfigError(
        'gateway: false (publisher-only mode) needs redis: the messages reach the gateways through it. Set redis.url.',
      );
    }
    this.server = new Server({ adapter: this.connections.createAdapter() });
    this.namespace = this.server.of(this.namespaceName);
    this.hub.attach(this.namespace);
    this.control.attach(this.namespace);
  }

  // Before shutdown: the adapter unsubscribes through Redis, which closes at shutdown.
  async beforeApplicationShutdown(): Promise<void> {
    // Server#close() expects an engine, which a server that never listened does not have.
    await this.namespace?.adapter.close();
  }
}
