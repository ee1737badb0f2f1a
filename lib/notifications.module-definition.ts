import { ConfigurableModuleBuilder, type Provider, type Type } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { NOTIFICATIONS_NAMESPACE } from '../src/protocol/events';
import { TaskGateway } from './gateway/task.gateway';
import { NOTIFICATIONS_MODULE_OPTIONS } from './notifications.constants';
import { PUBLISHER_NAMESPACE_NAME, PublisherNamespace } from './scale-out/publisher-namespace';
import type { NotificationsModuleOptions } from './options/notifications-options.interface';

/** Options of `forRoot`/`forRootAsync` that shape the module itself rather than its services. */
export interface NotificationsModuleExtras {
  /** Register the module globally, so feature modules inject NotificationService without importing it. */
  isGlobal?: boolean;
  /** socket.io namespace of the gateway. @default '/notifications' */
  namespace?: string;
  /**
   * Host the socket.io gateway. `false` is publisher-only mode, for workers: NotificationService
   * sends through Redis to the gateways of the other processes (requires `redis`). @default true
   */
  gateway?: boolean;
}

/** The gateway class for a namespace: TaskGateway itself for the protocol's namespace. */
function gatewayFor(namespace: string | undefined): Type<TaskGateway> {
  if (!namespace || namespace === NOTIFICATIONS_NAMESPACE) return TaskGateway;
  if (!namespace.startsWith('/')) {
    throw new Error(`NotificationsModule: namespace must start with "/", got "${namespace}".`);
  }
  // A subclass per module registration carries its own metadata, so TaskGateway stays unchanged.
  class NamespacedTaskGateway extends TaskGateway {}
  WebSocketGateway({ namespace })(NamespacedTaskGateway);
  return NamespacedTaskGateway;
}

/** A class for `forRootAsync({ useClass })` / `useExisting`. */
export interface NotificationsOptionsFactory {
  createNotificationsOptions(): NotificationsModuleOptions | Promise<NotificationsModuleOptions>;
}

export const {
  ConfigurableModuleClass: ConfigurableNotificationsModule,
  OPTIONS_TYPE: NOTIFICATIONS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: NOTIFICATIONS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NotificationsModuleOptions>({
  moduleName: 'Notifications',
  optionsInjectionToken: NOTIFICATIONS_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createNotificationsOptions')
  .setExtras<NotificationsModuleExtras>(
    { isGlobal: false, namespace: NOTIFICATIONS_NAMESPACE, gateway: true },
    (definition, extras) => {
      const namespace = extras.namespace ?? NOTIFICATIONS_NAMESPACE;
      const parts: Provider[] =
        extras.gateway === false
          ? [PublisherNamespace, { provide: PUBLISHER_NAMESPACE_NAME, useValue: namespace }]
          : [gatewayFor(namespace)];
      return {
        ...definition,
        global: extras.isGlobal,
        providers: [...(definition.providers ?? []), ...parts],
      };
    },
  )
  .build();
