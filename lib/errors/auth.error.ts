import type { AuthErrorCode } from '../../src/protocol/error-codes';
import { NotificationsError } from './notifications.error';

/** A token was refused. `code` is one of the handshake codes of the protocol. */
export class AuthError extends NotificationsError {
  declare readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  /** A malformed, forged or unacceptable token: `token_invalid`, with the reason for the log. */
  static invalidToken(reason: string): AuthError {
    return new AuthError('token_invalid', reason);
  }
}
