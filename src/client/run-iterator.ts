import { TERMINAL_RUN_STATUSES, type StatusUpdate } from '../protocol/messages';

/**
 * Turns a handler subscription into an async iterator that ends after a terminal status
 * (`completed`, `failed`, `cancelled`); leaving the loop early unsubscribes too. `watchDrop`
 * registers a callback for a run lost later (a re-subscription refused, refetches given up): the loop then throws
 * that error instead of waiting forever. It returns a function that unregisters the callback.
 */
export async function* iterateRun(
  subscribe: (handler: (update: StatusUpdate) => void) => Promise<() => Promise<void>>,
  watchDrop: (fail: (error: Error) => void) => () => void,
): AsyncGenerator<StatusUpdate> {
  const queue: StatusUpdate[] = [];
  let dropped: Error | undefined;
  let wake: (() => void) | undefined;
  const unwatch = watchDrop((error) => {
    dropped ??= error;
    wake?.();
  });
  let unsubscribe: (() => Promise<void>) | undefined;
  try {
    unsubscribe = await subscribe((update) => {
      queue.push(update);
      wake?.();
    });
    for (;;) {
      while (queue.length > 0) {
        const update = queue.shift()!;
        yield update;
        if (TERMINAL_RUN_STATUSES.includes(update.status)) return;
      }
      if (dropped) throw dropped;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unwatch();
    await unsubscribe?.();
  }
}
