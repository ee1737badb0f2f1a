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
import { RedisCredentialsRefresher } from '../lib/scale-out/redis-credentials';
import type { StatusUpdate, UserNotification } from '../src/protocol/messages';
import { CaptureLogger } from './utils/capture-logger';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisCluster } from './utils/redis-cluster';
import { startRedisServer } from './utils/redis-server';
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

/** Where the apps connect: a single server or a Cluster, and an admin connection to each node. */
interface Target {
  redis: { url?: string; clusterNodes?: string[]; mode?: 'classic' | 'sharded' };
  /** One URL per Redis server (one, or each Cluster node). */
  servers: string[];
  /**
   * Connections the two apps hold once started. A Cluster connects to a node when it first sends
   * it a command, so fewer are sure there.
   */
  eagerConnections: number;
  stop(): Promise<void>;
}

function describeCredentials(name: string, start: () => Promise<Target>) {
  describe(name, () => {
    let target: Target;
    let admins: Redis[] = [];
    let idp: LocalIdentityProvider;
    let apps: LibraryApp[] = [];
    const sockets: Socket[] = [];
    const source = new TokenSource();
    const logger = new CaptureLogger();

    /** Sums a figure over every server. */
    const total = async (read: (admin: Redis) => Promise<number>) =>
      (await Promise.all(admins.map(read))).reduce((a, b) => a + b, 0);
    const stat = (section: string, pattern: RegExp) =>
      total(async (admin) => Number(pattern.exec(await admin.info(section))?.[1] ?? 0));
    /** AUTH commands the servers have run. */
    const authCalls = () => stat('commandstats', /cmdstat_auth:calls=(\d+)/);
    const connectionsReceived = () => stat('stats', /total_connections_received:(\d+)/);
    /** The module's connections (not ioredis's short-lived cluster slot refreshers). */
    const appClientIds = async () =>
      (
        await Promise.all(
          admins.map(async (admin, server) =>
            ((await admin.client('LIST')) as string)
              .split('\n')
              .filter(
                (line) =>
                  / user=app /.test(line) &&
                  /name=\S*notifications:/.test(line) &&
                  !/refresher/.test(line),
              )
              .map((line) => `${server}:${/id=(\d+)/.exec(line)![1]}`),
          ),
        )
      )
        .flat()
        .sort();
    const authFailures = () =>
      total(
        async (admin) =>
          ((await admin.call('ACL', 'LOG')) as unknown[][]).filter((entry) =>
            entry.some((field, i) => entry[i - 1] === 'reason' && field === 'auth'),
          ).length,
      );

    beforeAll(async () => {
      [target, idp] = await Promise.all([start(), LocalIdentityProvider.start()]);
      for (const url of target.servers) {
        const setup = new Redis(url);
        await setup.call('ACL', 'SETUSER', 'admin', 'on', '>admin-secret', '~*', '&*', '+@all');
        await setup.call('ACL', 'SETUSER', 'app', 'on', `>${source.password}`, '~*', '&*', '+@all');
        await setup.call('ACL', 'SETUSER', 'default', 'off');
        setup.disconnect();
        admins.push(new Redis(url, { username: 'admin', password: 'admin-secret' }));
      }
      const options = {
        auth: idp.authOptions(),
        redis: { ...target.redis, credentials: source.provide },
      };
      for (let i = 0; i < 2; i++) apps.push(await startLibraryApp(options, { logger }));
    }, 60_000);
    afterAll(async () => {
      closeAll(...sockets);
      await Promise.all(apps.map((app) => app.close()));
      apps = [];
      for (const admin of admins) admin.disconnect();
      admins = [];
      await target?.stop();
      await idp?.stop();
    });

    /** A notification from instance 0 and a run update from instance 0, both seen on instance 1. */
    async function expectScaleOutWorks(timeoutMs = 10_000): Promise<void> {
      const oid = randomGuid();
      const socket = await connectClient(apps[1].url, await idp.issueToken({ oid }));
      sockets.push(socket);
      const notes = record<UserNotification>(socket, 'notification');
      const updates = record<StatusUpdate>(socket, 'statusUpdate');
      const run = await apps[0].notifications.createRun(oid);
      expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
      await apps[0].notifications.publishRunUpdate(run.runId, { status: 'running' });
      apps[0].notifications.sendToUser(oid, 'credentials.check', {});
      try {
        await waitUntil(socket, () => notes.length === 1 && updates.length === 1, timeoutMs);
      } finally {
        socket.close();
      }
    }

    it('connects with the provider’s credentials (the default user is off)', async () => {
      expect(source.calls).toBeGreaterThanOrEqual(2); // once per instance at startup
      await eventually(
        () => `${target.eagerConnections} connections as the app's user`,
        async () => (await appClientIds()).length >= target.eagerConnections,
      );
      await expectScaleOutWorks();
    });

    it('re-authenticates live connections in place before the credentials expire', async () => {
      for (const admin of admins) await admin.call('ACL', 'SETUSER', 'app', '>token-2');
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
      // No connection was replaced (a Cluster may have opened more).
      expect(await appClientIds()).toEqual(expect.arrayContaining(idsBefore));
      await expectScaleOutWorks();
    });

    it('reconnects with the renewed credentials once the old ones are refused', async () => {
      // The first token is now refused, and every connection is dropped (as Azure closes a
      // connection whose token expired): they must come back with the second one.
      for (const admin of admins) await admin.call('ACL', 'SETUSER', 'app', '<token-1');
      const failuresBefore = await authFailures();
      for (const admin of admins) await admin.client('KILL', 'USER', 'app');
      await eventually(
        () => 'every connection back',
        async () => (await appClientIds()).length >= target.eagerConnections,
        15_000,
      );
      // A Cluster finds its slots again before its commands go through.
      await eventually(
        () => 'a notification and a run update across instances',
        () =>
          expectScaleOutWorks(2_000).then(
            () => true,
            () => false,
          ),
        15_000,
      );
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
        startLibraryApp({
          auth: idp.authOptions(),
          redis: { ...target.redis, credentials: failing },
        }),
      ).rejects.toThrow(/redis\.credentials failed at startup: no managed identity here/);
      await expect(
        startLibraryApp({
          auth: idp.authOptions(),
          redis: { ...target.redis, credentials: async () => ({ password: '' }) },
        }),
      ).rejects.toThrow(/redis\.credentials must resolve to/);
      // Nothing connected meanwhile, without credentials or with any.
      await delay(300);
      expect(await connectionsReceived()).toBe(received);
    });
  });
}

