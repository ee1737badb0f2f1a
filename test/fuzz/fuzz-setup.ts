import type { Socket } from 'socket.io-client';
import { seededRandom } from '../utils/fuzz-payloads';
import { LocalIdentityProvider, randomGuid, unsignedToken } from '../utils/identity-provider';
import { startLibraryApp, type LibraryApp } from '../utils/library-app';
import { FuzzGenerator } from './fuzz-generator';
import type { Attacker } from './fuzz-harness';

/** The app under fuzz, trusting `idp`. */
export function startFuzzApp(idp: LocalIdentityProvider): Promise<LibraryApp> {
  return startLibraryApp({
    auth: idp.authOptions(),
    // The message size limit stays at its default (64 KiB): that is what the oversized messages
    // test. The subscribe rate limit is lifted so that every malformed subscribe reaches the run
    // store and the access policy instead of stopping at `rate_limited` (the rate limiter has
    // its own test in gateway.e2e-spec.ts).
    limits: { subscribesPerSecond: 1_000_000 },
  });
}

/**
 * Tokens an attacker may send that are not its own: the victim's, another user's, and tokens for
 * `attackerOid` that are expired, of another tenant or audience, of an unknown key, or forged.
 */
export async function issueForeignTokens(
  idp: LocalIdentityProvider,
  victimToken: string,
  attackerOid: string,
): Promise<string[]> {
  return [
    victimToken,
    await idp.issueToken({ oid: randomGuid() }),
    await idp.issueToken({ oid: attackerOid, expiresInSeconds: -600 }),
    await idp.issueToken({ oid: attackerOid, tid: randomGuid() }),
    await idp.issueToken({ oid: attackerOid, claims: { aud: 'api://another-api' } }),
    await idp.issueToken({ oid: attackerOid, header: { kid: 'no-such-key' } }),
    await idp.issueToken({ claims: { oid: 'not-a-guid' } }),
    unsignedToken({ alg: 'none', typ: 'JWT' }, { oid: attackerOid, tid: idp.tenantId }),
  ];
}

/** An attacker, not connected yet, with its own seeded message generator. */
export function createAttacker(options: {
  index: number;
  oid: string;
  token: string;
  seed: number;
  polling: boolean;
  ownRunIds: string[];
  foreignTokens: string[];
  foreignRunIds: string[];
}): Attacker {
  const { index, oid, token, polling } = options;
  const random = seededRandom(options.seed);
  return {
    index,
    oid,
    token,
    transport: polling ? 'polling' : 'websocket',
    socket: undefined as unknown as Socket,
    random,
    generator: new FuzzGenerator(random, {
      ownToken: token,
      ownRunIds: options.ownRunIds,
      foreignTokens: options.foreignTokens,
      foreignRunIds: options.foreignRunIds,
      polling,
    }),
  };
}
