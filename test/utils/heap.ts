import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A real, full garbage collection in this process, where the server runs too: heap figures taken
// right after it hold only what is reachable, so a before/after difference is retained memory.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Full collections with a turn of the event loop after each: it lets weak callbacks and finalizers
 * of one collection run, so that the next collection can free what they released.
 */
export async function collectGarbage(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Heap in use after full collections; the least of a few readings, taken the same way each time. */
export async function settledHeapUsed(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 5; i++) {
    await collectGarbage(1);
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
