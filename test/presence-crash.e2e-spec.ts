import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { startRedisServer, type RedisServerHandle } from './utils/redis-server';
import { Redis } from 'ioredis';
import { connectClient } from './utils/socket-client';
import { delay, eventually } from './utils/wait';

const FIXTURE = join(__dirname, 'fixtures', 'library-instance.js');

// Presence counts a crashed instance's connections only until their TTL runs out: nobody
// unregisters them, and nobody refreshes them any more.
describe('presence after an instance crash', () => {
  let redis: RedisServerHandle;
  let idp: LocalIdentityProvider;
  let survivor: LibraryApp;
  let child: ChildProcess | undefined;
  const presence = { heartbeatSeconds: 1, ttlSeconds: 3 };

  beforeAll(async () => {
    if (!existsSync(join(__dirname, '..', 'dist', 'lib', 'index.js'))) {
      throw new Error('dist/lib is missing: run "npm run build" first (npm test does).');
    }
    [redis, idp] = await Promise.all([startRedisServer(), LocalIdentityProvider.start()]);
    const options = {
      auth: idp.authOptions(),
      redis: { url: redis.url },
      presence,
    };
    survivor = await startLibraryApp(options);
    child = fork(FIXTURE, [], {
      env: { ...process.env, NOTIFICATIONS_OPTIONS: JSON.stringify(options) },
      stdio: 'pipe',
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await survivor?.close();
    await Promise.all([redis?.stop(), idp?.stop()]);
  });

  it("a SIGKILLed instance's connections stop counting within the TTL, and live ones keep counting", async () => {
    const { url } = await new Promise<{ url: string }>((resolve, reject) => {
      child!.once('message', (m) => resolve(m as { url: string }));
      child!.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
    });
    const oid = randomGuid();
    const token = await idp.issueToken({ oid });
    const doomed = [await connectClient(url, token), await connectClient(url, token)];
    const alive = await connectClient(survivor.url, token);
    expect(await survivor.notifications.getUserConnectionCount(oid)).toBe(3);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // Heartbeats of the survivor keep its own connection alive past several TTLs.
    while ((await survivor.notifications.getUserConnectionCount(oid)) !== 1) {
      expect(Date.now() - killedAt).toBeLessThan((presence.ttlSeconds + 1) * 1000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, presence.ttlSeconds * 1000));
    expect(await survivor.notifications.getUserConnectionCount(oid)).toBe(1);
    expect(await survivor.notifications.isUserOnline(oid)).toBe(true);
    for (const s of [...doomed, alive]) s.close();
  }, 20_000);

  it('live connections count again after Redis lost them', async () => {
    const oid = randomGuid();
    const before = await connectClient(survivor.url, await idp.issueToken({ oid }));
    expect(await survivor.notifications.getUserConnectionCount(oid)).toBe(1);
    const admin = new Redis(redis.url);
    try {
      // Redis comes back empty (a restart without persistence) and drops its clients.
      await admin.flushall();
      // Read at once: the connection's next heartbeat (once a second here) writes it back.
      expect(await survivor.notifications.getUserConnectionCount(oid)).toBe(0);
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      // Within a heartbeat interval, the instance's heartbeat writes back what it holds.
      await eventually(
        () => 'the live connection was not registered again',
        async () => (await survivor.notifications.getUserConnectionCount(oid)) === 1,
        (presence.heartbeatSeconds + 2) * 1000,
      );
      // And it keeps counting past the TTL.
      await delay(presence.ttlSeconds * 1000);
      expect(await survivor.notifications.getUserConnectionCount(oid)).toBe(1);
    } finally {
      admin.disconnect();
      before.close();
    }
  }, 20_000);
});
