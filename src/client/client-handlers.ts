import type { StatusUpdate, UserNotification } from '../protocol/messages';
import { callEach, messageOf } from './call-each';
import type { ConnectionState, Handler, NotificationsClientError } from './client-options';

/**
 * The handlers an app registers on a client, one set per kind, and the rule for calling them: a
 * handler that throws is reported to the error handlers (`handler_error`) and the others still
 * run; an error handler that throws has nowhere left to report to.
 */
export class ClientHandlers {
  readonly updates = new Set<Handler<StatusUpdate>>();
  readonly notifications = new Set<Handler<UserNotification>>();
  readonly states = new Set<Handler<ConnectionState>>();
  readonly errors = new Set<Handler<NotificationsClientError>>();

  /** Adds `handler` to `set`; returns a function that removes it. */
  listen<T>(set: Set<Handler<T>>, handler: Handler<T>): () => void {
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Calls each handler of `set` with `value`. */
  call<T>(set: Set<Handler<T>>, value: T): void {
    callEach(set, value, (error) => this.handlerFailed(error));
  }

  /** Reports a handler that threw, with the run whose update it was handling, if any. */
  handlerFailed(error: unknown, runId?: string): void {
    this.report({ code: 'handler_error', message: messageOf(error), runId });
  }

  /** Tells the error handlers. */
  report(failure: NotificationsClientError): void {
    callEach(this.errors, failure, () => undefined);
  }
}
