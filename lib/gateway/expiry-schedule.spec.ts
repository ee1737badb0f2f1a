import type { Namespace } from 'socket.io';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import { ExpirySchedule } from './expiry-schedule';

const WARNING_S = 60;
// The schedule works in whole seconds on a 250 ms tick: an event comes within 1.25 s after its time.
const LATE_MS = 1250;

/** A socket as the schedule uses it: what it was sent, and whether it was disconnected. */
function fakeSocket() {
  return { emit: jest.fn(), disconnect: jest.fn() };
}

describe('ExpirySchedule', () => {
  let sockets: Map<string, ReturnType<typeof fakeSocket>>;
  let schedule: ExpirySchedule;
  const at = (msFromNow: number) => Date.now() + msFromNow;
  const events = (id: string) => sockets.get(id)!.emit.mock.calls.map(([event]) => event);

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00.400Z') });
    sockets = new Map([
      ['a', fakeSocket()],
      ['b', fakeSocket()],
    ]);
    schedule = new ExpirySchedule({
      auth: { expiryWarningSeconds: WARNING_S },
    } as ResolvedNotificationsOptions);
    schedule.start({ sockets } as unknown as Namespace);
  });
  afterEach(() => {
    schedule.onModuleDestroy();
    jest.useRealTimers();
  });

  it('warns once before expiry, then sends authExpired and disconnects at expiry', () => {
    const expiresAt = at(120_000);
    const warnAt = expiresAt - WARNING_S * 1000;
    schedule.track('a', expiresAt);
    jest.advanceTimersByTime(warnAt - Date.now() - 1);
    expect(events('a')).toEqual([]);
    jest.advanceTimersByTime(LATE_MS);
    expect(sockets.get('a')!.emit).toHaveBeenCalledWith('authExpiring', {
      expiresAt: new Date(expiresAt).toISOString(),
    });
    jest.advanceTimersByTime(expiresAt - Date.now() - 1);
    expect(events('a')).toEqual(['authExpiring']);
    expect(sockets.get('a')!.disconnect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(LATE_MS);
    expect(events('a')).toEqual(['authExpiring', 'authExpired']);
    expect(sockets.get('a')!.disconnect).toHaveBeenCalledWith(true);
    expect(schedule.size).toBe(0);
    expect(events('b')).toEqual([]);
  });

  it('never disconnects before the expiry', () => {
    const expiresAt = at(90_500);
    schedule.track('a', expiresAt);
    while (Date.now() < expiresAt - 1) {
      jest.advanceTimersByTime(50);
      if (Date.now() < expiresAt) expect(sockets.get('a')!.disconnect).not.toHaveBeenCalled();
    }
    jest.advanceTimersByTime(LATE_MS);
    expect(sockets.get('a')!.disconnect).toHaveBeenCalled();
  });

  it('follows a refreshed token: no expiry at the old time, a new warning before the new one', () => {
    schedule.track('a', at(100_000));
    jest.advanceTimersByTime(50_000);
    expect(events('a')).toEqual(['authExpiring']);
    schedule.track('a', at(300_000));
    // The first token's expiry no longer waits in its bucket.
    expect(schedule.scheduled).toBe(2);
    jest.advanceTimersByTime(100_000);
    expect(events('a')).toEqual(['authExpiring']);
    expect(sockets.get('a')!.disconnect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(200_000 + LATE_MS);
    expect(events('a')).toEqual(['authExpiring', 'authExpiring', 'authExpired']);
  });

  it('does not warn again after a refresh with a token that expires no later', () => {
    const expiresAt = at(100_000);
    schedule.track('a', expiresAt);
    jest.advanceTimersByTime(50_000);
    expect(events('a')).toEqual(['authExpiring']);
    schedule.track('a', expiresAt);
    jest.advanceTimersByTime(expiresAt - Date.now() - 1);
    expect(events('a')).toEqual(['authExpiring']);
    jest.advanceTimersByTime(LATE_MS);
    expect(events('a')).toEqual(['authExpiring', 'authExpired']);
  });

  it('warns at once for a token that expires within the warning time', () => {
    schedule.track('a', at(10_000));
    jest.advanceTimersByTime(LATE_MS);
    expect(events('a')).toEqual(['authExpiring']);
    jest.advanceTimersByTime(10_000);
    expect(events('a')).toEqual(['authExpiring', 'authExpired']);
  });

  it('disconnects a connection tracked with an expiry already past on the next tick', () => {
    schedule.track('a', at(-5_000));
    jest.advanceTimersByTime(LATE_MS);
    expect(events('a')).toContain('authExpired');
    expect(sockets.get('a')!.disconnect).toHaveBeenCalledWith(true);
  });

  it('forgets untracked connections and sockets that are gone', () => {
    schedule.track('a', at(100_000));
    schedule.track('b', at(100_000));
    expect(schedule.scheduled).toBe(4);
    schedule.untrack('a');
    // Nothing of a closed connection waits until its token's times.
    expect(schedule.scheduled).toBe(2);
    sockets.delete('b');
    // At b's warning time its socket is found gone: its expiry no longer waits either.
    jest.advanceTimersByTime(100_000 - WARNING_S * 1000 + LATE_MS);
    expect(schedule.scheduled).toBe(0);
    jest.advanceTimersByTime(200_000);
    expect(events('a')).toEqual([]);
    expect(schedule.size).toBe(0);
    expect(schedule.scheduled).toBe(0);
  });

  it('catches up on every second a stalled timer missed', () => {
    schedule.track('a', at(3_000));
    schedule.track('b', at(5_000));
    // One late tick stands for a blocked event loop.
    jest.setSystemTime(Date.now() + 10_000);
    jest.advanceTimersByTime(250);
    expect(sockets.get('a')!.disconnect).toHaveBeenCalled();
    expect(sockets.get('b')!.disconnect).toHaveBeenCalled();
  });
});
