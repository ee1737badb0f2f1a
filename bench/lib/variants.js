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

module.exports = { VARIANTS, VARIANT_NAMES: Object.keys(VARIANTS) };
