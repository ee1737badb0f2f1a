'use strict';
/**
 * Event-loop delay and garbage-collection pauses of the process it runs in, over the time since
 * the last reading. Instances and load clients both keep one: a latency tail is only explained
 * once it is known which side stalled (a client that stalls delays what it receives as surely as
 * an instance that stalls delays what it sends).
 */
const { constants, monitorEventLoopDelay } = require('node:perf_hooks');
const report = require('./report');

let loop;
let gcObserver;
let gcPauses = { total: 0, max: 0, major: 0 };

/**
 * Returns the delay since the last call ({ p99, max } in ms) with the GC pauses over the same time
 * ({ gc_max, gc_total, gc_major }), or null on the first call, and starts a new reading.
 */
function loopDelay() {
  loop ??= monitorEventLoopDelay({ resolution: 5 });
  if (!gcObserver) {
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        gcPauses.total += entry.duration;
        gcPauses.max = Math.max(gcPauses.max, entry.duration);
        // Major (mark-compact) pauses are the ones that reach the message latency tails.
        const kind = entry.detail ? entry.detail.kind : entry.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcPauses.major += entry.duration;
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  loop.disable();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const result = loop.count
    ? {
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
        gc_max: report.round(gcPauses.max),
        gc_total: report.round(gcPauses.total),
        gc_major: report.round(gcPauses.major),
      }
    : null;
  gcPauses = { total: 0, max: 0, major: 0 };
  loop.reset();
  loop.enable();
  return result;
}

module.exports = { loopDelay };
