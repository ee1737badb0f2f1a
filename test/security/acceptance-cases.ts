import { OBJECT_ID_CLAIM } from '../../lib';
import { randomGuid } from '../utils/identity-provider';
import { asBearer, now, type Acceptance } from './matrix-cases';

/** Accepted inputs: the controls that keep each refusal of the matrix meaningful. */

export const acceptances: Acceptance[] = [
  {
    name: 'valid v2 token, aud api://<clientId>',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid })) };
    },
  },
  {
    name: 'valid v2 token, aud = bare client id',
    input: async ({ mint, idp }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, claims: { aud: idp.clientId } })) };
    },
  },
  {
    name: 'valid v2 token, aud = bare client id, on the app configured with only that audience',
    app: 'bare',
    input: async ({ mint, idp }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, claims: { aud: idp.clientId } })) };
    },
  },
  {
    name: 'valid v1 token (https://sts.windows.net/<tid>/)',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, version: '1.0' })) };
    },
  },
  {
    name: 'valid token of the second allowed tenant',
    input: async ({ mint, secondTenant }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, tid: secondTenant })) };
    },
  },
  {
    name: 'valid token signed by the second published key',
    input: async ({ mint, secondKey }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, key: secondKey })) };
    },
  },
  {
    name: 'expired 30 s ago: within the 60 s clock tolerance',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, expiresInSeconds: -30 })) };
    },
  },
  {
    name: 'nbf 30 s in the future: within the 60 s clock tolerance',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return { oid, ...asBearer(await mint({ oid, claims: { nbf: now() + 30 } })) };
    },
  },
  {
    name: 'user id from the long-form object id claim',
    input: async ({ mint }) => {
      const oid = randomGuid();
      const token = await mint({ claims: { oid: undefined, [OBJECT_ID_CLAIM]: oid } });
      return { oid, ...asBearer(token) };
    },
  },
  {
    name: "auth.token with a 'Bearer ' prefix; lower-case scheme over HTTP",
    input: async ({ mint }) => {
      const oid = randomGuid();
      const token = await mint({ oid });
      return {
        oid,
        socket: { auth: { token: `Bearer ${token}` } },
        headers: { authorization: `bearer ${token}` },
      };
    },
  },
  {
    name: 'Authorization: Bearer header on the handshake; several spaces after the scheme',
    input: async ({ mint }) => {
      const oid = randomGuid();
      const token = await mint({ oid });
      return {
        oid,
        socket: { extraHeaders: { authorization: `Bearer ${token}` } },
        headers: { authorization: `Bearer    ${token}` },
      };
    },
  },
];
