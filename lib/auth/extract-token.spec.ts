import { tokenFromAuthorizationHeader, tokenFromHandshake } from './extract-token';

const handshake = (parts: {
  auth?: unknown;
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
}) => ({
  auth: parts.auth,
  headers: parts.headers ?? {},
  query: parts.query ?? {},
});

describe('tokenFromAuthorizationHeader', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['Bearer   abc', 'abc'],
  ])('reads %p', (value, expected) => expect(tokenFromAuthorizationHeader(value)).toBe(expected));

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b'], ['abc'], [undefined], [42]])(
    'rejects %p',
    (value) => expect(tokenFromAuthorizationHeader(value)).toBeUndefined(),
  );
});

describe('tokenFromHandshake', () => {
  it('takes auth.token raw or with a Bearer prefix', () => {
    expect(tokenFromHandshake(handshake({ auth: { token: 'a.b.c' } }), false)).toBe('a.b.c');
    expect(tokenFromHandshake(handshake({ auth: { token: 'Bearer a.b.c' } }), false)).toBe('a.b.c');
  });

  it('falls back to the Authorization header', () => {
    expect(
      tokenFromHandshake(handshake({ headers: { authorization: 'Bearer h.h.h' } }), false),
    ).toBe('h.h.h');
  });

  it('prefers auth.token over the header', () => {
    expect(
      tokenFromHandshake(
        handshake({ auth: { token: 'a' }, headers: { authorization: 'Bearer h' } }),
        false,
      ),
    ).toBe('a');
  });

  it('never reads the query string unless allowed', () => {
    expect(tokenFromHandshake(handshake({ query: { token: 'q.q.q' } }), false)).toBeUndefined();
    expect(tokenFromHandshake(handshake({ query: { token: 'q.q.q' } }), true)).toBe('q.q.q');
  });

  it('turns a present but malformed value into "" (invalid), not undefined (missing)', () => {
    expect(tokenFromHandshake(handshake({ auth: { token: 42 } }), false)).toBe('');
    expect(tokenFromHandshake(handshake({ auth: { token: 'Bearer' } }), false)).toBe('');
    expect(tokenFromHandshake(handshake({ headers: { authorization: 'Basic x' } }), false)).toBe(
      '',
    );
  });

  it('treats no auth, an empty token and a non-object auth as missing', () => {
    expect(tokenFromHandshake(handshake({}), false)).toBeUndefined();
    expect(tokenFromHandshake(handshake({ auth: { token: '' } }), false)).toBeUndefined();
    expect(tokenFromHandshake(handshake({ auth: 'token' }), false)).toBeUndefined();
  });
});
