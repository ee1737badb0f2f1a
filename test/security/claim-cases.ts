import { randomGuid } from '../utils/identity-provider';
import { GRAPH_APP_ID, asBearer, now, type Refusal } from './matrix-cases';

/** Refusals for the claims that say when, for whom and by whom a token was issued. */

export const lifetimeRefusals: Refusal[] = [
  // ── lifetime (clockToleranceSeconds: 60) ─────────────────────────────────────────────────
  {
    name: 'expired an hour ago',
    code: 'token_expired',
    input: async ({ mint }) => asBearer(await mint({ expiresInSeconds: -3600 })),
  },
  {
    name: 'expired 90 s ago: past the 60 s clock tolerance',
    code: 'token_expired',
    input: async ({ mint }) => asBearer(await mint({ expiresInSeconds: -90 })),
  },
  {
    name: 'nbf 10 min in the future: beyond the clock tolerance',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { nbf: now() + 600 } })),
  },
  {
    name: 'no exp claim',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { exp: undefined } })),
  },
  {
    name: 'exp not a number',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { exp: String(now() + 3600) } })),
  },
  {
    name: 'no nbf claim',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { nbf: undefined } })),
  },
  {
    name: 'no iat claim',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { iat: undefined } })),
  },
];

export const audienceRefusals: Refusal[] = [
  // ── audience (main: [api://<clientId>, <clientId>]; bare: [<clientId>]) ─────────────────
  {
    name: 'audience of another API (api://other)',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { aud: 'api://other' } })),
  },
  {
    name: 'audience Microsoft Graph (app id)',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { aud: GRAPH_APP_ID } })),
  },
  {
    name: 'audience Microsoft Graph (https://graph.microsoft.com)',
    code: 'token_invalid',
    input: async ({ mint }) =>
      asBearer(await mint({ claims: { aud: 'https://graph.microsoft.com' } })),
  },
  {
    name: 'audience api://<clientId>/ (trailing slash)',
    code: 'token_invalid',
    input: async ({ mint, idp }) => asBearer(await mint({ claims: { aud: `${idp.audience}/` } })),
  },
  {
    name: 'audience API://<CLIENTID> (case differs: compared exactly)',
    code: 'token_invalid',
    input: async ({ mint, idp }) =>
      asBearer(await mint({ claims: { aud: idp.audience.toUpperCase() } })),
  },
  {
    name: 'audience api://<clientId> when only the bare client id is configured',
    code: 'token_invalid',
    app: 'bare',
    input: async ({ mint, idp }) => asBearer(await mint({ claims: { aud: idp.audience } })),
  },
];

export const issuerRefusals: Refusal[] = [
  // ── issuer ───────────────────────────────────────────────────────────────────────────────
  {
    name: "issuer of another tenant (not allowed) on a token of our tenant's tid",
    code: 'token_invalid',
    input: async ({ mint, idp }) =>
      asBearer(await mint({ claims: { iss: idp.issuerV2(randomGuid()) } })),
  },
  {
    name: 'issuer tenant ≠ tid, both tenants allowed',
    code: 'token_invalid',
    input: async ({ mint, idp, tenant, secondTenant }) =>
      asBearer(await mint({ tid: tenant, claims: { iss: idp.issuerV2(secondTenant) } })),
  },
  {
    name: 'issuer of another authority host (login.microsoftonline.com)',
    code: 'token_invalid',
    input: async ({ mint, tenant }) =>
      asBearer(await mint({ claims: { iss: `https://login.microsoftonline.com/${tenant}/v2.0` } })),
  },
  {
    name: 'v2 issuer with a trailing slash',
    code: 'token_invalid',
    input: async ({ mint, idp }) => asBearer(await mint({ claims: { iss: `${idp.issuerV2()}/` } })),
  },
  {
    name: 'v1 issuer on a v2 token',
    code: 'token_invalid',
    input: async ({ mint, idp }) => asBearer(await mint({ claims: { iss: idp.issuerV1() } })),
  },
  {
    name: 'v2 issuer on a v1 token',
    code: 'token_invalid',
    input: async ({ mint, idp }) =>
      asBearer(await mint({ version: '1.0', claims: { iss: idp.issuerV2() } })),
  },
  {
    name: 'v1 token with http:// instead of https:// in the issuer',
    code: 'token_invalid',
    input: async ({ mint, idp }) =>
      asBearer(
        await mint({
          version: '1.0',
          claims: { iss: idp.issuerV1().replace('https://', 'http://') },
        }),
      ),
  },
  {
    name: 'no ver claim',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { ver: undefined } })),
  },
];

export const tenantRefusals: Refusal[] = [
  // ── tenant ───────────────────────────────────────────────────────────────────────────────
  {
    name: 'tenant not in the allow-list (zero requests to the IdP)',
    code: 'tenant_not_allowed',
    zeroIdpRequests: true,
    input: async ({ mint }) => asBearer(await mint({ tid: randomGuid() })),
  },
  {
    name: 'tenant allowed but the IdP cannot serve its keys (HTTP 503)',
    code: 'auth_unavailable',
    input: async ({ mint, unservedTenant }) => asBearer(await mint({ tid: unservedTenant })),
  },
  {
    name: 'no tid claim',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { tid: undefined } })),
  },
  {
    name: 'tid not a GUID',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(await mint({ claims: { tid: 'contoso.onmicrosoft.com' } })),
  },
];
