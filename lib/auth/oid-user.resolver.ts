import { Injectable } from '@nestjs/common';
import type { VerifiedToken } from './token-verifier';
import { UserResolver } from './user-resolver';

/** The long form of the `oid` claim, found in some v1 tokens and SAML-derived identities. */
export const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/**
 * Identifies a user by the Entra ID object id (`oid`): stable across apps and sign-ins in one tenant,
 * unlike `sub`, which is per application.
 */
@Injectable()
export class OidUserResolver extends UserResolver {
  resolve(token: VerifiedToken): string | undefined {
    const oid = token.claims.oid ?? token.claims[OBJECT_ID_CLAIM];
    return typeof oid === 'string' && oid.length > 0 ? oid.toLowerCase() : undefined;
  }
}
