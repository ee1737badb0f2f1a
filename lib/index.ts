export { NotificationsModule } from './notifications.module';
export {
  NOTIFICATIONS_ASYNC_OPTIONS_TYPE,
  NOTIFICATIONS_OPTIONS_TYPE,
  type NotificationsModuleExtras,
  type NotificationsOptionsFactory,
} from './notifications.module-definition';
export {
  NOTIFICATIONS_MODULE_OPTIONS,
  NOTIFICATIONS_RESOLVED_OPTIONS,
  runRoom,
  userRoom,
} from './notifications.constants';
export type {
  NotificationsAuthOptions,
  NotificationsLimitOptions,
  NotificationsModuleOptions,
  NotificationsPresenceOptions,
  NotificationsRedisOptions,
  NotificationsRunOptions,
  TokenVersion,
} from './options/notifications-options.interface';
export type { ResolvedAuthOptions, ResolvedNotificationsOptions } from './options/resolved-options';
export {
  NotificationService,
  type CreateRunOptions,
  type RunUpdateInput,
} from './notification.service';
export {
  NotificationsHealthService,
  type HealthCheckResult,
  type NotificationsHealthReport,
  type NotificationsHealthIndicatorResult,
} from './health/notifications-health.service';
export { NotificationsMetrics, type EmittedKind } from './metrics/notifications-metrics';
export { TaskGateway } from './gateway/task.gateway';
export { RedisIoAdapter } from './scale-out/redis-io.adapter';
export { RedisConnections } from './scale-out/redis-connections';
export { createRedisClient, type RedisClient } from './scale-out/create-redis-client';
export type { RedisCredentials, RedisCredentialsProvider } from './scale-out/redis-credentials';
export { TokenVerifier, type VerifiedToken } from './auth/token-verifier';
export { EntraTokenVerifier } from './auth/entra-token.verifier';
export { SigningKeyProvider, type TenantSigningKeys } from './auth/signing-key.provider';
export {
  EntraSigningKeyProvider,
  type EntraSigningKeyProviderOptions,
} from './auth/entra-signing-key.provider';
export { UserResolver } from './auth/user-resolver';
export { OidUserResolver, OBJECT_ID_CLAIM } from './auth/oid-user.resolver';
export { Authenticator } from './auth/authenticator.service';
export type { AuthenticatedUser } from './auth/authenticated-user';
export { NotificationsAuthGuard, type AuthenticatedRequest } from './auth/notifications-auth.guard';
export { CurrentUser } from './auth/current-user.decorator';
export { RunAccessPolicy, OwnerOnlyRunAccessPolicy, canAccessRun } from './runs/run-access.policy';
export { PresenceStore } from './presence/presence.store';
export { MemoryPresenceStore } from './presence/memory-presence.store';
export { RedisPresenceStore } from './presence/redis-presence.store';
export { RunStore, type RunRecord, type RunLogSlice, type NewStatusUpdate } from './runs/run-store';
export { MemoryRunStore } from './runs/memory-run.store';
export { RedisRunStore } from './runs/redis-run.store';
export { NotificationsError, NotificationsConfigError } from './errors/notifications.error';
export { AuthError } from './errors/auth.error';
export * from '../src/protocol';
