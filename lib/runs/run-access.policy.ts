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
function isRevoked(run: RunRecord, user: AuthenticatedUser): boolean {
  return run.revoked?.includes(user.userId) ?? false;
}

/**
 * True when a record read later is still the run that was checked for `user`: it exists, is the
 * same run (not one expired and created anew under the id), and the user's access was not revoked
 * meanwhile. For a check followed by a second read (a join, a log read) that must not widen it.
 */
export function isStillAccessible(
  checked: RunRecord,
  current: RunRecord | null,
  user: AuthenticatedUser,
): current is RunRecord {
  return current !== null && current.createdAt === checked.createdAt && !isRevoked(current, user);
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
