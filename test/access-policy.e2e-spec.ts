import type { AuthenticatedUser, RunAccessPolicy, RunRecord } from '../lib';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { closeAll, connectClient, emitWithAck } from './utils/socket-client';

/** Owners, and any user holding the `Runs.ReadAll` app role; records what it was shown. */
class ReadAllPolicy implements RunAccessPolicy {
  readonly seen: AuthenticatedUser[] = [];

  canSubscribe(user: AuthenticatedUser, run: RunRecord): boolean {
    this.seen.push(user);
    const roles = user.claims.roles;
    return user.userId === run.ownerId || (Array.isArray(roles) && roles.includes('Runs.ReadAll'));
  }
}

describe('access policy and the claims a connection keeps', () => {
  let idp: LocalIdentityProvider;
  const apps: LibraryApp[] = [];

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await idp?.stop();
  });

  async function start(connectionClaims?: string[]) {
    const policy = new ReadAllPolicy();
    const lib = await startLibraryApp({
      auth: idp.authOptions(),
      accessPolicy: policy,
      ...(connectionClaims ? { connectionClaims } : {}),
    });
    apps.push(lib);
    return { lib, policy };
  }

  it('a role kept by default admits a reader; a user without it gets not_found', async () => {
    const { lib, policy } = await start();
    const run = await lib.notifications.createRun(randomGuid());
    const reader = await connectClient(
      lib.url,
      await idp.issueToken({ claims: { roles: ['Runs.ReadAll'] } }),
    );
    const stranger = await connectClient(
      lib.url,
      await idp.issueToken({ claims: { roles: ['Other'] } }),
    );
    try {
      expect(await emitWithAck(reader, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
      expect(await emitWithAck(stranger, 'subscribeToRun', run.runId)).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      // By default the connection keeps oid, tid, scp and roles, nothing else of the token.
      const [seen] = policy.seen;
      expect(Object.keys(seen.claims).sort()).toEqual(['oid', 'roles', 'scp', 'tid']);
      expect(seen.claims.tid).toBe(idp.tenantId);
      expect(seen.claims.oid).toBe(seen.userId);
    } finally {
      closeAll(reader, stranger);
    }
  });

  it('connectionClaims chooses what is kept, also after refreshToken', async () => {
    const { lib, policy } = await start(['oid', 'name']);
    const oid = randomGuid();
    const run = await lib.notifications.createRun(oid);
    const socket = await connectClient(
      lib.url,
      await idp.issueToken({ oid, claims: { roles: ['Runs.ReadAll'], name: 'Ada' } }),
    );
    try {
      expect(await emitWithAck(socket, 'subscribeToRun', run.runId)).toMatchObject({ ok: true });
      expect(policy.seen[0].claims).toEqual({ oid, name: 'Ada' });
      const fresh = await idp.issueToken({ oid, claims: { name: 'Ada L.' } });
      expect(await emitWithAck(socket, 'refreshToken', { token: fresh })).toMatchObject({
        ok: true,
      });
      // A role not kept cannot admit anyone: only ownership counts here.
      const other = await lib.notifications.createRun(randomGuid());
      expect(await emitWithAck(socket, 'subscribeToRun', other.runId)).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      expect(policy.seen[1].claims).toEqual({ oid, name: 'Ada L.' });
    } finally {
      socket.close();
    }
  });
});
