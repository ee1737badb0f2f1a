import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import type { RunRecord } from './run-store';

/**
 * Decides who may subscribe to a run. Replace it through the `accessPolicy` option for team runs or
 * administrators. A refusal is answered `not_found`, so a run's existence is not revealed.
 */
export abstract class RunAccessPolicy {
  abstract canSubscribe(user: AuthenticatedUser, run: RunRecord): boolean | Promise<boolean>;
}

/** The default policy: only the run's owner may subscribe. */
@Injectable()
export class OwnerOnlyRunAccessPolicy extends RunAccessPolicy {
  canSubscribe(user: AuthenticatedUser, run: RunRecord): boolean {
    return user.userId === run.ownerId;
  }
}

/** True when the user's access to the run was revoked (`revokeRunAccess`). */
export function isRevoked(run: RunRecord, user: AuthenticatedUser): boolean {
  return run.revoked?.includes(user.userId) ?? false;
}

/** True when `user` may see `run`: not revoked, and admitted by the policy. */
export async function canAccessRun(
  policy: RunAccessPolicy,
  user: AuthenticatedUser,
  run: RunRecord | null,
): Promise<boolean> {
  if (!run || isRevoked(run, user)) return false;
  return policy.canSubscribe(user, run);
}
