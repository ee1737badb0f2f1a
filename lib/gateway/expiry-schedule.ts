import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { ServerEvents } from '../../src/protocol/events';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';

interface Tracked {
  expiresAt: number;
  warnAt: number;
  warned: boolean;
  /** The buckets (seconds) holding the connection's id, to take it out when it goes. */
  warnSecond: number;
  expireSecond: number;
}

/**
 * One shared schedule for token expiry on live connections: `authExpiring` before a token expires,
 * `authExpired` and a disconnect when it does. A connection costs one map entry and one id in a
 * per-second bucket; a single timer serves them all, so idle connections hold no timer of their own.
 */
@Injectable()
export class ExpirySchedule implements OnModuleDestroy {
  private readonly entries = new Map<string, Tracked>();
  private readonly buckets = new Map<number, Set<string>>();
  private namespace?: Namespace;
  private timer?: NodeJS.Timeout;
  private lastSecond = Math.floor(Date.now() / 1000);
  private readonly warningMs: number;

  constructor(@Inject(NOTIFICATIONS_RESOLVED_OPTIONS) options: ResolvedNotificationsOptions) {
    this.warningMs = (options.auth?.expiryWarningSeconds ?? 60) * 1000;
  }

  start(namespace: Namespace): void {
    this.namespace = namespace;
    this.timer ??= setInterval(() => this.tick(Date.now()), 250);
    this.timer.unref();
  }

  /** (Re)schedules a connection's expiry. */
  track(socketId: string, expiresAt: number): void {
    const warnAt = expiresAt - this.warningMs;
    // A refresh with a token that expires no later (a client's cached token) is not warned about
    // again: a warning a second until expiry would only bring the same token back.
    const previous = this.entries.get(socketId);
    const warned = previous !== undefined && previous.warned && expiresAt <= previous.expiresAt;
    if (previous) this.dequeue(socketId, previous);
    this.entries.set(socketId, {
      expiresAt,
      warnAt,
      warned,
      warnSecond: this.enqueue(socketId, warnAt),
      expireSecond: this.enqueue(socketId, expiresAt),
    });
  }

  untrack(socketId: string): void {
    const entry = this.entries.get(socketId);
    if (!entry) return;
    this.entries.delete(socketId);
    this.dequeue(socketId, entry);
  }

  /** Number of connections tracked. */
  get size(): number {
    return this.entries.size;
  }

  /** Ids waiting in the per-second buckets: at most two per tracked connection. */
  get scheduled(): number {
    let total = 0;
    for (const bucket of this.buckets.values()) total += bucket.size;
    return total;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
    this.buckets.clear();
  }

  /** Puts the id in the bucket of time `at`; returns that bucket's second. */
  private enqueue(socketId: string, at: number): number {
    // Times already past go into the next bucket the timer will process.
    const second = Math.max(Math.ceil(at / 1000), this.lastSecond + 1);
    let bucket = this.buckets.get(second);
    if (!bucket) this.buckets.set(second, (bucket = new Set()));
    bucket.add(socketId);
    return second;
  }

  /** Takes a connection's id out of the buckets still to come. */
  private dequeue(socketId: string, entry: Tracked): void {
    for (const second of [entry.warnSecond, entry.expireSecond]) {
      const bucket = this.buckets.get(second);
      bucket?.delete(socketId);
      if (bucket?.size === 0) this.buckets.delete(second);
    }
  }

  private tick(now: number): void {
    const nowSecond = Math.floor(now / 1000);
    for (let second = this.lastSecond + 1; second <= nowSecond; second++) {
      const bucket = this.buckets.get(second);
      if (!bucket) continue;
      this.buckets.delete(second);
      for (const id of bucket) this.fire(id, now);
    }
    this.lastSecond = nowSecond;
  }

  private fire(socketId: string, now: number): void {
    const entry = this.entries.get(socketId);
    // A connection leaves its buckets when it goes; an id without an entry would be a leftover.
    if (!entry) return;
    const socket = this.namespace?.sockets.get(socketId);
    if (!socket) {
      this.entries.delete(socketId);
      this.dequeue(socketId, entry);
      return;
    }
    if (now >= entry.expiresAt) {
      this.entries.delete(socketId);
      socket.emit(ServerEvents.AuthExpired, {});
      socket.disconnect(true);
      return;
    }
    if (now >= entry.warnAt && !entry.warned) {
      entry.warned = true;
      socket.emit(ServerEvents.AuthExpiring, {
        expiresAt: new Date(entry.expiresAt).toISOString(),
      });
    }
  }
}
