/**
 * Counts each user's live connections across all instances. A connection is registered at the
 * handshake and refreshed by its instance's heartbeat; an instance that dies stops refreshing, so
 * its connections expire after the TTL instead of counting forever.
 */
export abstract class PresenceStore {
  /**
   * Registers a connection unless the user already holds `max` live ones (0: no limit).
   * Resolves false when the limit is reached.
   */
  abstract register(userId: string, connectionId: string, max: number): Promise<boolean>;
  abstract unregister(userId: string, connectionId: string): Promise<void>;
  /**
   * Extends the life of these live connections by one TTL, writing back any the store lost (an
   * outage, a restart), so that they count again within one heartbeat interval.
   */
  abstract heartbeat(connections: Iterable<[userId: string, connectionId: string]>): Promise<void>;
  /** Live connections of a user, on every instance. */
  abstract count(userId: string): Promise<number>;
}

/** Settings shared by the presence stores. */
export interface PresenceSettings {
  /** A connection not refreshed for this long no longer counts. */
  ttlMs: number;
}
