import { exportJWK, exportSPKI, generateKeyPair, importJWK, type KeyLike } from 'jose';
import { randomGuid, signRaw, unsignedToken } from '../utils/identity-provider';
import { asBearer, b64url, type Refusal } from './matrix-cases';

/** Refusals for forged signatures, substituted algorithms and keys the verifier must not trust. */

export const keyRefusals: Refusal[] = [
  // ── signature, algorithm and key ─────────────────────────────────────────────────────────
  {
    name: 'unknown kid',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ header: { kid: 'no-such-key-id' } })),
  },
  {
    name: 'no kid',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ header: { kid: undefined } })),
  },
  {
    name: 'empty kid',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ header: { kid: '' } })),
  },
  {
    name: 'payload tampered (oid changed, signature kept)',
    code: 'token_invalid',
    input: async ({ remember, validParts }) => {
      const { payload, token } = await validParts();
      const [h, , s] = token.split('.');
      const forged = b64url(JSON.stringify({ ...payload, oid: randomGuid() }));
      return asBearer(remember(`${h}.${forged}.${s}`));
    },
  },
  {
    name: 'signed by another RSA key under the published kid',
    code: 'token_invalid',
    input: async ({ remember, validParts, attackerRsa }) => {
      const { header, payload } = await validParts();
      return asBearer(remember(await signRaw(header, payload, attackerRsa)));
    },
  },
  {
    name: 'signed by an attacker key embedded in the header (jwk)',
    code: 'token_invalid',
    input: async ({ remember, validParts }) => {
      const pair = await generateKeyPair('RS256', { extractable: true });
      const jwk = await exportJWK(pair.publicKey);
      const { header, payload } = await validParts();
      return asBearer(remember(await signRaw({ ...header, jwk }, payload, pair.privateKey)));
    },
  },
  {
    name: 'signed by the key whose issuer property does not match (evil.example)',
    code: 'token_invalid',
    input: async ({ mint, evilKey }) => asBearer(await mint({ key: evilKey })),
  },
  {
    name: "alg 'none', empty signature",
    code: 'token_invalid',
    input: async ({ remember, validParts }) => {
      const { header, payload } = await validParts();
      return asBearer(remember(unsignedToken({ ...header, alg: 'none' }, payload)));
    },
  },
  {
    name: "alg 'none', real signature kept",
    code: 'token_invalid',
    input: async ({ remember, validParts }) => {
      const { header, payload, token } = await validParts();
      const forged = unsignedToken({ ...header, alg: 'none' }, payload);
      return asBearer(remember(`${forged}${token.split('.')[2]}`));
    },
  },
  {
    name: 'HS256 signed with the published RSA public key as the secret',
    code: 'token_invalid',
    input: async ({ remember, validParts, idp }) => {
      const publicKey = (await importJWK({ ...idp.keys[0].publicJwk }, 'RS256')) as KeyLike;
      const secret = new TextEncoder().encode(await exportSPKI(publicKey));
      const { header, payload } = await validParts();
      return asBearer(remember(await signRaw({ ...header, alg: 'HS256' }, payload, secret)));
    },
  },
  {
    name: 'RS512 signed by the real key',
    code: 'token_invalid',
    input: async ({ remember, validParts, idp }) => {
      const { header, payload } = await validParts();
      const key = idp.keys[0].privateKey;
      return asBearer(remember(await signRaw({ ...header, alg: 'RS512' }, payload, key)));
    },
  },
  {
    name: 'PS256 signed by the real key',
    code: 'token_invalid',
    input: async ({ remember, validParts, idp }) => {
      const { header, payload } = await validParts();
      const key = idp.keys[0].privateKey;
      return asBearer(remember(await signRaw({ ...header, alg: 'PS256' }, payload, key)));
    },
  },
  {
    name: 'ES256 (generated EC key) under the published kid',
    code: 'token_invalid',
    input: async ({ remember, validParts, attackerEc }) => {
      const { header, payload } = await validParts();
      return asBearer(remember(await signRaw({ ...header, alg: 'ES256' }, payload, attackerEc)));
    },
  },
];
