import type { AckErrorCode, AuthErrorCode } from './error-codes';

/** Lifecycle states of a run, in the order a successful run goes through them. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'progress',
  'completed',
  'failed',
  'cancelled',
] as const;

/** One of {@link RUN_STATUSES}. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses after which a run publishes nothing more. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/** Payload of the `statusUpdate` event: one entry of a run's log. */
export interface StatusUpdate {
  runId: string;
  /** 1 for the first update of a run, then +1 per update. */
  seq: number;
  status: RunStatus;
  message?: string;
  data?: unknown;
  /** When the update was published, ISO-8601 with milliseconds. */
  at: string;
}

/** Payload of the `notification` event, sent to every connection of one user. */
export interface UserNotification<P = unknown> {
  id: string;
  type: string;
  payload: P;
  at: string;
}

/** Payload of `authExpiring`. */
export interface AuthExpiringPayload {
  /** ISO-8601 expiry of the connection's current token. */
  expiresAt: string;
}

/** Argument of `subscribeToRun` in its object form. */
export interface SubscribeToRunRequest {
  runId: string;
  /** Replay every logged update with `seq > afterSeq` (default 0: the whole log). */
  afterSeq?: number;
  /**
   * For a client that tracks which run it follows under an id: null on its first subscription,
   * then the `createdAt` its ack gave. When it names a run that is no longer the one under the id
   * (that run expired and the id was used again), the answer is `not_found` rather than the new
   * run's updates after `afterSeq`. With this field, and only then, the ack carries `createdAt`.
   * An extension of the protocol; servers that do not know it ignore it.
   */
  createdAt?: string | null;
}

/** Argument of `unsubscribeFromRun` in its object form. */
export interface UnsubscribeFromRunRequest {
  runId: string;
}

/** Argument of `refreshToken`. */
export interface RefreshTokenRequest {
  token: string;
}

/** The error part of a failed acknowledgement. */
export interface AckError {
  code: AckErrorCode;
  message: string;
}

/** A failed acknowledgement. */
export interface ErrorAck {
  ok: false;
  error: AckError;
}

/** Successful `subscribeToRun` acknowledgement. */
export interface SubscribeAck {
  ok: true;
  runId: string;
  /** The run's last published seq at the time of the subscription. */
  lastSeq: number;
  /** How many logged updates were emitted before this ack. */
  replayed: number;
  /** True when the log no longer holds `afterSeq + 1`: refetch the run's state over HTTP. */
  gap?: boolean;
  /**
   * When the run was created (ISO-8601): which run under this id the subscription is to. Only
   * when the request carried {@link SubscribeToRunRequest.createdAt} (an extension of the protocol).
   */
  createdAt?: string;
}

/** Successful `unsubscribeFromRun` acknowledgement. */
export interface UnsubscribeAck {
  ok: true;
}

/** Successful `refreshToken` acknowledgement. */
export interface RefreshTokenAck {
  ok: true;
  expiresAt: string;
}

/** `err.data` of a refused handshake's `connect_error`. */
export interface AuthErrorData {
  code: AuthErrorCode;
}

/** Response of `GET /api/runs/:runId` in the sample app. */
export interface RunSnapshot {
  runId: string;
  status: RunStatus;
  lastSeq: number;
  updates: StatusUpdate[];
}
