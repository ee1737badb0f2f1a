/** Codes carried by `connect_error` (`err.data.code`) when the handshake is refused. */
export const AuthErrorCodes = {
  TokenMissing: 'token_missing',
  TokenInvalid: 'token_invalid',
  TokenExpired: 'token_expired',
  TenantNotAllowed: 'tenant_not_allowed',
  AppTokenNotAllowed: 'app_token_not_allowed',
  UserIdMissing: 'user_id_missing',
  TooManyConnections: 'too_many_connections',
  AuthUnavailable: 'auth_unavailable',
} as const;

/** A handshake refusal code. */
export type AuthErrorCode = (typeof AuthErrorCodes)[keyof typeof AuthErrorCodes];

/** Codes carried by an error acknowledgement (`{ok:false, error:{code}}`). */
export const AckErrorCodes = {
  InvalidArgument: 'invalid_argument',
  NotFound: 'not_found',
  TooManySubscriptions: 'too_many_subscriptions',
  RateLimited: 'rate_limited',
  TokenInvalid: 'token_invalid',
  TokenExpired: 'token_expired',
  UserMismatch: 'user_mismatch',
  Internal: 'internal',
} as const;

/** An acknowledgement error code. */
export type AckErrorCode = (typeof AckErrorCodes)[keyof typeof AckErrorCodes];
