'use strict';
/**
 * Request/response over Node's IPC channel (child_process.fork with serialization 'advanced', so
 * typed arrays travel as such). The orchestrator calls; children serve.
 */

/** Parent side: returns call(cmd, args, timeoutMs) → Promise of the child's result. */
function connect(child, name) {
  let seq = 0;
  const pending = new Map();
  child.on('message', (message) => {
    if (!message || message.__rpc === undefined) return;
    const entry = pending.get(message.__rpc);
    if (!entry) return;
    pending.delete(message.__rpc);
    clearTimeout(entry.timer);
    if (message.error) entry.reject(new Error(`${name}: ${message.error}`));
    else entry.resolve(message.result);
  });
  child.on('exit', (code, signal) => {
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${name} exited (${code ?? signal}) during ${entry.cmd}`));
    }
    pending.clear();
  });
  return function call(cmd, args = {}, timeoutMs = 120_000) {
    return new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer, cmd });
      child.send({ __rpc: id, cmd, args });
    });
  };
}

/** Child side: answers the parent's calls with `handlers[cmd](args)`; exits if the parent goes. */
function serve(handlers) {
  process.on('message', async (message) => {
    if (!message || message.__rpc === undefined) return;
    try {
      const handler = handlers[message.cmd];
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      const result = await handler(message.args);
      process.send({ __rpc: message.__rpc, result });
    } catch (error) {
      process.send({ __rpc: message.__rpc, error: (error && error.stack) || String(error) });
    }
  });
  // The orchestrator died or closed the channel: nothing left to do.
  process.on('disconnect', () => process.exit(0));
}

/** Wall-clock time in ms with sub-ms resolution, comparable across processes on one machine. */
function now() {
  return performance.timeOrigin + performance.now();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleeps until `at` on the shared clock (at once if it has passed). */
async function sleepUntil(at) {
  const wait = at - now();
  if (wait > 0) await sleep(wait);
}

module.exports = { connect, serve, now, sleep, sleepUntil };
