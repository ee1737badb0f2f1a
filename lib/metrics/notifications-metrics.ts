import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Namespace } from 'socket.io';
import { userRoom, RUN_ROOM_PREFIX } from '../notifications.constants';
import { RedisConnections } from '../scale-out/redis-connections';

/** Run store operations timed by `notifications_run_store_duration_seconds`. */
export type StoreOperation = 'create' | 'get' | 'append' | 'read' | 'revoke';

const STORE_LABELS: Record<StoreOperation, { operation: StoreOperation }> = {
  create: { operation: 'create' },
  get: { operation: 'get' },
  append: { operation: 'append' },
  read: { operation: 'read' },
  revoke: { operation: 'revoke' },
};

/** Kinds of message counted by `notifications_messages_emitted_total`. */
export type EmittedKind = 'status_update' | 'notification' | 'broadcast' | 'replay' | 'resync';

/**
 * A counter whose values live in `counts` (one number per label value) and are read when the
 * registry is collected: the hot path increments a number, prom-client sees the totals.
 */
function countersFrom<L extends string>(
  configuration: { name: string; help: string; labelNames: readonly [L]; registers: Registry[] },
  counts: () => Record<string, number>,
): Counter<L> {
  const [label] = configuration.labelNames;
  return new Counter<L>({
    ...configuration,
    collect() {
      this.reset();
      for (const [value, total] of Object.entries(counts())) {
        if (total > 0) this.inc({ [label]: value } as Partial<Record<L, string>>, total);
      }
    },
  });
}

/**
 * The module's Prometheus metrics, in a registry of its own (one per app, so that several apps in
 * one process do not collide). Expose it on the app's `/metrics`, e.g. with `registry.metrics()`.
 * Every name starts with `notifications_`.
 */
@Injectable()
export class NotificationsMetrics {
  readonly registry = new Registry();
  private namespace?: Namespace;

  readonly handshakes = new Counter({
    name: 'notifications_handshakes_total',
    help: 'socket.io handshakes by outcome (accepted, refused) and refusal code',
    labelNames: ['outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly subscribeRequests = new Counter({
    name: 'notifications_subscribe_requests_total',
    help: 'subscribeToRun requests by result (ok or the error code)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly subscribeDuration = new Histogram({
    name: 'notifications_subscribe_duration_seconds',
    help: 'Time to answer subscribeToRun, replay included',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  // Counted on every message: plain numbers here, handed to prom-client when it is scraped, so
  // that a message costs no label hashing nor the garbage that comes with it.
  private readonly emittedCounts: Record<EmittedKind, number> = {
    status_update: 0,
    notification: 0,
    broadcast: 0,
    replay: 0,
    resync: 0,
  };
  private readonly receivedCounts = { room: 0, other: 0 };

  readonly emitted = countersFrom(
    {
      name: 'notifications_messages_emitted_total',
      help: 'Messages emitted by kind (a room emit counts once, whatever the number of receivers)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
    },
    () => this.emittedCounts,
  );

  readonly replayed = new Counter({
    name: 'notifications_replayed_updates_total',
    help: 'Run updates replayed from the log on subscribe',
    registers: [this.registry],
  });

  readonly runStoreDuration = new Histogram({
    name: 'notifications_run_store_duration_seconds',
    help: 'Run store operation latency',
    labelNames: ['operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly redisReconnects = new Counter({
    name: 'notifications_redis_reconnects_total',
    help: 'Redis connections that came back after being lost, by role',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly redisMessagesReceived = countersFrom(
    {
      name: 'notifications_redis_messages_received_total',
      help: 'Pub/sub messages this instance received from Redis (what scale-out costs it), by channel: a room (user or run) or other (broadcasts, control, heartbeats)',
      labelNames: ['channel'] as const,
      registers: [this.registry],
    },
    () => this.receivedCounts,
  );

  constructor(@Inject(RedisConnections) connections: RedisConnections) {
    const namespace = () => this.namespace;
    new Gauge({
      name: 'notifications_connected_sockets',
      help: 'Connections held by this instance',
      registers: [this.registry],
      collect() {
        this.set(namespace()?.sockets.size ?? 0);
      },
    });
    new Gauge({
      name: 'notifications_run_subscriptions',
      help: 'Run subscriptions held by this instance',
      registers: [this.registry],
      collect() {
        let total = 0;
        for (const [room, members] of namespace()?.adapter.rooms ?? []) {
          if (room.startsWith(RUN_ROOM_PREFIX)) total += members.size;
        }
        this.set(total);
      },
    });
    connections.onRecovered((role) => this.redisReconnects.inc({ role }));
    // Counted on every message from Redis: the channel's bytes are searched as they are.
    const userMarker = Buffer.from(`#${userRoom('')}`);
    const runMarker = Buffer.from(`#${RUN_ROOM_PREFIX}`);
    const received = this.receivedCounts;
    connections.onCreated((role, client) => {
      if (role !== 'subscriber') return;
      const count = (channel: Buffer) => {
        if (channel.includes(userMarker) || channel.includes(runMarker)) received.room++;
        else received.other++;
      };
      client.on('messageBuffer', (channel: Buffer) => count(channel));
      client.on('smessageBuffer', (channel: Buffer) => count(channel));
      client.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer) => count(channel));
    });
  }

  /** Counts emitted messages of a kind. */
  countEmitted(kind: EmittedKind, count = 1): void {
    this.emittedCounts[kind] += count;
  }

  attach(namespace: Namespace): void {
    this.namespace = namespace;
  }

  /** Times a run store call under `operation`. */
  async timeStore<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    // A call per run update: one shared label object per operation, and no timer closure.
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.runStoreDuration.observe(STORE_LABELS[operation], (performance.now() - started) / 1000);
    }
  }
}
