import { Logger } from '@nestjs/common';
import { Cluster, type Redis } from 'ioredis';
import { NotificationsConfigError } from '../errors/notifications.error';
import { withTimeout } from '../util/with-timeout';
import type { RedisClient } from './create-redis-client';

/**
 * Credentials of the module's Redis connections that change over time: a Microsoft Entra token
 * for Azure Cache for Redis or Azure Managed Redis (username: the identity's object id, password:
 * a token for `https://redis.azure.com/.default`).
 */
export interface RedisCredentials {
  username?: string;
  password: string;
  /** When the password stops being accepted (ms since the epoch, or a Date). */
  expiresAt?: number | Date;
}

/** Called at startup and again before the current credentials expire. */
export type RedisCredentialsProvider = () => RedisCredentials | Promise<RedisCredentials>;

// Without an expiry, credentials are asked for again this often.
const REFRESH_WITHOUT_EXPIRY_MS = 30 * 60_000;
// The largest delay setTimeout keeps (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;
const AUTH_TIMEOUT_MS = 10_000;

/** Checks what a provider answered and normalises its expiry to ms since the epoch. */
export function checkCredentials(value: unknown): RedisCredentials & { expiresAt?: number } {
  const c = value as RedisCredentials | undefined;
  if (!c || typeof c.password !== 'string' || c.password === '') {
    throw new NotificationsConfigError(
      'redis.credentials must resolve to { password, username? }.',
    );
  }
  if (c.username !== undefined && (typeof c.username !== 'string' || c.username === '')) {
    throw new NotificationsConfigError('redis.credentials: username must be a non-empty string.');
  }
  const expiresAt = c.expiresAt instanceof Date ? c.expiresAt.getTime() : c.expiresAt;
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) {
    throw new NotificationsConfigError('redis.credentials: expiresAt must be a time or a Date.');
  }
  // A JWT's `exp` is in seconds; taken as ms it is in 1970, and renewals would never stop.
  if (expiresAt !== undefined && expiresAt < 1e12) {
    throw new NotificationsConfigError(
      'redis.credentials: expiresAt is milliseconds since the epoch (or a Date), not seconds.',
    );
  }
  const checked: RedisCredentials & { expiresAt?: number } = { password: c.password };
  if (c.username !== undefined) checked.username = c.username;
  if (expiresAt !== undefined) checked.expiresAt = expiresAt;
  return checked;
}

/**
 * How long to wait before asking for new credentials: three quarters of the way to their expiry
 * (an Entra token of 60–90 minutes is renewed 15–22 minutes early, room for retries if the
 * identity endpoint fails), at least a second.
 */
export function refreshDelay(expiresAt: number | undefined, now: number): number {
  if (expiresAt === undefined) return REFRESH_WITHOUT_EXPIRY_MS;
  return Math.min(MAX_TIMER_MS, Math.max(RETRY_MIN_MS, Math.floor((expiresAt - now) * 0.75)));
}

/**
 * The connections behind a client: itself, or a Cluster's node connections. A Cluster's
 * subscribers are made afresh from its nodes' options when it reconnects or finds its slots again.
 */
function connectionsOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('all') : [client];
}

/**
 * Keeps the module's Redis connections authenticated with credentials that expire. Each
 * connection is created with the current credentials; before they expire, new ones are asked for,
 * written where each connection reads them when it reconnects, and sent with `AUTH` on every
 * ready connection that accepts it (a connection still connecting gets it once ready). A
 * subscriber connection does not (Redis refuses `AUTH` once a connection subscribes, over RESP2):
 * it keeps its authentication until Redis closes it, then reconnects with the new credentials and
 * subscribes again, and the run resync re-emits what its instance missed meanwhile.
 */
export class RedisCredentialsRefresher {
  private readonly logger = new Logger('Notifications:Redis');
  private readonly clients = new Set<RedisClient>();
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  /** Connections that were not ready at a renewal: authenticated again once they are. */
  private readonly awaitingReady = new WeakSet<Redis>();
  /** Clients that subscribe: Redis takes no `AUTH` on them, they reconnect with new credentials. */
  private readonly subscribers = new WeakSet<RedisClient>();

