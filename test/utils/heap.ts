import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A real, full garbage collection in this process, where the server runs too: heap figures taken
// right after it hold only what is reachable, so a before/after difference is retained memory.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Full collections with a turn of the event loop after each: it lets weak callbacks and finalizers
 * of one collection run, so that the next collection can free what they released.
 */
export async function collectGarbage(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await turn();
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

/**
 * Two young-generation collections: what is still referenced after them has moved to the old
 * generation, as V8 promotes an object that survives two.
 */
export async function promoteSurvivors(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    gc({ type: 'minor' });
    await turn();
  }
}

const oldSpaceUsed = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;

/**
 * Bytes the old generation gained while `phase` ran, from a full collection before it: what the
 * phase promoted. A full collection during the phase would free some of it, so such an attempt is
 * run again (up to three times).
 */
export async function oldSpaceGrowth(phase: () => Promise<void>): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await collectGarbage();
    let fullCollections = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry.detail as { kind?: number } | undefined)?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections++;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    const before = oldSpaceUsed();
    await phase();
    const grown = oldSpaceUsed() - before;
    await turn();
    observer.disconnect();
    if (fullCollections === 0) return grown;
  }
  throw new Error('a full collection ran during each of three attempts');
}
