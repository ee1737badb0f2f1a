/**
 * Credentials that expire (a Microsoft Entra token for Azure Cache for Redis): the module connects
 * with what `redis.credentials` gives, asks again before expiry, re-authenticates its live
 * connections in place, and reconnects with the new credentials once the old ones are refused.
 * A real Redis with ACL users stands in for Azure: the default user is off, so nothing connects
 * without the provider's credentials.
 */
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import type { RedisCredentials } from '../lib';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { CaptureLogger } from './utils/capture-logger';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';
import { delay, eventually } from './utils/wait';

const LIFETIME_MS = 2_000;

/** A provider as an app writes one around its identity library, with a switch for failures. */
class TokenSource {
  password = 'token-1';
  calls = 0;
  failing = false;

  readonly provide = async (): Promise<RedisCredentials> => {
    this.calls++;
    if (this.failing) throw new Error('identity endpoint unavailable');
    return { username: 'app', password: this.password, expiresAt: Date.now() + LIFETIME_MS };
  };
}

describe('redis.credentials: credentials that expire', () => {
  let redis: RedisServerHandle;
  let admin: Redis;
  let idp: LocalIdentityProvider;
  let apps: LibraryApp[] = [];
  const sockets: Socket[] = [];
  const source = new TokenSource();
  const logger = new CaptureLogger();

  /** AUTH commands Redis has run, and its clients' ids. */
  const authCalls = async () =>
    Number(/cmdstat_auth:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
  const appClientIds = async () =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => / user=app /.test(line))
      .map((line) => /id=(\d+)/.exec(line)![1])
      .sort();
  const connectionsReceived = async () =>
    Number(/total_connections_received:(\d+)/.exec(await admin.info('stats'))?.[1]);
  const authFailures = async () =>
    ((await admin.call('ACL', 'LOG')) as unknown[][]).filter((entry) =>
      entry.some((field, i) => entry[i - 1] === 'reason' && field === 'auth'),
    ).length;

  beforeAll(async () => {
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    const setup = new Redis(redis.url);
    await setup.call('ACL', 'SETUSER', 'admin', 'on', '>admin-secret', '~*', '&*', '+@all');
    await setup.call('ACL', 'SETUSER', 'app', 'on', `>${source.password}`, '~*', '&*', '+@all');
    await setup.call('ACL', 'SETUSER', 'default', 'off');
    setup.disconnect();
    admin = new Redis(redis.url, { username: 'admin', password: 'admin-secret' });
    const options = {
      auth: idp.authOptions(),
      redis: { url: redis.url, credentials: source.provide },
    };
    for (let i = 0; i < 2; i++) apps.push(await startLibraryApp(options, { logger }));
  }, 30_000);
  afterAll(async () => {
    closeAll(...sockets);
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    admin?.disconnect();
    await redis?.stop();
    await idp?.stop();
  });

  /** A notification from instance 0 and a run update from instance 0, both seen on instance 1. */
  async function expectScaleOutWorks(): Promise<void> {
    const oid = randomGuid();
    const socket = await connectClient(apps[1].url, await idp.issueToken({ oid }));
    sockets.push(socket);
    const notes = record<UserNotification>(socket, 'notification');
    const updates = record<StatusUpdate>(socket, 'statusUpdate');
    const run = await apps[0].notifications.createRun(oid);
    expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
    await apps[0].notifications.publishRunUpdate(run.runId, { status: 'running' });
    apps[0].notifications.sendToUser(oid, 'credentials.check', {});
    await waitUntil(socket, () => notes.length === 1 && updates.length === 1);
    socket.close();
  }

  it('connects with the provider’s credentials (the default user is off)', async () => {
    expect(source.calls).toBeGreaterThanOrEqual(2); // once per instance at startup
    expect((await appClientIds()).length).toBeGreaterThanOrEqual(6); // command, pub, sub × 2
    await expectScaleOutWorks();
  });

  it('re-authenticates live connections in place before the credentials expire', async () => {
    await admin.call('ACL', 'SETUSER', 'app', '>token-2');
    source.password = 'token-2';
    const [callsBefore, authBefore, idsBefore] = [
      source.calls,
      await authCalls(),
      await appClientIds(),
    ];
    // Each instance asks again within three quarters of the lifetime, and sends AUTH on its
    // command and publisher connections (the subscriber cannot: it is subscribed).
    await eventually(
      () => `two renewals after ${callsBefore} calls`,
      () => source.calls >= callsBefore + 2,
      LIFETIME_MS * 2,
    );
    await eventually(
      () => 'AUTH on the live connections',
      async () => (await authCalls()) >= authBefore + 4,
      2_000,
    );
    expect(await appClientIds()).toEqual(idsBefore); // no connection was replaced
    await expectScaleOutWorks();
  });

  it('reconnects with the renewed credentials once the old ones are refused', async () => {
    // The first token is now refused, and every connection is dropped (as Azure closes a
    // connection whose token expired): they must come back with the second one.
    await admin.call('ACL', 'SETUSER', 'app', '<token-1');
    const failuresBefore = await authFailures();
    await admin.client('KILL', 'USER', 'app');
    await eventually(
      () => 'every connection back',
      async () => (await appClientIds()).length >= 6,
      10_000,
    );
    await expectScaleOutWorks();
    expect(await authFailures()).toBe(failuresBefore);
  });

  it('a renewal that fails keeps the current credentials and is retried', async () => {
    source.failing = true;
    const calls = source.calls;
    await eventually(
      () => 'renewals tried and failed',
      () => source.calls >= calls + 4,
      LIFETIME_MS * 3,
    );
    expect(logger.lines.some((l) => /credentials could not be renewed/.test(l.text))).toBe(true);
    await expectScaleOutWorks(); // the connections stay up on what they had
    source.failing = false;
    const recovered = source.calls;
    await eventually(
      () => 'a renewal after the failures',
      () => source.calls > recovered,
      5_000,
    );
    await expectScaleOutWorks();
  });

  it('the app does not start when the provider fails at startup, and says why', async () => {
    const received = await connectionsReceived();
    const failing = async (): Promise<RedisCredentials> => {
      throw new Error('no managed identity here');
    };
    await expect(
      startLibraryApp({ auth: idp.authOptions(), redis: { url: redis.url, credentials: failing } }),
    ).rejects.toThrow(/redis\.credentials failed at startup: no managed identity here/);
    await expect(
      startLibraryApp({
        auth: idp.authOptions(),
        redis: { url: redis.url, credentials: async () => ({ password: '' }) },
      }),
    ).rejects.toThrow(/redis\.credentials must resolve to/);
    // Nothing connected meanwhile, without credentials or with any.
    await delay(300);
    expect(await connectionsReceived()).toBe(received);
  });
});
