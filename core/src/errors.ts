/**
 * Every protocol-level failure is a `ProtocolError` with a stable machine-readable `code`, so
 * RPC layers can map it to an error response and tests can assert on the exact rule broken.
 */
export type ErrorCode =
  | 'MALFORMED'
  | 'UNKNOWN_TX_TYPE'
  | 'AMOUNT_OUT_OF_RANGE'
  | 'AMOUNT_NOT_REPRESENTABLE'
  | 'UNKNOWN_ACCOUNT'
  | 'SAME_ACCOUNT'
  | 'ASSET_MISMATCH'
  | 'UNKNOWN_ASSET'
  | 'ACCOUNT_BANNED'
  | 'BAD_NONCE'
  | 'NONCE_EXHAUSTED'
  | 'INSUFFICIENT_BALANCE'
  | 'BALANCE_OVERFLOW'
  | 'BAD_SIGNATURE'
  | 'BAD_PUBLIC_KEY'
  | 'BAD_BINDING'
  | 'TREE_FULL'
  | 'DEPOSIT_OUT_OF_ORDER'
  | 'BLOCK_INVALID'
  | 'NOT_SUPPORTED'
  | 'BAD_DENOMINATION'
  | 'BAD_RING'
  | 'BAD_RING_SIGNATURE'
  | 'KEY_IMAGE_SPENT'
  | 'BAD_NOTE_OUTPUT'
  | 'BAD_MEMO'
  | 'NO_OBSERVER_KEY'
  | 'STALE_OBSERVER_EPOCH'
  | 'BAD_OBSERVER_KEY'
  | 'NOT_REGULATOR_ADMIN';

export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Bytes or JSON that cannot be decoded into a well-formed value. */
export class MalformedError extends ProtocolError {
  override readonly name = 'MalformedError';
  constructor(message: string) {
    super('MALFORMED', message);
  }
}
