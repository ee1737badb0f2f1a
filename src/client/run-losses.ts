import { callEach } from './call-each';
import type { Handler, NotificationsClientError } from './client-options';

/**
 * Who to tell when a followed run is lost for good (a re-subscription refused, its refetches
 * given up): the `runUpdates()` loops of that run, which would otherwise wait forever.
 */
export class RunLosses {
  private readonly handlers = new Map<string, Set<Handler<NotificationsClientError>>>();

  /** Calls `handler` if `runId` is lost; returns a function that removes it. */
  on(runId: string, handler: Handler<NotificationsClientError>): () => void {
    let handlers = this.handlers.get(runId);
    if (!handlers) this.handlers.set(runId, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      // Nothing kept per run once its last loop has ended.
      if (handlers.size === 0 && this.handlers.get(runId) === handlers) this.handlers.delete(runId);
    };
  }

  /** Tells the run's handlers, once; a handler that throws goes to `onError`. */
  lose(runId: string, error: NotificationsClientError, onError: (error: unknown) => void): void {
    const handlers = this.handlers.get(runId);
    this.handlers.delete(runId);
    if (handlers) callEach(handlers, error, onError);
  }
}
