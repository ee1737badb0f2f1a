import type { AckErrorCode } from '../../src/protocol/error-codes';
import type { ErrorAck } from '../../src/protocol/messages';

/** A failed acknowledgement of the protocol's shape. */
export function errorAck(code: AckErrorCode, message: string): ErrorAck {
  return { ok: false, error: { code, message } };
}
