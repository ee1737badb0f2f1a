import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { NotificationsError } from '../errors/notifications.error';

/**
 * Holds the gateway's socket.io namespace once it is initialised, so that the singleton
 * NotificationService can emit through it (and, with Redis, to every instance).
 */
@Injectable()
export class NotificationsHub {
  private current?: Namespace;
  /** True once the app is shutting down: the instance no longer takes connections. */
  draining = false;

  attach(namespace: Namespace): void {
    this.current = namespace;
  }

  /** True once the gateway is initialised. */
  get ready(): boolean {
    return this.current !== undefined;
  }

  get namespace(): Namespace {
    if (!this.current) {
      throw new NotificationsError(
        'not_ready',
        'The notifications gateway is not initialised yet. Send after app.init() or app.listen().',
      );
    }
    return this.current;
  }
}
