import type { AuthErrorCode } from '../../src/protocol/error-codes';
import type { TestClientOptions } from '../utils/socket-client';
import type { SecurityMatrix } from './matrix-setup';

/** The shapes of the security matrix's case tables, and the helpers the tables share. */

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** What is sent: on the socket as handshake options, over HTTP as headers and a path. */
export interface Input {
  socket: TestClientOptions;
  headers?: Record<string, string>;
  path?: string;
}

export const asBearer = (token: string): Input => ({
  socket: { auth: { token } },
  headers: { authorization: `Bearer ${token}` },
});

export const b64url = (value: string) => Buffer.from(value).toString('base64url');

export const now = () => Math.floor(Date.now() / 1000);

export interface Refusal {
  name: string;
  code: AuthErrorCode;
  /** When the HTTP guard answers another code for the same input (documented per case). */
  httpCode?: AuthErrorCode;
  app?: 'main' | 'bare';
  input: (m: SecurityMatrix) => Promise<Input>;
  /** The refusal must cost no request to the identity provider. */
  zeroIdpRequests?: boolean;
}

export interface Acceptance {
  name: string;
  app?: 'main' | 'bare';
  input: (m: SecurityMatrix) => Promise<Input & { oid: string }>;
}

/** An `Authorization` header sent over raw HTTP to the guard. */
export interface GarbageHeader {
  name: string;
  /** Raw header lines, written to the socket as UTF-8. */
  lines: (m: SecurityMatrix) => Promise<string[]>;
  /** Accepted statuses; `code` is checked when the answer is 401. */
  status: number[];
  code?: AuthErrorCode;
}
