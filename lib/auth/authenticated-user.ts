import type { VerifiedToken } from './token-verifier';

/** Who a connection or request belongs to, once its token is verified. */
export interface AuthenticatedUser {
  /** The id given by the user resolver: the `oid` by default. */
  userId: string;
  /**
   * The verified claims. On a live connection (`socket.data.user`), only those named by the
   * module's `connectionClaims` option; through the HTTP guard, all of them.
   */
  claims: VerifiedToken['claims'];
  /** Token expiry, milliseconds since the epoch. */
  expiresAt: number;
}
