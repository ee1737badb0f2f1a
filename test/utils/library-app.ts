import type { INestApplication } from '@nestjs/common';
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
  close(): Promise<void>;
}

export async function startLibraryApp(
  options: NotificationsModuleOptions & NotificationsModuleExtras,
): Promise<LibraryApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [NotificationsModule.forRoot(options)],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, notifications: app.get(NotificationService), close: () => app.close() };
}
