import type { VerifiedToken } from './token-verifier';

/**
 * Maps a verified token to the user id that names the connection: the counterpart of SignalR's
 * IUserIdProvider. Returns undefined when the token carries no usable id (`user_id_missing`).
 */
export abstract class UserResolver {
  abstract resolve(token: VerifiedToken): string | undefined;
}
