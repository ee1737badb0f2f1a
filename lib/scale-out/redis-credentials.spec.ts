import { NotificationsConfigError } from '../errors/notifications.error';
import { checkCredentials, refreshDelay } from './redis-credentials';

describe('checkCredentials', () => {
  it('keeps a username and password, and turns a Date expiry into ms', () => {
    const at = new Date('2026-12-05T08:00:00Z');
    expect(checkCredentials({ username: 'oid', password: 'token', expiresAt: at })).toEqual({
      username: 'oid',
      password: 'token',
      expiresAt: at.getTime(),
    });
    expect(checkCredentials({ password: 'key' })).toEqual({ password: 'key' });
  });

  it.each([
    ['nothing', undefined],
    ['no password', { username: 'oid' }],
    ['an empty password', { password: '' }],
    ['a password that is not a string', { password: 42 }],
    ['an empty username', { username: '', password: 'token' }],
    ['an expiry that is not a time', { password: 'token', expiresAt: 'soon' }],
    ['an invalid Date', { password: 'token', expiresAt: new Date('nope') }],
    ['an expiry in seconds (a JWT exp)', { password: 'token', expiresAt: 1_765_000_000 }],
  ])('refuses %s', (_name, value) => {
    expect(() => checkCredentials(value)).toThrow(NotificationsConfigError);
  });
});

describe('refreshDelay', () => {
  const now = 1_000_000;

  it('renews three quarters of the way to expiry', () => {
    expect(refreshDelay(now + 60 * 60_000, now)).toBe(45 * 60_000);
  });

  it('waits at least a second, even for credentials already expired', () => {
    expect(refreshDelay(now + 100, now)).toBe(1000);
    expect(refreshDelay(now - 5000, now)).toBe(1000);
  });

  it('renews every 30 minutes without an expiry, and never past what a timer can hold', () => {
    expect(refreshDelay(undefined, now)).toBe(30 * 60_000);
    expect(refreshDelay(now + 365 * 24 * 3600_000, now)).toBe(2 ** 31 - 1);
  });
});
