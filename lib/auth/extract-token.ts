const BEARER = /^Bearer +(\S+)$/i;

/** Reads a token from an `Authorization` header value; undefined unless it is `Bearer <token>`. */
export function tokenFromAuthorizationHeader(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return BEARER.exec(value.trim())?.[1];
}

/**
 * The token of a socket.io handshake: `auth.token` (raw, or with a `Bearer ` prefix), else the
 * `Authorization: Bearer` header, else — only when allowed — the `token` query parameter.
 * Returns `''` for a present but malformed value so that it is refused as invalid, not as missing.
 */
export function tokenFromHandshake(
  handshake: { auth?: unknown; headers: Record<string, unknown>; query: Record<string, unknown> },
  allowQuery: boolean,
): string | undefined {
  const auth = handshake.auth as { token?: unknown } | undefined;
  const fromAuth = auth && typeof auth === 'object' ? auth.token : undefined;
  if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '') {
    if (typeof fromAuth !== 'string') return '';
    const trimmed = fromAuth.trim();
    if (/^bearer\b/i.test(trimmed)) return tokenFromAuthorizationHeader(trimmed) ?? '';
    return trimmed;
  }
  const header = handshake.headers.authorization;
  if (header !== undefined) return tokenFromAuthorizationHeader(header) ?? '';
  if (allowQuery && typeof handshake.query.token === 'string') return handshake.query.token;
  return undefined;
}
