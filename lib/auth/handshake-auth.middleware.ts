import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { UNAUTHORIZED_MESSAGE } from '../../src/protocol/events';
import type { AuthErrorCode } from '../../src/protocol/error-codes';
import { AuthError } from '../errors/auth.error';
import type { AuthenticatedUser } from './authenticated-user';
import type { Authenticator } from './authenticator.service';
import { tokenFromHandshake } from './extract-token';

/** What the gateway keeps on `socket.data` for an authenticated connection. */
export interface NotificationsSocketData {
  user: AuthenticatedUser;
}

/** The `connect_error` a refused client receives: `message` "unauthorized", `data.code`. */
export class HandshakeRefusal extends Error {
  readonly data: { code: AuthErrorCode };

  constructor(code: AuthErrorCode) {
    super(UNAUTHORIZED_MESSAGE);
    this.data = { code };
  }
}

/**
 * socket.io middleware that verifies the token before the connection is accepted. Nest guards do not
 * run for connections (nestjs/nest#882), so this is where the handshake is checked.
 */
export function createHandshakeAuthMiddleware(
  authenticator: Authenticator,
  options: {
    allowTokenInQuery: boolean;
    /** What the connection keeps of its user (e.g. a few of the claims). */
    keep?: (user: AuthenticatedUser) => AuthenticatedUser;
    /** A last check on an authenticated user (e.g. the connection limit); a code refuses it. */
    admit?: (user: AuthenticatedUser, socket: Socket) => Promise<AuthErrorCode | undefined>;
    onRefused?: (code: AuthErrorCode) => void;
  },
  logger = new Logger('Notifications:Handshake'),
) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const token = tokenFromHandshake(socket.handshake, options.allowTokenInQuery);
    const refuse = (code: AuthErrorCode) => {
      logger.debug(`Handshake refused (${code}) from ${socket.handshake.address}`);
      options.onRefused?.(code);
      next(new HandshakeRefusal(code));
    };
    const admit = async () => {
      const user = await authenticator.authenticate(token);
      const refusal = options.admit ? await options.admit(user, socket) : undefined;
      if (refusal) return refuse(refusal);
      (socket.data as NotificationsSocketData).user = options.keep ? options.keep(user) : user;
      // The raw token is not needed once verified: keep no copy of it per connection.
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      if (auth && typeof auth === 'object') delete auth.token;
      next();
    };
    admit().catch((error: unknown) => {
      const code: AuthErrorCode = error instanceof AuthError ? error.code : 'auth_unavailable';
      if (!(error instanceof AuthError))
        logger.error(`Handshake failed unexpectedly: ${String(error)}`);
      refuse(code);
    });
  };
}
