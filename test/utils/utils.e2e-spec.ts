import { connect } from 'node:net';
import Redis from 'ioredis';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { LocalIdentityProvider, randomGuid } from './identity-provider';
import { startRedisServer, type RedisServerHandle } from './redis-server';

/** Resolves true when something accepts TCP connections on the loopback port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('redis-server util', () => {
  let server: RedisServerHandle | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('starts a real redis on an ephemeral port, and stops it', async () => {
    server = await startRedisServer();
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);

    const client = new Redis(server.url, { lazyConnect: false });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      await client.quit();
    }

    await server.stop();
    await server.stop(); // idempotent
    expect(await portOpen(server.port)).toBe(false);
  });

  it('kill() ends the process abruptly', async () => {
    const crashing = await startRedisServer({ appendOnly: true });
    await crashing.kill();
    await crashing.kill(); // idempotent
    expect(await portOpen(crashing.port)).toBe(false);
  });
});

describe('LocalIdentityProvider', () => {
  let idp: LocalIdentityProvider;

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
  });

  afterAll(async () => {
    await idp.stop();
  });

  it('serves Entra-shaped v2 and v1 metadata and key sets', async () => {
    const v2 = await (
      await fetch(`${idp.authorityHost}/${idp.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json();
    expect(v2).toMatchObject({
      issuer: idp.issuerV2(),
      jwks_uri: `${idp.authorityHost}/${idp.tenantId}/discovery/v2.0/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
    });

    const keys = await (await fetch(v2.jwks_uri)).json();
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({
      kty: 'RSA',
      use: 'sig',
      kid: idp.keys[0].kid,
      x5t: idp.keys[0].kid,
      issuer: `${idp.authorityHost}/{tenantid}/v2.0`,
    });

    const v1 = await (
      await fetch(`${idp.authorityHost}/${idp.tenantId}/.well-known/openid-configuration`)
    ).json();
    expect(v1.issuer).toBe(`https://sts.windows.net/${idp.tenantId}/`);
    const v1Keys = await (await fetch(v1.jwks_uri)).json();
    expect(v1Keys.keys[0].issuer).toBe('https://sts.windows.net/{tenantid}/');
  });

  it('answers 400 for an unknown tenant and 404 for an unknown path', async () => {
    const unknownTenant = await fetch(`${idp.authorityHost}/${randomGuid()}/discovery/v2.0/keys`);
    expect(unknownTenant.status).toBe(400);
    expect((await unknownTenant.json()).error).toBe('invalid_tenant');
    const unknownPath = await fetch(`${idp.authorityHost}/${idp.tenantId}/nope`);
    expect(unknownPath.status).toBe(404);
    await unknownPath.body?.cancel();
  });

  it('issues tokens that verify against the published keys, counting key fetches', async () => {
    idp.resetCounts();
    const jwks = createRemoteJWKSet(
      new URL(`${idp.authorityHost}/${idp.tenantId}/discovery/v2.0/keys`),
    );
    const token = await idp.issueToken({ scp: 'read' });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: idp.issuerV2(),
      audience: idp.audience,
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: idp.keys[0].kid });
    expect(payload).toMatchObject({ tid: idp.tenantId, ver: '2.0', scp: 'read' });
    expect(payload.sub).not.toBe(payload.oid);
    expect(idp.requestCount('/')).toBe(1);
    expect(idp.requestCount(`/${idp.tenantId}/discovery/v2.0/keys`)).toBe(1);

    const v1 = decodeJwt(await idp.issueToken({ version: '1.0', claims: { name: undefined } }));
    expect(v1).toMatchObject({ iss: idp.issuerV1(), ver: '1.0' });
    expect(v1.appid).toBeDefined();
    expect(v1).not.toHaveProperty('name');
  });

  it('simulates an outage with setDown', async () => {
    idp.setDown(true);
    try {
      const res = await fetch(`${idp.authorityHost}/${idp.tenantId}/discovery/v2.0/keys`);
      expect(res.status).toBe(503);
      await res.body?.cancel();
    } finally {
      idp.setDown(false);
    }
  });
});
