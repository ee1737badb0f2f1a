import { OBJECT_ID_CLAIM } from '../../lib';
import { randomGuid } from '../utils/identity-provider';
import { asBearer, type Refusal } from './matrix-cases';

/** Refusals for tokens that are valid but do not identify a user: no user id, app-only, ID token. */

export const tokenKindRefusals: Refusal[] = [
  // ── identity and token kind ──────────────────────────────────────────────────────────────
  {
    name: 'no oid claim',
    code: 'user_id_missing',
    input: async ({ mint }) => asBearer(await mint({ claims: { oid: undefined } })),
  },
  {
    name: 'oid not a GUID',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ oid: 'not-a-guid' })),
  },
  {
    name: 'long-form object id claim not a GUID',
    code: 'token_invalid',
    input: async ({ mint }) =>
      asBearer(await mint({ claims: { oid: undefined, [OBJECT_ID_CLAIM]: 'admin' } })),
  },
  {
    name: "app-only token (idtyp 'app', roles, no scp)",
    code: 'app_token_not_allowed',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return asBearer(
        await mint({
          oid,
          claims: { scp: undefined, idtyp: 'app', roles: ['Notifications.Send'], sub: oid },
        }),
      );
    },
  },
  {
    name: 'app-only token without idtyp (no scp, oid == sub)',
    code: 'app_token_not_allowed',
    input: async ({ mint }) => {
      const oid = randomGuid();
      return asBearer(await mint({ oid, claims: { scp: undefined, sub: oid } }));
    },
  },
  {
    name: 'ID token for this client (aud = client id, nonce, no scp)',
    code: 'token_invalid',
    input: async ({ mint, idp }) =>
      asBearer(
        await mint({
          claims: {
            aud: idp.clientId,
            scp: undefined,
            nonce: 'n-0S6_WzA2Mj',
            email: 'test.user@contoso.example',
            azp: undefined,
            azpacr: undefined,
          },
        }),
      ),
  },
  {
    name: 'empty scp on a user token',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { scp: '' } })),
  },
];
