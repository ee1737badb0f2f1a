import { Inject, Injectable } from '@nestjs/common';
import { NotificationsHub } from '../gateway/notifications-hub';
import { RedisConnections } from '../scale-out/redis-connections';

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

/**
 * Reports whether this instance can deliver notifications: Redis answers (when configured) and the
 * gateway is initialised. Mount it on the app's health endpoint.
 */
@Injectable()
export class NotificationsHealthService {
  constructor(
    @Inject(RedisConnections) private readonly connections: RedisConnections,
    @Inject(NotificationsHub) private readonly hub: NotificationsHub,
  ) {}

  async check(timeoutMs = 1000): Promise<NotificationsHealthReport> {
    const checks: Record<string, HealthCheckResult> = {
      gateway: this.hub.ready
        ? { status: 'up', connections: this.hub.namespace.sockets.size }
        : { status: 'down', message: 'not initialised' },
      redis: await this.pingRedis(timeoutMs),
    };
    return { healthy: Object.values(checks).every((c) => c.status !== 'down'), checks };
  }

  private async pingRedis(timeoutMs: number): Promise<HealthCheckResult> {
    const redis = this.connections.command;
    if (!redis) return { status: 'disabled', message: 'in-memory mode' };
    // A command sent while disconnected waits in ioredis' offline queue: the time-out catches it.
    if (redis.status !== 'ready') return { status: 'down', message: `connection ${redis.status}` };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('ping timed out')), timeoutMs);
        }),
      ]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', message: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
