import {
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { AuthError } from '../errors/auth.error';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../options/resolved-options';
import type { AuthenticatedUser } from './authenticated-user';
import { Authenticator } from './authenticator.service';
import { tokenFromAuthorizationHeader } from './extract-token';

/** A request that passed {@link NotificationsAuthGuard}. */
export interface AuthenticatedRequest {
  user: AuthenticatedUser;
}

/**
 * HTTP guard for the app's REST routes, backed by the same verifier as the socket.io handshake:
 * 401 with the protocol's code for a refused token, 403 when a required scope is missing,
 * 503 when the identity provider's keys cannot be had.
 */
@Injectable()
export class NotificationsAuthGuard implements CanActivate {
  private readonly requiredScopes: string[];

  constructor(
    private readonly authenticator: Authenticator,
    @Inject(NOTIFICATIONS_RESOLVED_OPTIONS) options: ResolvedNotificationsOptions,
  ) {
    this.requiredScopes = options.auth?.requiredScopes ?? [];
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, unknown> } & Partial<AuthenticatedRequest>>();
    const token = tokenFromAuthorizationHeader(request.headers?.authorization);
    let user: AuthenticatedUser;
    try {
      user = await this.authenticator.authenticate(token);
    } catch (error) {
      const code = error instanceof AuthError ? error.code : 'auth_unavailable';
      if (code === 'auth_unavailable') {
        throw new ServiceUnavailableException({
          statusCode: 503,
          error: code,
          message: 'Authentication is unavailable.',
        });
      }
      throw new UnauthorizedException({ statusCode: 401, error: code, message: 'Unauthorized' });
    }
    const scopes = typeof user.claims.scp === 'string' ? user.claims.scp.split(' ') : [];
    const missing = this.requiredScopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'insufficient_scope',
        message: 'Forbidden',
      });
    }
    request.user = user;
    return true;
  }
}
