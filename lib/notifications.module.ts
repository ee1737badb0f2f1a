import { Module, type Provider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Authenticator } from './auth/authenticator.service';
import { EntraTokenVerifier } from './auth/entra-token.verifier';
import { NotificationsAuthGuard } from './auth/notifications-auth.guard';
import { OidUserResolver } from './auth/oid-user.resolver';
import { TokenVerifier } from './auth/token-verifier';
import { UserResolver } from './auth/user-resolver';
import { NotificationsHealthService } from './health/notifications-health.service';
import { ExpirySchedule } from './gateway/expiry-schedule';
import { NotificationsHub } from './gateway/notifications-hub';
import { NotificationService } from './notification.service';
import {
  NOTIFICATIONS_MODULE_OPTIONS,
  NOTIFICATIONS_RESOLVED_OPTIONS,
} from './notifications.constants';
import { ConfigurableNotificationsModule } from './notifications.module-definition';
import type { NotificationsModuleOptions } from './options/notifications-options.interface';
import { resolveOptions } from './options/resolve-options';
import type { ResolvedNotificationsOptions } from './options/resolved-options';
import { MemoryRunStore } from './runs/memory-run.store';
import { OwnerOnlyRunAccessPolicy, RunAccessPolicy } from './runs/run-access.policy';
import { RedisRunStore } from './runs/redis-run.store';
import { RunStore } from './runs/run-store';
import { RedisConnections } from './scale-out/redis-connections';
import { RedisCredentialsRefresher } from './scale-out/redis-credentials';
import { MemoryPresenceStore } from './presence/memory-presence.store';
import { PresenceService } from './presence/presence.service';
import { PresenceStore } from './presence/presence.store';
import { RedisPresenceStore } from './presence/redis-presence.store';
import { UserControl } from './gateway/user-control';
import { RunResync } from './gateway/run-resync';
import { InstrumentedRunStore } from './metrics/instrumented-run.store';
import { NotificationsMetrics } from './metrics/notifications-metrics';

/** A replaceable part: the app's class (instantiated with DI), the app's instance, or our default. */
function seam<T>(
  provide: abstract new (...args: never[]) => T,
  pick: (options: NotificationsModuleOptions) => Type<T> | T | undefined,
  fallback: Type<T>,
): Provider {
  return {
    provide,
    inject: [NOTIFICATIONS_MODULE_OPTIONS, ModuleRef],
    useFactory: (options: NotificationsModuleOptions, moduleRef: ModuleRef): Promise<T> | T => {
      const given = pick(options);
      if (typeof given === 'function') return moduleRef.create(given as Type<T>);
      return given ?? moduleRef.create(fallback);
    },
  };
}

const runStoreProvider: Provider = {
  provide: RunStore,
  inject: [NOTIFICATIONS_RESOLVED_OPTIONS, RedisConnections, NotificationsMetrics],
  useFactory: (
    options: ResolvedNotificationsOptions,
    connections: RedisConnections,
    metrics: NotificationsMetrics,
  ): RunStore =>
    new InstrumentedRunStore(
      connections.command && options.redis
        ? new RedisRunStore(connections.command, {
            keyPrefix: options.redis.keyPrefix,
            ...options.runs,
          })
        : new MemoryRunStore(options.runs),
      metrics,
    ),
};

const presenceStoreProvider: Provider = {
  provide: PresenceStore,
  inject: [NOTIFICATIONS_RESOLVED_OPTIONS, RedisConnections],
  useFactory: (
    options: ResolvedNotificationsOptions,
    connections: RedisConnections,
  ): PresenceStore => {
    const ttlMs = options.presence.ttlSeconds * 1000;
    return connections.command && options.redis
      ? new RedisPresenceStore(connections.command, { keyPrefix: options.redis.keyPrefix, ttlMs })
      : new MemoryPresenceStore({ ttlMs });
  },
};

/**
 * Real-time notifications for signed-in users: import `NotificationsModule.forRoot()` (or
 * `forRootAsync()`), install `RedisIoAdapter`, and inject {@link NotificationService}.
 *
 * @example
 * NotificationsModule.forRoot({
 *   auth: { tenants: [tenantId], audiences: [`api://${clientId}`] },
 *   redis: { url: process.env.REDIS_URL },
 * })
 */
@Module({
  providers: [
    {
      provide: NOTIFICATIONS_RESOLVED_OPTIONS,
      inject: [NOTIFICATIONS_MODULE_OPTIONS],
      useFactory: resolveOptions,
    },
    {
      // Asked for before any connection is made: ioredis authenticates as it connects.
      provide: RedisCredentialsRefresher,
      inject: [NOTIFICATIONS_RESOLVED_OPTIONS],
      useFactory: (options: ResolvedNotificationsOptions) =>
        options.redis?.credentials
          ? RedisCredentialsRefresher.start(options.redis.credentials)
          : null,
    },
    RedisConnections,
    NotificationsMetrics,
    runStoreProvider,
    presenceStoreProvider,
    PresenceService,
    UserControl,
    RunResync,
    seam(TokenVerifier, (o) => o.tokenVerifier, EntraTokenVerifier),
    seam(UserResolver, (o) => o.userResolver, OidUserResolver),
    seam(RunAccessPolicy, (o) => o.accessPolicy, OwnerOnlyRunAccessPolicy),
    OidUserResolver,
    Authenticator,
    NotificationsAuthGuard,
    NotificationsHub,
    ExpirySchedule,
    NotificationService,
    NotificationsHealthService,
  ],
  exports: [
    NotificationsHealthService,
    NotificationsMetrics,
    NOTIFICATIONS_RESOLVED_OPTIONS,
    NotificationService,
    Authenticator,
    NotificationsAuthGuard,
    TokenVerifier,
    UserResolver,
    OidUserResolver,
    RunAccessPolicy,
    RunStore,
    PresenceStore,
    RedisConnections,
  ],
})
export class NotificationsModule extends ConfigurableNotificationsModule {}
