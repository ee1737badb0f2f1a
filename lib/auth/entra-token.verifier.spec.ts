import { createPublicKey } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { decodeJwt, generateKeyPair } from 'jose';
import {
  LocalIdentityProvider,
  randomGuid,
  signRaw,
  unsignedToken,
} from '../../test/utils/identity-provider';
import type { NotificationsAuthOptions } from '../options/notifications-options.interface';
import { resolveOptions } from '../options/resolve-options';
import { EntraTokenVerifier } from './entra-token.verifier';
import { Authenticator } from './authenticator.service';
import { OBJECT_ID_CLAIM, OidUserResolver } from './oid-user.resolver';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('EntraTokenVerifier', () => {
  let idp: LocalIdentityProvider;
  /** A second tenant known to the IdP, allowed only by the verifiers that say so. */
  let otherTenant: string;
  /** Cooldown 0: tests that publish a new key are picked up by the unknown-kid re-fetch at once. */
  let verifier: EntraTokenVerifier;

  const makeVerifier = (auth: Partial<NotificationsAuthOptions> = {}) =>
    new EntraTokenVerifier(
      resolveOptions({
        auth: {
          authorityHost: idp.authorityHost,
          tenants: [idp.tenantId],
          audiences: [idp.audience],
          unknownKidCooldownSeconds: 0,
          ...auth,
        },
      }),
    );

  /** The claims of a valid v2 token, to re-sign under other headers or keys. */
  const validPayload = async () => decodeJwt(await idp.issueToken()) as Record<string, unknown>;

  beforeAll(async () => {
    otherTenant = randomGuid();
    idp = await LocalIdentityProvider.start({ tenants: [randomGuid(), otherTenant] });
    verifier = makeVerifier();
    // Warm the cache, so the refusals below are refusals and not first-fetch failures.
    await verifier.verify(await idp.issueToken());
    // Fetch failures are logged by the key provider; keep the test output quiet.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await idp.stop();
  });

  describe('accepts', () => {
    it('a valid v2 access token', async () => {
      const oid = randomGuid();
      const token = await idp.issueToken({ oid });
      const { claims, expiresAt } = await verifier.verify(token);
      expect(claims).toMatchObject({ oid, tid: idp.tenantId, ver: '2.0', aud: idp.audience });
      expect(expiresAt).toBe((claims.exp as number) * 1000);
    });

    it('a valid v1 access token, keeping the long objectidentifier claim', async () => {
      const oid = randomGuid();
      const token = await idp.issueToken({
        version: '1.0',
        oid,
        claims: { [OBJECT_ID_CLAIM]: oid },
      });
      const { claims } = await verifier.verify(token);
      expect(claims).toMatchObject({ oid, ver: '1.0', iss: idp.issuerV1() });
      expect(claims[OBJECT_ID_CLAIM]).toBe(oid);
    });

    it('a token of a second allowed tenant', async () => {
      const v = makeVerifier({ tenants: [idp.tenantId, otherTenant] });
      const token = await idp.issueToken({ tid: otherTenant });
      await expect(v.verify(token)).resolves.toMatchObject({ claims: { tid: otherTenant } });
    });
  });

  describe('lifetime', () => {
    it('refuses an expired token with token_expired', async () => {
      const token = await idp.issueToken({ expiresInSeconds: -3600 });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_expired' });
    });

    it('accepts a token expired 30 s ago with a 60 s clock tolerance', async () => {
      const v = makeVerifier({ clockToleranceSeconds: 60 });
      await expect(
        v.verify(await idp.issueToken({ expiresInSeconds: -30 })),
      ).resolves.toBeDefined();
    });

    it('refuses a token expired 90 s ago with a 60 s clock tolerance', async () => {
      const v = makeVerifier({ clockToleranceSeconds: 60 });
      const token = await idp.issueToken({ expiresInSeconds: -90 });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_expired' });
    });

    it('accepts nbf 30 s in the future (within tolerance)', async () => {
      const nbf = Math.floor(Date.now() / 1000) + 30;
      await expect(
        verifier.verify(await idp.issueToken({ claims: { nbf } })),
      ).resolves.toBeDefined();
    });

    it('refuses nbf beyond the clock tolerance', async () => {
      const nbf = Math.floor(Date.now() / 1000) + 300;
      const token = await idp.issueToken({ claims: { nbf } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it.each(['exp', 'iat', 'nbf'])('refuses a token whose %s is a string', async (claim) => {
      const token = await idp.issueToken({ claims: { [claim]: '4102444800' } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it.each(['exp', 'iat', 'nbf'])('refuses a token without %s', async (claim) => {
      const token = await idp.issueToken({ claims: { [claim]: undefined } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('audience (compared exactly)', () => {
    it.each([
      ['another API', () => `api://${randomGuid()}`],
      ["Microsoft Graph's app id", () => GRAPH_APP_ID],
      ["Microsoft Graph's URI", () => 'https://graph.microsoft.com'],
      ['a trailing slash', () => `${idp.audience}/`],
      ['another case', () => idp.audience.toUpperCase()],
    ])('refuses %s', async (_, aud) => {
      const token = await idp.issueToken({ claims: { aud: aud() } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses api://<clientId> when only the bare client id is configured', async () => {
      const v = makeVerifier({ audiences: [idp.clientId] });
      await expect(
        v.verify(await idp.issueToken({ claims: { aud: idp.clientId } })),
      ).resolves.toBeDefined();
      const token = await idp.issueToken({ claims: { aud: `api://${idp.clientId}` } });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('accepts an aud array holding the audience, refuses one without it', async () => {
      const ok = await idp.issueToken({ claims: { aud: [GRAPH_APP_ID, idp.audience] } });
      await expect(verifier.verify(ok)).resolves.toBeDefined();
      const token = await idp.issueToken({
        claims: { aud: [GRAPH_APP_ID, { aud: idp.audience }] },
      });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a token without aud', async () => {
      const token = await idp.issueToken({ claims: { aud: undefined } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('issuer', () => {
    it("refuses another tenant's issuer", async () => {
      const token = await idp.issueToken({ claims: { iss: idp.issuerV2(randomGuid()) } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses the v1 issuer on a v2 token', async () => {
      const token = await idp.issueToken({ claims: { iss: idp.issuerV1() } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses the v2 issuer on a v1 token', async () => {
      const token = await idp.issueToken({ version: '1.0', claims: { iss: idp.issuerV2() } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses http instead of https (v1 issuer)', async () => {
      const iss = `http://sts.windows.net/${idp.tenantId}/`;
      const token = await idp.issueToken({ version: '1.0', claims: { iss } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a v2 issuer with a trailing slash', async () => {
      const token = await idp.issueToken({ claims: { iss: `${idp.issuerV2()}/` } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it("refuses an issuer whose tenant is not the token's tid (both tenants allowed)", async () => {
      const v = makeVerifier({ tenants: [idp.tenantId, otherTenant] });
      const token = await idp.issueToken({ tid: otherTenant, claims: { iss: idp.issuerV2() } });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a token without iss', async () => {
      const token = await idp.issueToken({ claims: { iss: undefined } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('tenant', () => {
    it('refuses a tenant outside the allow-list before any key fetch', async () => {
      const v = makeVerifier();
      const before = idp.requestCount();
      for (const tid of [randomGuid(), otherTenant]) {
        const token = await idp.issueToken({ tid });
        await expect(v.verify(token)).rejects.toMatchObject({ code: 'tenant_not_allowed' });
      }
      expect(idp.requestCount()).toBe(before);
    });

    it('refuses a token without tid', async () => {
      const token = await idp.issueToken({ claims: { tid: undefined } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a non-GUID tid', async () => {
      const token = await idp.issueToken({ tid: 'contoso.onmicrosoft.com' });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('oid', () => {
    it('refuses a non-GUID oid', async () => {
      const token = await idp.issueToken({ oid: 'not-a-guid' });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    // A token without any object id is refused with the protocol's user_id_missing: the verifier
    // leaves the user id to the resolver (which may be the app's), the Authenticator reports it.
    it('a token without oid (or the long claim) is refused with user_id_missing', async () => {
      const token = await idp.issueToken({ claims: { oid: undefined } });
      const authenticator = new Authenticator(verifier, new OidUserResolver());
      await expect(authenticator.authenticate(token)).rejects.toMatchObject({
        code: 'user_id_missing',
      });
    });

    it('a token carrying only the long objectidentifier claim (a GUID) names the user by it', async () => {
      const oid = randomGuid();
      const token = await idp.issueToken({ claims: { oid: undefined, [OBJECT_ID_CLAIM]: oid } });
      const authenticator = new Authenticator(verifier, new OidUserResolver());
      await expect(authenticator.authenticate(token)).resolves.toMatchObject({ userId: oid });
    });

    // Without oid, OidUserResolver falls back to the long claim: it must be a GUID as well.
    it('refuses a token without oid whose long objectidentifier claim is not a GUID', async () => {
      const token = await idp.issueToken({
        claims: { oid: undefined, [OBJECT_ID_CLAIM]: 'someone-else' },
      });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('signature and key', () => {
    it('refuses an unknown kid', async () => {
      const token = await idp.issueToken({ header: { kid: 'no-such-kid' } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it.each([
      ['no kid', undefined],
      ['an empty kid', ''],
    ])('refuses a token with %s', async (_, kid) => {
      const token = await idp.issueToken({ header: { kid } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a tampered payload', async () => {
      const token = await idp.issueToken();
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const tampered = `${header}.${b64url({ ...claims, oid: randomGuid() })}.${signature}`;
      await expect(verifier.verify(tampered)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a signature from another key under the same kid', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const header = { alg: 'RS256', typ: 'JWT', kid: idp.keys[0].kid };
      const token = await signRaw(header, await validPayload(), privateKey);
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses alg: none', async () => {
      const token = unsignedToken(
        { alg: 'none', typ: 'JWT', kid: idp.keys[0].kid },
        await validPayload(),
      );
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it("refuses HS256 signed with the public key's bytes", async () => {
      const { kty, n, e } = idp.keys[0].publicJwk;
      const pem = createPublicKey({ key: { kty, n, e } as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const before = idp.requestCount();
      for (const secret of [pem, JSON.stringify(idp.keys[0].publicJwk)]) {
        const header = { alg: 'HS256', typ: 'JWT', kid: idp.keys[0].kid };
        const token = await signRaw(header, await validPayload(), new TextEncoder().encode(secret));
        await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      }
      expect(idp.requestCount()).toBe(before);
    });

    it.each(['RS512', 'PS256', 'ES256'])('refuses %s (own key pair)', async (alg) => {
      const { privateKey } = await generateKeyPair(alg);
      const token = await signRaw(
        { alg, typ: 'JWT', kid: idp.keys[0].kid },
        await validPayload(),
        privateKey,
      );
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it.each(['RS384', 'RS512', 'PS256'])(
      "refuses %s even with the IdP's genuine key",
      async (alg) => {
        const key = idp.keys[0];
        const token = await signRaw(
          { alg, typ: 'JWT', kid: key.kid },
          await validPayload(),
          key.privateKey,
        );
        await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      },
    );

    it('refuses a token signed by a published RSA key shorter than 2048 bits', async () => {
      const good = await idp.addKey();
      const weak = await idp.addKey({ modulusLength: 1024 });
      try {
        // Both keys arrive in the same key set: only the modulus length differs.
        await expect(verifier.verify(await idp.issueToken({ key: good }))).resolves.toBeDefined();
        const token = await idp.issueToken({ key: weak });
        await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      } finally {
        idp.removeKey(good.kid);
        idp.removeKey(weak.kid);
      }
    });

    it('refuses a truncated or padded signature', async () => {
      const token = await idp.issueToken();
      const [header, payload, signature] = token.split('.');
      const bytes = Buffer.from(signature, 'base64url');
      for (const sig of [bytes.subarray(1), Buffer.concat([Buffer.alloc(1), bytes])]) {
        const forged = `${header}.${payload}.${sig.toString('base64url')}`;
        await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'token_invalid' });
      }
    });

    it('refuses a token that declares a critical header extension', async () => {
      const key = idp.keys[0];
      const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, crit: ['exp'], exp: 1 };
      const token = await signRaw(header, await validPayload(), key.privateKey);
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it("refuses a key whose issuer property does not match the token's issuer", async () => {
      const good = await idp.addKey();
      const evil = await idp.addKey({ issuer: 'https://evil.example/{tenantid}/v2.0' });
      try {
        // Both keys arrive in the same (forced) key set fetch; only the issuer property differs.
        await expect(verifier.verify(await idp.issueToken({ key: good }))).resolves.toBeDefined();
        const token = await idp.issueToken({ key: evil });
        await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      } finally {
        idp.removeKey(good.kid);
        idp.removeKey(evil.kid);
      }
    });
  });

  describe('token kind', () => {
    it('refuses an app-only token (idtyp=app, no scp)', async () => {
      const token = await idp.issueToken({
        claims: { idtyp: 'app', scp: undefined, roles: ['Notifications.Send'] },
      });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'app_token_not_allowed' });
    });

    it('refuses an app-only token without idtyp (no scp, oid === sub)', async () => {
      const oid = randomGuid();
      const token = await idp.issueToken({ oid, claims: { scp: undefined, sub: oid } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'app_token_not_allowed' });
    });

    it('accepts both app-only shapes with allowAppTokens: true', async () => {
      const v = makeVerifier({ allowAppTokens: true });
      const oid = randomGuid();
      const withIdtyp = await idp.issueToken({ claims: { idtyp: 'app', scp: undefined } });
      const oidIsSub = await idp.issueToken({ oid, claims: { scp: undefined, sub: oid } });
      await expect(v.verify(withIdtyp)).resolves.toMatchObject({ claims: { idtyp: 'app' } });
      await expect(v.verify(oidIsSub)).resolves.toMatchObject({ claims: { oid, sub: oid } });
    });

    it('refuses an ID token for the same client (aud = client id, no scp, nonce)', async () => {
      const v = makeVerifier({ audiences: [idp.audience, idp.clientId] });
      const token = await idp.issueToken({
        claims: { aud: idp.clientId, scp: undefined, nonce: 'n-0S6_WzA2Mj', azp: undefined },
      });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a token version that is not accepted', async () => {
      const v = makeVerifier({ tokenVersions: ['2.0'] });
      await expect(v.verify(await idp.issueToken())).resolves.toBeDefined();
      const token = await idp.issueToken({ version: '1.0' });
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it.each([
      ['no ver', undefined],
      ['an unknown ver', '3.0'],
    ])('refuses a token with %s', async (_, ver) => {
      const token = await idp.issueToken({ claims: { ver } });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });

  describe('malformed tokens (refused before any fetch)', () => {
    let before: number;
    beforeEach(() => {
      before = idp.requestCount();
    });
    afterEach(() => {
      expect(idp.requestCount()).toBe(before);
    });

    it('refuses an empty string with token_missing', async () => {
      await expect(verifier.verify('')).rejects.toMatchObject({ code: 'token_missing' });
      await expect(verifier.verify(undefined as never)).rejects.toMatchObject({
        code: 'token_missing',
      });
    });

    it.each([
      ['one part', () => 'abc'],
      ['two parts', () => 'abc.def'],
      ['four parts', () => 'a.b.c.d'],
      ['bad base64url in the header', () => '!!!.e30.c2ln'],
      ['a header that is not JSON', () => `${b64url('not json')}.${b64url({ a: 1 })}.c2ln`],
      [
        'a payload that is not JSON',
        () => `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url('{oops')}.c2ln`,
      ],
      ['a payload that is bad base64url', () => `${b64url({ alg: 'RS256', kid: 'k' })}.@@@.c2ln`],
    ])('refuses %s with token_invalid', async (_, make) => {
      await expect(verifier.verify(make())).rejects.toMatchObject({ code: 'token_invalid' });
    });

    it('refuses a token over maxTokenBytes', async () => {
      const v = makeVerifier();
      const token = await idp.issueToken({ claims: { padding: 'x'.repeat(17 * 1024) } });
      expect(Buffer.byteLength(token)).toBeGreaterThan(16384);
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      // And a configured, smaller limit applies too.
      const small = makeVerifier({ maxTokenBytes: 512 });
      const normal = await idp.issueToken();
      expect(Buffer.byteLength(normal)).toBeGreaterThan(512);
      await expect(small.verify(normal)).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });
});
