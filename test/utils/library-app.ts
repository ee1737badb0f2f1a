import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  NotificationService,
  NotificationsModule,
  RedisIoAdapter,
  type NotificationsModuleExtras,
  type NotificationsModuleOptions,
} from '../../lib';

/** A Nest app that imports only NotificationsModule, listening on 127.0.0.1 port 0. */
export interface LibraryApp {
  app: INestApplication;
  url: string;
  notifications: NotificationService;
  /** Closes the app (once, however many times it is called). */
  close(): Promise<void>;
}

/**
 * What a test adds to the app: its own controllers, where the logs go (errors only by default), and
 * providers replaced by test doubles (token, value).
 */
export interface LibraryAppExtras {
  controllers?: Type[];
  logger?: LoggerService;
  overrides?: Array<[token: unknown, value: unknown]>;
}

export async function startLibraryApp(
  options: NotificationsModuleOptions & NotificationsModuleExtras,
  extras: LibraryAppExtras = {},
): Promise<LibraryApp> {
  const builder = Test.createTestingModule({
    imports: [NotificationsModule.forRoot(options)],
    controllers: extras.controllers ?? [],
  });
  if (extras.logger) builder.setLogger(extras.logger);
  for (const [token, value] of extras.overrides ?? [])
    builder.overrideProvider(token).useValue(value);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: extras.logger ?? ['error'] });
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    app,
    url,
    notifications: app.get(NotificationService),
    close: () => (closed ??= app.close()),
  };
}
