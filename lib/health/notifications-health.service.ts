import { Inject, Injectable } from '@nestjs/common';
import { NotificationsHub } from '../gateway/notifications-hub';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { RedisConnections } from '../scale-out/redis-connections';
import { withTimeout } from '../util/with-timeout';
import { PubSubProbe } from './pubsub-probe';

/** The state of one dependency. */
export interface HealthCheckResult {
  status: 'up' | 'down' | 'disabled';
  message?: string;
  /** For the gateway: connections held by this instance. */
  connections?: number;
}

/** The module's health: each check by name, and `healthy` when none is down. */
export interface NotificationsHealthReport {
  healthy: boolean;
  checks: Record<string, HealthCheckResult>;
}

/** A result in the shape of `@nestjs/terminus` health indicators: `{ [key]: { status, ... } }`. */
export type NotificationsHealthIndicatorResult = Record<
  string,
  { status: 'up' | 'down'; [detail: string]: unknown }
>;

/**
 * Whether this instance can deliver notifications: the gateway is initialised and not draining
 * (readiness), and Redis both answers commands and carries pub/sub — a message published by this
 * instance comes back through its adapter's subscriber, so a silently dead subscription shows.
 * Use {@link check} directly, or {@link indicator} with `@nestjs/terminus`.
 */
@Injectable()
export class NotificationsHealthService {
  private probe?: PubSubProbe;

  constructor(
    @Inject(RedisConnections) private readonly connections: RedisConnections,
    @Inject(NotificationsHub) private readonly hub: NotificationsHub,
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  async check(timeoutMs = 1000): Promise<NotificationsHealthReport> {
    const checks: Record<string, HealthCheckResult> = {
      gateway: this.gateway(),
      redis: await this.redis(timeoutMs),
    };
    return { healthy: Object.values(checks).every((c) => c.status !== 'down'), checks };
  }

  /**
   * A terminus health indicator for one check (`'gateway'` or `'redis'`), e.g.
   * `health.check([() => notificationsHealth.indicator('redis')])`. A disabled check reports up.
   */
  async indicator(
    key: 'gateway' | 'redis',
    timeoutMs = 1000,
  ): Promise<NotificationsHealthIndicatorResult> {
    const result = key === 'gateway' ? this.gateway() : await this.redis(timeoutMs);
    const { status, ...details } = result;
    return { [key]: { ...details, status: status === 'down' ? 'down' : 'up' } };
  }

  private gateway(): HealthCheckResult {
    if (!this.hub.ready) return { status: 'down', message: 'not initialised' };
    if (this.hub.draining) return { status: 'down', message: 'draining' };
    return { status: 'up', connections: this.hub.namespace.sockets.size };
  }

  private async redis(timeoutMs: number): Promise<HealthCheckResult> {
    const command = this.connections.command;
    if (!command) return { status: 'disabled', message: 'in-memory mode' };
    // A command sent while disconnected waits in ioredis' offline queue: check the state first.
    if (command.status !== 'ready')
      return { status: 'down', message: `connection ${command.status}` };
    try {
      await withTimeout(command.ping(), timeoutMs, 'ping timed out');
      const probe = this.pubSubProbe();
      if (probe) await probe.probe(timeoutMs);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', message: (error as Error).message };
    }
  }

  private pubSubProbe(): PubSubProbe | undefined {
    if (this.probe) return this.probe;
    const publisher = this.connections.get('publisher');
    const subscriber = this.connections.get('subscriber');
    const redis = this.options.redis;
    if (!publisher || !subscriber || !redis) return undefined;
    this.probe = new PubSubProbe(publisher, subscriber, redis.mode === 'sharded', redis.keyPrefix);
    return this.probe;
  }
}