describeCredentials('redis.credentials: one Redis server', async () => {
  const server = await startRedisServer();
  return {
    // A key left in the URL: the provider's credentials win over it.
    redis: { url: server.url.replace('redis://', 'redis://app:stale-key@') },
    servers: [server.url],
    eagerConnections: 6, // command, publisher and subscriber of each app
    stop: () => server.stop(),
  };
});
describeCredentials('redis.credentials: a Redis Cluster, classic mode', async () => {
  const cluster = await startRedisCluster();
  return {
    redis: { clusterNodes: cluster.urls, mode: 'classic' },
    servers: cluster.urls,
    eagerConnections: 2, // each app's subscriber
    stop: () => cluster.stop(),
  };
});
describeCredentials('redis.credentials: a Redis Cluster, sharded mode', async () => {
  const cluster = await startRedisCluster();
  return {
    redis: { clusterNodes: cluster.urls, mode: 'sharded' },
    servers: cluster.urls,
    eagerConnections: 2, // each app's sharded subscriber
    stop: () => cluster.stop(),
  };
});

/**
 * A renewal while a connection is still in its handshake: the handshake sent the old credentials,
 * so the connection authenticates again once it is ready (without it, it would keep the old ones
 * until Redis drops it at their expiry). `CLIENT PAUSE` holds the handshake open.
 */
describe('redis.credentials: a renewal during a handshake', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let admin: Redis;
  let user: string;
  let refresher: RedisCredentialsRefresher;
  let client: Redis;

  beforeEach(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    for (const name of ['app-1', 'app-2'])
      await admin.call('ACL', 'SETUSER', name, 'on', `>${name}-token`, '~*', '&*', '+@all');
    user = 'app-1';
    refresher = await RedisCredentialsRefresher.start(() => ({
      username: user,
      password: `${user}-token`,
    }));
    client = new Redis(server.url, { ...refresher.current, lazyConnect: true });
  });
  afterEach(async () => {
    refresher.stop();
    client.disconnect();
    admin.disconnect();
    await server.stop();
  });

  /** Starts the handshake (`connect`), and renews to app-2 while Redis holds it. */
  async function renewDuringHandshake(connect: () => Promise<unknown>): Promise<void> {
    // Long enough for the renewal to come while the handshake waits, even on a busy machine.
    await admin.client('PAUSE', 2000, 'ALL');
    const connected = connect();
    await eventually(
      () => `handshake under way (${client.status})`,
      () => client.status === 'connect',
    );
    user = 'app-2';
    expect(await refresher.refresh()).toBe(true);
    await connected;
  }

  it('authenticates the connection with the new credentials once it is ready', async () => {
    refresher.track(client);
    await renewDuringHandshake(() => client.connect());
    await eventually(
      () => 'the connection on the new credentials',
      async () => (await client.call('ACL', 'WHOAMI')) === 'app-2',
    );
  });

  it('sends no AUTH to a subscriber, whose subscriptions go first once it is ready', async () => {
    const rejectedAuth = async () =>
      Number(
        /cmdstat_auth:.*rejected_calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0,
      );
    refresher.track(client, { subscriber: true });
    const received: string[] = [];
    client.on('message', (_channel: string, message: string) => received.push(message));
    await renewDuringHandshake(() => client.subscribe('renewal-check'));
    await admin.publish('renewal-check', 'after');
    await eventually(
      () => `received ${JSON.stringify(received)}`,
      () => received.includes('after'),
    );
    // Its next connection takes the new credentials.
    expect(client.options).toMatchObject({ username: 'app-2', password: 'app-2-token' });
    await delay(100);
    expect(await rejectedAuth()).toBe(0);
  });
});
