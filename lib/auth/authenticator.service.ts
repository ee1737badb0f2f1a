import { Inject, Injectable } from '@nestjs/common';
import { AuthError } from '../errors/auth.error';
import type { AuthenticatedUser } from './authenticated-user';
import { TokenVerifier } from './token-verifier';
import { UserResolver } from './user-resolver';

/**
 * Turns a raw bearer token into an {@link AuthenticatedUser}: one path shared by the socket.io
 * handshake, the HTTP guard and in-place token refresh, so that one configuration protects all three.
 */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(UserResolver) private readonly resolver: UserResolver,
  ) {}

  async authenticate(token: string | undefined): Promise<AuthenticatedUser> {
    if (token === undefined) throw new AuthError('token_missing', 'No token.');
    // Present but unusable (a bare "Bearer", a number): a malformed credential, not a missing one.
    if (token === '') throw new AuthError('token_invalid', 'Malformed credential.');
    const verified = await this.verifier.verify(token);
    const userId = this.resolver.resolve(verified);
    if (!userId) throw new AuthError('user_id_missing', 'The token identifies no user.');
    return { userId, claims: verified.claims, expiresAt: verified.expiresAt };
  }
}
