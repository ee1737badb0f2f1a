import type { SampleConfig } from '../../sample/config';
import { LocalIdentityProvider, randomGuid } from './identity-provider';
import { startSampleInstance, testConfig, type SampleInstance } from './sample-instance';

/**
 * Two sample instances on one Redis, with Entra ID tokens from a local identity provider: the
 * scale-out topology the core scenarios run on. The caller owns the Redis.
 */
export interface EntraPair {
  idp: LocalIdentityProvider;
  instances: SampleInstance[];
  /** A token for a named test user, whose oid stays the same for the pair's life. */
  tokenFor(name: string): Promise<{ token: string; userId: string }>;
  close(): Promise<void>;
}

/** Starts the identity provider and both instances; what started is stopped if the rest fails. */
export async function startEntraPair(
  redisUrl: string,
  overrides: Partial<SampleConfig> = {},
): Promise<EntraPair> {
  const idp = await LocalIdentityProvider.start();
  const config = testConfig({
    authMode: 'entra',
    tenants: [idp.tenantId],
    audiences: [idp.audience],
    authorityHost: idp.authorityHost,
    redisUrl,
    ...overrides,
  });
  const started = await Promise.allSettled([
    startSampleInstance(config),
    startSampleInstance(config),
  ]);
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(instances.map((i) => i.close()));
    await idp.stop();
    throw failed.reason;
  }
  const oids = new Map<string, string>();
  return {
    idp,
    instances,
    async tokenFor(name) {
      if (!oids.has(name)) oids.set(name, randomGuid());
      const oid = oids.get(name)!;
      return { token: await idp.issueToken({ oid }), userId: oid };
    },
    async close() {
      await Promise.all(instances.map((i) => i.close()));
      await idp.stop();
    },
  };
}
