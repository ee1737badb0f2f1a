import { asBearer, b64url, type Refusal } from './matrix-cases';

/** Refusals decided before any claim is read: how the credential is sent, and its shape. */

export const extractionRefusals: Refusal[] = [
  // ── presence and extraction ──────────────────────────────────────────────────────────────
  {
    name: 'no token at all',
    code: 'token_missing',
    input: async () => ({ socket: {} }),
  },
  {
    name: 'empty auth.token',
    code: 'token_missing',
    input: async () => ({ socket: { auth: { token: '' } }, headers: { authorization: '' } }),
  },
  {
    name: 'token only in the query string (?token=)',
    code: 'token_missing',
    input: async (m) => {
      m.queryToken = await m.mint();
      return {
        socket: { query: { token: m.queryToken } },
        path: `/api/me?token=${m.queryToken}&access_token=${m.queryToken}`,
      };
    },
  },
  // A present but unparseable credential is token_invalid on the handshake (extract-token.ts
  // turns it into '' "so that it is refused as invalid, not as missing"). The HTTP guard reads
  // only `Authorization: Bearer <token>` and, by design, treats any other header value as no
  // bearer token at all (RFC 6750 §3.1: no error code when the request lacks a bearer token):
  // token_missing.
  {
    name: "auth.token 'Bearer' with no token after it",
    code: 'token_invalid',
    httpCode: 'token_missing',
    input: async () => ({
      socket: { auth: { token: 'Bearer' } },
      headers: { authorization: 'Bearer' },
    }),
  },
  {
    name: "auth.token 'Bearer a b' (two words after the scheme)",
    code: 'token_invalid',
    httpCode: 'token_missing',
    input: async () => ({
      socket: { auth: { token: 'Bearer a b' } },
      headers: { authorization: 'Bearer a b' },
    }),
  },
  {
    name: 'auth.token not a string (a number)',
    code: 'token_invalid',
    httpCode: 'token_missing',
    input: async () => ({ socket: { auth: { token: 42 } }, headers: { authorization: '42' } }),
  },
  {
    name: 'Authorization: Basic header',
    code: 'token_invalid',
    httpCode: 'token_missing',
    input: async () => ({
      socket: { extraHeaders: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } },
      headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' },
    }),
  },
  {
    name: 'Authorization: Bearerxyz (no space after the scheme)',
    code: 'token_invalid',
    httpCode: 'token_missing',
    input: async ({ mint }) => {
      const token = await mint();
      return {
        socket: { extraHeaders: { authorization: `Bearer${token}` } },
        headers: { authorization: `Bearer${token}` },
      };
    },
  },
];

export const malformedRefusals: Refusal[] = [
  // ── malformed tokens ─────────────────────────────────────────────────────────────────────
  {
    name: 'not a JWT: two parts',
    code: 'token_invalid',
    input: async () => asBearer('eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0'),
  },
  {
    name: 'not a JWT: four parts',
    code: 'token_invalid',
    input: async ({ mint }) => asBearer(`${await mint()}.extra`),
  },
  {
    name: 'not a JWT: three empty parts',
    code: 'token_invalid',
    input: async () => asBearer('..'),
  },
  {
    name: 'bad base64url in every part',
    code: 'token_invalid',
    input: async () => asBearer('!!!!.@@@@.####'),
  },
  {
    name: 'bad base64url: a valid token with a non-base64url character in its signature',
    code: 'token_invalid',
    input: async ({ mint, remember }) => {
      const [h, p, s] = (await mint()).split('.');
      return asBearer(remember(`${h}.${p}.${s.slice(0, 10)}!${s.slice(10)}`));
    },
  },
  {
    name: 'header not JSON',
    code: 'token_invalid',
    input: async ({ mint, remember }) => {
      const [, p, s] = (await mint()).split('.');
      return asBearer(remember(`${b64url('not json')}.${p}.${s}`));
    },
  },
  {
    name: 'header JSON but not an object (null)',
    code: 'token_invalid',
    input: async ({ mint, remember }) => {
      const [, p, s] = (await mint()).split('.');
      return asBearer(remember(`${b64url('null')}.${p}.${s}`));
    },
  },
  {
    name: 'payload not JSON',
    code: 'token_invalid',
    input: async ({ mint, remember }) => {
      const [h, , s] = (await mint()).split('.');
      return asBearer(remember(`${h}.${b64url('{"tid": oops')}.${s}`));
    },
  },
];

export const sizeRefusals: Refusal[] = [
  // ── size ─────────────────────────────────────────────────────────────────────────────────
  // Over maxTokenBytes (16 KiB) but under the socket.io message limit (64 KiB), so that the
  // handshake reaches the verifier. Node's HTTP parser caps all headers at 16 KiB, so the HTTP
  // side answers 431 before the guard runs (asserted in the test body).
  {
    name: 'oversized token (20 KiB) refused before decoding',
    code: 'token_invalid',
    input: async ({ mint, remember }) => {
      const [h, p, s] = (await mint()).split('.');
      const padded = remember(`${h}.${p}${'A'.repeat(20 * 1024)}.${s}`);
      return asBearer(padded);
    },
  },
];
