import { Logger } from '@nestjs/common';
import { LocalIdentityProvider, randomGuid } from '../../test/utils/identity-provider';
import type { NotificationsAuthOptions } from '../options/notifications-options.interface';
import { resolveOptions } from '../options/resolve-options';
import {
  EntraSigningKeyProvider,
  type EntraSigningKeyProviderOptions,
} from './entra-signing-key.provider';
import { EntraTokenVerifier } from './entra-token.verifier';

describe('EntraSigningKeyProvider', () => {
  let idp: LocalIdentityProvider;
  let warn: jest.SpyInstance;

  /** Requests to the key sets (v1 and v2) of the default tenant. */
  const keyFetches = () => idp.requestCount(`/${idp.tenantId}/discovery/`);
  /** Requests to the OpenID metadata of the default tenant (v2). */
  const metadataFetches = () => idp.requestCount(`/${idp.tenantId}/v2.0/.well-known/`);

  const makeProvider = (options: Partial<EntraSigningKeyProviderOptions> = {}) =>
    new EntraSigningKeyProvider({
      authorityHost: idp.authorityHost,
      keysRefreshSeconds: 3600,
      unknownKidCooldownSeconds: 60,
      fetchTimeoutMs: 2000,
      ...options,
    });

  const makeVerifier = (auth: Partial<NotificationsAuthOptions> = {}) =>
    new EntraTokenVerifier(
      resolveOptions({
        auth: {
          authorityHost: idp.authorityHost,
          tenants: [idp.tenantId],
          audiences: [idp.audience],
          ...auth,
        },
      }),
    );

  /** Awaits the provider's fetches in flight (background refreshes are not otherwise observable). */
  const settled = async (provider: EntraSigningKeyProvider) => {
    const cache = (provider as unknown as { cache: Map<string, { inflight?: Promise<unknown> }> })
      .cache;
    await Promise.all([...cache.values()].map((entry) => entry.inflight?.catch(() => undefined)));
  };

  /** Moves the provider's clock (it reads Date.now) forward; jose's checks use `new Date()`. */
  // Cumulative: each call moves the provider's clock further from the real one.
  const realNow = Date.now.bind(Date);
  let offset = 0;
  const advanceClock = (ms: number) => {
    offset += ms;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
  };

  beforeAll(async () => {
    idp = await LocalIdentityProvider.start();
  });

  beforeEach(() => {
    idp.setDown(false);
    idp.resetCounts();
    // Fetch failures are logged as warnings; capture them (and keep the output quiet).
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    offset = 0;
    idp.setDown(false);
  });

  afterAll(async () => {
    await idp.stop();
  });

  it("discovers each version's issuer and key set from the tenant's OpenID metadata", async () => {
    const provider = makeProvider();
    const v2 = await provider.getSigningKeys(idp.tenantId, '2.0');
    const v1 = await provider.getSigningKeys(idp.tenantId, '1.0');
    expect(v2.issuer).toBe(idp.issuerV2());
    expect(v1.issuer).toBe(idp.issuerV1());
    expect(v2.keys.map((k) => k.kid)).toEqual(idp.keys.map((k) => k.kid));
    expect(v1.keys.map((k) => k.kid)).toEqual(idp.keys.map((k) => k.kid));
    // Cached: asking again costs nothing.
    idp.resetCounts();
    await provider.getSigningKeys(idp.tenantId, '2.0');
    await provider.getSigningKeys(idp.tenantId, '1.0');
    expect(idp.requestCount()).toBe(0);
  });

  it('picks up a rotated key with one forced refresh', async () => {
    const verifier = makeVerifier();
    await verifier.verify(await idp.issueToken());
    const rotated = await idp.addKey();
    try {
      idp.resetCounts();
      const token = await idp.issueToken({ key: rotated });
      await expect(verifier.verify(token)).resolves.toBeDefined();
      expect(keyFetches()).toBe(1);
      // Now cached: no further fetch.
      await expect(verifier.verify(await idp.issueToken({ key: rotated }))).resolves.toBeDefined();
      expect(keyFetches()).toBe(1);
    } finally {
      idp.removeKey(rotated.kid);
    }
  });

  it('collapses 100 concurrent verifications with an unknown kid into one key fetch', async () => {
    const verifier = makeVerifier({ unknownKidCooldownSeconds: 60 });
    await verifier.verify(await idp.issueToken());
    const token = await idp.issueToken({ header: { kid: 'unknown-kid' } });
    idp.resetCounts();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => verifier.verify(token)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'token_invalid' });
    }
    expect(keyFetches()).toBe(1);
  });

  it('does not stampede on a cold cache either (one fetch, at most one re-fetch)', async () => {
    const verifier = makeVerifier({ unknownKidCooldownSeconds: 60 });
    const token = await idp.issueToken({ header: { kid: 'unknown-kid' } });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => verifier.verify(token)),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    // The first fetch fills the cache; the unknown kid then costs one forced re-fetch.
    expect(keyFetches()).toBeLessThanOrEqual(2);
    expect(metadataFetches()).toBe(keyFetches());
  });

  it('does not fetch for a second unknown kid within the cooldown, and does after it', async () => {
    const verifier = makeVerifier({ unknownKidCooldownSeconds: 60 });
    await verifier.verify(await idp.issueToken());
    idp.resetCounts();
    const first = await idp.issueToken({ header: { kid: 'unknown-1' } });
    await expect(verifier.verify(first)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(keyFetches()).toBe(1);

    idp.resetCounts();
    const second = await idp.issueToken({ header: { kid: 'unknown-2' } });
    await expect(verifier.verify(second)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(idp.requestCount()).toBe(0);

    // A key published within the cooldown is only seen once the cooldown has passed.
    const rotated = await idp.addKey();
    try {
      const token = await idp.issueToken({ key: rotated }); // minted before the clock moves
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
      expect(idp.requestCount()).toBe(0);
      advanceClock(61_000);
      await expect(verifier.verify(token)).resolves.toBeDefined();
      expect(keyFetches()).toBe(1);
    } finally {
      idp.removeKey(rotated.kid);
    }
  });

  it('keeps verifying with the last good keys when the IdP is down and the cache is stale', async () => {
    const provider = makeProvider({ keysRefreshSeconds: 1 });
    const verifier = makeVerifier({ keysRefreshSeconds: 1, signingKeys: provider });
    const token = await idp.issueToken();
    const unknownKid = await idp.issueToken({ header: { kid: 'unknown-kid' } });
    await verifier.verify(token);

    idp.setDown(true);
    idp.resetCounts();
    // The cache (keysRefreshSeconds: 1) goes stale: move the provider's clock instead of sleeping.
    advanceClock(1500);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await settled(provider);
    expect(metadataFetches()).toBe(1); // a background refresh was tried, and failed (503)
    expect(warn).toHaveBeenCalled();

    // Still stale, still down: the last good key set keeps serving, also after failed refreshes.
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await expect(verifier.verify(unknownKid)).rejects.toMatchObject({ code: 'token_invalid' });
    await settled(provider);

    // No token or token fragment in the outage logs (rule 9).
    const logged = warn.mock.calls.flat().join('\n');
    for (const part of token.split('.')) expect(logged).not.toContain(part);

    // Within failureRetryMs of a failed attempt, no new background fetch is started.
    idp.resetCounts();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await settled(provider);
    expect(idp.requestCount()).toBe(0);

    // Back up, and past the retry interval: the next use refreshes in the background.
    idp.setDown(false);
    advanceClock(2500);
    idp.resetCounts();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await settled(provider);
    expect(keyFetches()).toBe(1);
    idp.resetCounts();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(idp.requestCount()).toBe(0);
  });

  it('answers auth_unavailable when the IdP is down at first use, then recovers in place', async () => {
    const provider = makeProvider({ failureRetryMs: 0 });
    const verifier = makeVerifier({ signingKeys: provider });
    const token = await idp.issueToken();

    idp.setDown(true);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'auth_unavailable' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'auth_unavailable' });

    idp.setDown(false);
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('does not retry within failureRetryMs after a failed first fetch', async () => {
    const provider = makeProvider({ failureRetryMs: 60_000 });
    const verifier = makeVerifier({ signingKeys: provider });
    const token = await idp.issueToken(); // minted before the clock moves

    idp.setDown(true);
    const concurrent = await Promise.allSettled(
      Array.from({ length: 20 }, () => verifier.verify(token)),
    );
    for (const result of concurrent) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'auth_unavailable' });
    }
    expect(metadataFetches()).toBe(1); // one collapsed attempt

    idp.setDown(false);
    idp.resetCounts();
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'auth_unavailable' });
    expect(idp.requestCount()).toBe(0); // the failure is remembered

    advanceClock(60_001);
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('applies the default failureRetryMs (2 s) when built from the module options', async () => {
    const verifier = makeVerifier();
    const token = await idp.issueToken();
    idp.setDown(true);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'auth_unavailable' });
    idp.setDown(false);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'auth_unavailable' });
    advanceClock(2001);
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('stops accepting a removed key after a forced refresh', async () => {
    const verifier = makeVerifier({ unknownKidCooldownSeconds: 0 });
    const retired = await idp.addKey();
    const token = await idp.issueToken({ key: retired });
    await expect(verifier.verify(token)).resolves.toBeDefined();

    idp.removeKey(retired.kid);
    // Until the key set is fetched again, the cached key still verifies.
    await expect(verifier.verify(token)).resolves.toBeDefined();

    idp.resetCounts();
    const unknownKid = await idp.issueToken({ header: { kid: 'unknown-kid' } });
    await expect(verifier.verify(unknownKid)).rejects.toMatchObject({ code: 'token_invalid' });
    expect(keyFetches()).toBe(1);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_invalid' });
    // The default key is unaffected.
    await expect(verifier.verify(await idp.issueToken())).resolves.toBeDefined();
  });

  it('keeps tenants and versions apart', async () => {
    const other = randomGuid();
    const multi = await LocalIdentityProvider.start({ tenants: [randomGuid(), other] });
    try {
      const provider = new EntraSigningKeyProvider({
        authorityHost: multi.authorityHost,
        keysRefreshSeconds: 3600,
        unknownKidCooldownSeconds: 60,
        fetchTimeoutMs: 2000,
      });
      const a = await provider.getSigningKeys(multi.tenantId, '2.0');
      const b = await provider.getSigningKeys(other, '2.0');
      const b1 = await provider.getSigningKeys(other, '1.0');
      expect([a.issuer, b.issuer, b1.issuer]).toEqual([
        multi.issuerV2(),
        multi.issuerV2(other),
        multi.issuerV1(other),
      ]);
      expect(multi.requestCount(`/${multi.tenantId}/`)).toBe(2);
      expect(multi.requestCount(`/${other}/`)).toBe(4);
    } finally {
      await multi.stop();
    }
  });
});
