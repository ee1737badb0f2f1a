import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { withTimeout } from '../util/with-timeout';
import { coalesceWrites } from './coalesce-writes';
import { createRedisClient, type RedisClient } from './create-redis-client';
import { RedisCredentialsRefresher } from './redis-credentials';

export type { RedisClient } from './create-redis-client';

const PUBLISHER_COMMANDS = ['publish', 'spublish'] as const;
const SUBSCRIBER_COMMANDS = [
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
] as const;

const ignore = (): undefined => undefined;

/** Makes the promises of these commands handled: a failure no longer ends the process. */
function handleFailures(client: RedisClient, commands: ReadonlyArray<string>): void {
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of commands) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      // One shared handler: a publish runs per message.
      if (result instanceof Promise) result.catch(ignore);
      return result;
    };
  }
}

/**
 * Owns every Redis connection of the module: one for commands (run store, health) and, when a
 * socket.io server is created, a publisher and a subscriber for the adapter. They are closed on
 * application shutdown, after Nest has closed the socket.io server, so Redis goes last.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Notifications:Redis');
  private readonly clients: RedisClient[] = [];
  private readonly roles = new Map<string, RedisClient>();
  private readonly adaptedServers = new WeakSet<Server>();
  private readonly recoveryListeners: Array<(role: string, downSince: number) => void> = [];
  private readonly creationListeners: Array<(role: string, client: RedisClient) => void> = [];
  /** The command connection, or undefined in in-memory mode. */
  readonly command?: RedisClient;

  constructor(
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    // Not optional: Nest would then construct this without it when its factory fails.
    @Inject(RedisCredentialsRefresher)
    private readonly credentials: RedisCredentialsRefresher | null,
  ) {
    if (options.redis) this.command = this.create('command');
  }

  /** True when the module is configured with Redis. */
  get enabled(): boolean {
    return this.command !== undefined;
  }

  /** A new connection with the module's settings; closed with the others on shutdown. */
  create(role: string): RedisClient {
    const redis = this.options.redis;
    if (!redis) throw new Error('Redis is not configured.');
    const client = createRedisClient(this.withCurrentCredentials(redis), {
      connectionName: `notifications:${role}`,
    });
    this.credentials?.track(client, { subscriber: role === 'subscriber' });
    coalesceWrites(client);
    // Without a listener, ioredis reports every failed reconnect attempt as an unhandled error.
    let lastError = '';
    let downSince = 0;
    client.on('error', (error: Error) => {
      if (error.message !== lastError) this.logger.warn(`Redis (${role}): ${error.message}`);
      lastError = error.message;
    });
    client.on('close', () => {
      downSince ||= Date.now();
    });
    const recovered = () => {
      if (!downSince) return;
      const since = downSince;
      downSince = 0;
      this.recoveryListeners.forEach((listener) => listener(role, since));
    };
    client.on('ready', () => {
      if (lastError) this.logger.log(`Redis (${role}) reconnected.`);
      lastError = '';
      recovered();
    });
    if (client instanceof Cluster) {
      // A Cluster's sharded subscribers are replaced inside ioredis, without 'close' or 'ready':
      // a subscriber's end is a '-node', and 'subscribersReady' follows once the new ones have
      // subscribed again.
      client.on('-node', () => {
        downSince ||= Date.now();
      });
      client.on('subscribersReady', recovered);
    }
    this.clients.push(client);
    this.roles.set(role, client);
    this.creationListeners.forEach((listener) => listener(role, client));
    return client;
  }

  /**
   * Calls `listener` when a connection is ready again after being lost, with the role given to
   * {@link create} and the time the connection went down.
   */
  onRecovered(listener: (role: string, downSince: number) => void): void {
    this.recoveryListeners.push(listener);
  }

  /** The last connection created with this role (e.g. the adapter's `publisher`, `subscriber`). */
  get(role: string): RedisClient | undefined {
    return this.roles.get(role);
  }

  /**
   * A socket.io adapter factory on a new publisher and subscriber: `@socket.io/redis-adapter`,
   * classic or sharded as configured. Shared by the gateway's server and publisher-only mode.
   */
  createAdapter(): NonNullable<ServerOptions['adapter']> {
    const redis = this.options.redis;
    if (!redis) throw new Error('Redis is not configured.');
    const pub = this.create('publisher');
    const sub = this.create('subscriber');
    // The adapter sends these without awaiting them. While Redis is unreachable, ioredis fails a
    // waiting command after its retries, and each would be an unhandled rejection, which ends a
    // Node process: a Redis outage of half a minute during a send would stop every instance. The
    // failure is already logged by the connection's error listener; a message published meanwhile
    // is lost (run updates are re-emitted from the log once Redis is back, see RunResync).
    handleFailures(pub, PUBLISHER_COMMANDS);
    handleFailures(sub, SUBSCRIBER_COMMANDS);
    const key = this.adapterKey();
    return redis.mode === 'sharded'
      ? // Dynamic subscriptions: a message for one room reaches only the instances that hold a
        // socket in that room.
        createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: 'dynamic' })
      : createAdapter(pub, sub, { key });
  }

  /**
   * Resolves once messages to a room joined just before reach this instance. In sharded mode the
   * adapter subscribes to a room's channel when its first local socket joins, and does not wait
   * for Redis to confirm; a run update published in between would be lost. Subscribing again on
   * the same connection is idempotent, and its reply comes after the adapter's: so call this right
   * after the join, in the same tick. Classic mode subscribes once for every room.
   *
   * While the subscriber is disconnected this gives up after `maxWaitMs` rather than hold the
   * caller: ioredis subscribes again on reconnect, and RunResync re-emits what runs logged meanwhile.
   */
  async roomReady(namespace: string, room: string, maxWaitMs = 2000): Promise<void> {
    const subscriber = this.get('subscriber');
    if (this.options.redis?.mode !== 'sharded' || !subscriber) return;
    // The sharded adapter's channel of a room: `${channelPrefix}#${namespace}#${room}#`.
    const channel = `${this.adapterKey()}#${namespace}#${room}#`;
    await withTimeout(subscriber.ssubscribe(channel), maxWaitMs, 'not confirmed').catch(
      () => undefined,
    );
  }

  /** The Redis settings with the provider's credentials over any in the URL or the options. */
  private withCurrentCredentials(
    redis: NonNullable<ResolvedNotificationsOptions['redis']>,
  ): NonNullable<ResolvedNotificationsOptions['redis']> {
    if (!this.credentials) return redis;
    const current = this.credentials.current;
    return {
      ...redis,
      options: { ...redis.options, ...current },
      clusterOptions: redis.clusterOptions && {
        ...redis.clusterOptions,
        redisOptions: { ...redis.clusterOptions.redisOptions, ...current },
      },
    };
  }

  private adapterKey(): string {
    return `${this.options.redis?.keyPrefix}:socket.io`;
  }

  /** Calls `listener` for each connection created from now on, with its role. */
  onCreated(listener: (role: string, client: RedisClient) => void): void {
    this.creationListeners.push(listener);
  }

  /** Records that a socket.io server was created by RedisIoAdapter, so the gateway can check it. */
  markAdapted(server: Server): void {
    this.adaptedServers.add(server);
  }

  /** True when `server` was created by RedisIoAdapter (with the Redis adapter when Redis is configured). */
  isAdapted(server: Server): boolean {
    return this.adaptedServers.has(server);
  }

  async onApplicationShutdown(): Promise<void> {
    this.credentials?.stop();
    await Promise.all(
      this.clients.map(async (client) => {
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }),
    );
    this.clients.length = 0;
  }
}