  private constructor(
    private readonly provider: RedisCredentialsProvider,
    private credentials: RedisCredentials & { expiresAt?: number },
  ) {}

  /** Asks the provider for the first credentials, then keeps them fresh. */
  static async start(provider: RedisCredentialsProvider): Promise<RedisCredentialsRefresher> {
    let first: RedisCredentials & { expiresAt?: number };
    try {
      first = checkCredentials(await provider());
    } catch (error) {
      if (error instanceof NotificationsConfigError) throw error;
      throw new NotificationsConfigError(
        `redis.credentials failed at startup: ${(error as Error).message}`,
      );
    }
    const refresher = new RedisCredentialsRefresher(provider, first);
    refresher.schedule(refreshDelay(first.expiresAt, Date.now()));
    return refresher;
  }

  /** The current username and password, as ioredis options. */
  get current(): { username?: string; password: string } {
    const { username, password } = this.credentials;
    return username === undefined ? { password } : { username, password };
  }

  /**
   * Keeps `client`'s connections on the current credentials from now on. A `subscriber` client
   * (a single server's) only reconnects with them: once it subscribes, Redis refuses `AUTH` on it
   * (over RESP2), and ioredis sends its subscriptions again before anything else on a new
   * connection, so an `AUTH` at ready would come after them.
   */
  track(client: RedisClient, options: { subscriber?: boolean } = {}): void {
    this.clients.add(client);
    if (options.subscriber) this.subscribers.add(client);
  }

  /** Asks for new credentials now and applies them; resolves false when the provider failed. */
  async refresh(): Promise<boolean> {
    let next: RedisCredentials & { expiresAt?: number };
    try {
      next = checkCredentials(await this.provider());
    } catch (error) {
      this.failures++;
      this.logger.warn(
        `Redis credentials could not be renewed (attempt ${this.failures}): ${(error as Error).message}`,
      );
      this.schedule(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1)));
      return false;
    }
    this.failures = 0;
    this.credentials = next;
    // Scheduled first: an AUTH held up by a connection that is reconnecting must not hold up the
    // renewals after it.
    this.schedule(refreshDelay(next.expiresAt, Date.now()));
    await Promise.all([...this.clients].map((client) => this.apply(client)));
    return true;
  }

  /** Stops renewing (on shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.clients.clear();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), delayMs);
    this.timer.unref();
  }

  private async apply(client: RedisClient): Promise<void> {
    const current = this.current;
    if (client instanceof Cluster) {
      // Read when the Cluster connects to a node it has not used yet.
      Object.assign((client.options.redisOptions ??= {}), current);
    }
    // A Cluster's node connections do not subscribe (its subscribers are connections of their own).
    const subscriber = this.subscribers.has(client) && !(client instanceof Cluster);
    await Promise.all(
      connectionsOf(client).map(async (connection) => {
        Object.assign(connection.options, current);
        if (subscriber) return;
        if (connection.status === 'ready') return this.authenticate(connection);
        // A handshake under way may have sent the credentials being replaced, and would keep
        // them until they expire: authenticate again once it is done.
        if (connection.status !== 'end' && !this.awaitingReady.has(connection)) {
          this.awaitingReady.add(connection);
          connection.once('ready', () => {
            this.awaitingReady.delete(connection);
            void this.authenticate(connection);
          });
        }
      }),
    );
  }

  /** `AUTH` with the current credentials, on a connection that accepts it. */
  private async authenticate(connection: Redis): Promise<void> {
    if (this.stopped || connection.status !== 'ready' || connection.mode !== 'normal') return;
    const current = this.current;
    try {
      const auth =
        current.username === undefined
          ? connection.auth(current.password)
          : connection.auth(current.username, current.password);
      await withTimeout(auth, AUTH_TIMEOUT_MS, 'AUTH timed out');
    } catch (error) {
      this.logger.warn(`Redis refused the renewed credentials: ${(error as Error).message}`);
    }
  }
}
