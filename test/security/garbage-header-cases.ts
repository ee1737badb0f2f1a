import { b64url, type GarbageHeader } from './matrix-cases';

/** Garbage `Authorization` headers, sent over raw HTTP: the guard must never answer a 5xx. */

export const garbageHeaders: GarbageHeader[] = [
  {
    name: '64 KiB Bearer value (Node may answer 431)',
    lines: async ({ remember }) => [`Authorization: Bearer ${remember('a'.repeat(64 * 1024))}`],
    status: [401, 431],
    code: 'token_invalid',
  },
  {
    name: '15 KiB single-part Bearer value',
    lines: async () => [`Authorization: Bearer ${'b'.repeat(15 * 1024)}`],
    status: [401],
    code: 'token_invalid',
  },
  {
    name: 'unicode (raw UTF-8 bytes) in a three-part token',
    lines: async () => ['Authorization: Bearer ✓🔥ünïcødé.日本語.Ω≈ç√'],
    status: [401],
    code: 'token_invalid',
  },
  {
    name: 'unicode scheme name',
    lines: async () => ['Authorization: Béarer abc.def.ghi'],
    status: [401],
    code: 'token_missing',
  },
  {
    name: 'multiple spaces inside the token',
    lines: async () => ['Authorization: Bearer   abc   def   ghi'],
    status: [401],
    code: 'token_missing',
  },
  {
    name: 'tab instead of a space after the scheme',
    lines: async ({ mint }) => [`Authorization: Bearer\t${await mint()}`],
    status: [401],
    code: 'token_missing',
  },
  {
    name: 'empty value',
    lines: async () => ['Authorization: '],
    status: [401],
    code: 'token_missing',
  },
  {
    name: "scheme only ('Bearer   ')",
    lines: async () => ['Authorization: Bearer   '],
    status: [401],
    code: 'token_missing',
  },
  {
    name: 'two Bearer credentials, comma-separated',
    lines: async ({ mint }) => [`Authorization: Bearer ${await mint()}, Bearer ${await mint()}`],
    status: [401],
    code: 'token_missing',
  },
  {
    // Node keeps the first Authorization header and discards duplicates.
    name: 'two Authorization headers, garbage first',
    lines: async ({ mint }) => [
      'Authorization: Bearer x.y.z',
      `Authorization: Bearer ${await mint()}`,
    ],
    status: [401],
    code: 'token_invalid',
  },
  {
    name: 'NUL byte in the value (refused by the HTTP parser)',
    lines: async () => ['Authorization: Bearer a\u0000b.c.d'],
    status: [400, 401],
  },
  {
    name: "header kid an object, payload tid an object ('__proto__')",
    lines: async () => [
      `Authorization: Bearer ${b64url('{"alg":"RS256","kid":{"__proto__":{"x":1}}}')}.${b64url(
        `{"tid":{"__proto__":{"admin":true}},"ver":"2.0"}`,
      )}.c2ln`,
    ],
    status: [401],
    code: 'token_invalid',
  },
  {
    name: "kid '__proto__' with an allowed tid",
    lines: async ({ validParts }) => {
      const { payload } = await validParts();
      return [
        `Authorization: Bearer ${b64url('{"alg":"RS256","kid":"__proto__"}')}.${b64url(
          JSON.stringify(payload),
        )}.c2ln`,
      ];
    },
    status: [401],
    code: 'token_invalid',
  },
];
