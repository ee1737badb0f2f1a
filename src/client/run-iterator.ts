import { TERMINAL_RUN_STATUSES, type StatusUpdate } from '../protocol/messages';

/**
 * Turns a handler subscription into an async iterator that ends after a terminal status
 * (`completed`, `failed`, `cancelled`); leaving the loop early unsubscribes too.
 */
export async function* iterateRun(
  subscribe: (handler: (update: StatusUpdate) => void) => Promise<() => Promise<void>>,
): AsyncGenerator<StatusUpdate> {
  const queue: StatusUpdate[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = await subscribe((update) => {
    queue.push(update);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length > 0) {
        const update = queue.shift()!;
        yield update;
        if (TERMINAL_RUN_STATUSES.includes(update.status)) return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    await unsubscribe();
  }
}
