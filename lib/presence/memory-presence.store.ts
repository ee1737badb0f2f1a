import { PresenceStore, type PresenceSettings } from './presence.store';

/** {@link PresenceStore} for one instance: connection ids with their expiry, per user. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly users = new Map<string, Map<string, number>>();

  constructor(private readonly settings: PresenceSettings) {
    super();
  }

  async register(userId: string, connectionId: string, max: number): Promise<boolean> {
    const connections = this.live(userId);
    if (max > 0 && connections.size >= max) return false;
    connections.set(connectionId, Date.now() + this.settings.ttlMs);
    this.users.set(userId, connections);
    return true;
  }

  async unregister(userId: string, connectionId: string): Promise<void> {
    const connections = this.users.get(userId);
    connections?.delete(connectionId);
    if (connections?.size === 0) this.users.delete(userId);
  }

  async heartbeat(connections: Iterable<[string, string]>): Promise<void> {
    const expiry = Date.now() + this.settings.ttlMs;
    for (const [userId, connectionId] of connections) {
      const user = this.users.get(userId) ?? new Map<string, number>();
      user.set(connectionId, expiry);
      this.users.set(userId, user);
    }
  }

  async count(userId: string): Promise<number> {
    return this.live(userId).size;
  }

  private live(userId: string): Map<string, number> {
    const connections = this.users.get(userId) ?? new Map<string, number>();
    const now = Date.now();
    for (const [id, expiresAt] of connections) if (expiresAt <= now) connections.delete(id);
    return connections;
  }
}
