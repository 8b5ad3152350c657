/*
 * Failures of the regulator tool. Each is named and carries a stable `code`; none carries any
 * decrypted content, so an error never reveals what a transaction hides.
 */
export type RegulatorErrorCode =
  | 'OBSERVER_KEY_MISSING'
  | 'OBSERVER_KEY_MISMATCH'
  | 'TX_NOT_FOUND'
  | 'TX_NOT_COMMITTED'
  | 'NOT_PRIVACY_TX'
  | 'NOTE_NOT_FOUND'
  | 'OPENING_FAILED'
  | 'BAD_RANGE'
  | 'BAD_RPC_RESPONSE';

export class RegulatorError extends Error {
  override readonly name: string = 'RegulatorError';
  constructor(
    readonly code: RegulatorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The keyring has no observer secret for the epoch a transaction was encrypted to. */
export class ObserverKeyMissingError extends RegulatorError {
  override readonly name = 'ObserverKeyMissingError';
  constructor(readonly epoch: bigint) {
    super('OBSERVER_KEY_MISSING', `no observer secret for epoch ${epoch} in the keyring`);
  }
}

/** The keyring's secret for an epoch is not the one whose public key the chain registered. */
export class ObserverKeyMismatchError extends RegulatorError {
  override readonly name = 'ObserverKeyMismatchError';
  constructor(
    readonly epoch: bigint,
    detail = 'its public key differs from the observer key the chain registered for that epoch',
  ) {
    super('OBSERVER_KEY_MISMATCH', `wrong observer secret for epoch ${epoch}: ${detail}`);
  }
}

export class TransactionNotFoundError extends RegulatorError {
  override readonly name = 'TransactionNotFoundError';
  constructor(readonly hash: string) {
    super('TX_NOT_FOUND', `transaction ${hash} is unknown to the sequencer`);
  }
}

export class TransactionNotCommittedError extends RegulatorError {
  override readonly name = 'TransactionNotCommittedError';
  constructor(
    readonly hash: string,
    status: string,
  ) {
    super('TX_NOT_COMMITTED', `transaction ${hash} is ${status}, not committed`);
  }
}

export class NotAPrivacyTransactionError extends RegulatorError {
  override readonly name = 'NotAPrivacyTransactionError';
  constructor(
    readonly hash: string,
    type: number,
  ) {
    super(
      'NOT_PRIVACY_TX',
      `transaction ${hash} has type ${type}, not a shield, private transfer or unshield`,
    );
  }
}

export class NoteNotFoundError extends RegulatorError {
  override readonly name = 'NoteNotFoundError';
  constructor(readonly noteIndex: number) {
    super('NOTE_NOT_FOUND', `note ${noteIndex} does not exist`);
  }
}

/**
 * The right observer key does not open a committed transaction: its ring signature cannot be
 * valid, so the quorum committed an invalid transaction (evidence of misbehaviour).
 */
export class OpeningFailedError extends RegulatorError {
  override readonly name = 'OpeningFailedError';
  constructor(
    readonly hash: string,
    detail: string,
  ) {
    super('OPENING_FAILED', `transaction ${hash} does not open: ${detail}`);
  }
}
