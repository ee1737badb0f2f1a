'use strict';
/**
 * The variants the benchmark compares and what sets them apart, in one place: what an instance
 * runs (the library in a Redis mode, or, without `redisMode`, bare socket.io), how a client
 * identifies itself, and whether a late subscriber gets the updates it missed.
 */
const VARIANTS = {
  /** Bare socket.io + redis adapter: the user id is trusted from the handshake; no run log. */
  baseline: { tokens: false, replay: false },
  /** The library in classic mode: RS256 tokens at the handshake, the run log replays. */
  library: { redisMode: 'classic', tokens: true, replay: true },
  /** The same in sharded mode. */
  'library-sharded': { redisMode: 'sharded', tokens: true, replay: true },
};

/**
 * The node flags every instance runs with, whatever its variant (the comparison is of the stacks,
 * on one runtime configuration): by default the ones the sample runs with in production (its
 * Dockerfile's NODE_OPTIONS and `npm start`), a young generation of up to 32 MiB per semi-space;
 * why and what it does: docs/BENCHMARKS.md, item 9. `--node-flags=` runs Node's defaults.
 */
const NODE_FLAGS = ['--max-semi-space-size=32'];

module.exports = { VARIANTS, VARIANT_NAMES: Object.keys(VARIANTS), NODE_FLAGS };
