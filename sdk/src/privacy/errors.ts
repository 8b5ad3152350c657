/** Failures of the wallet's privacy functions, each with a stable `code`. */
export class PrivacyWalletError extends Error {
  override readonly name: string = 'PrivacyWalletError';
  constructor(
    readonly code:
      | 'BAD_STEALTH_ADDRESS'
      | 'BAD_DENOMINATION'
      | 'NO_SPENDABLE_NOTE'
      | 'RING_TOO_SMALL'
      | 'NO_OBSERVER_KEY'
      | 'NOT_OUR_ACCOUNT'
      | 'UNKNOWN_ACCOUNT'
      | 'INSUFFICIENT_BALANCE'
      | 'BAD_RPC_RESPONSE'
      | 'NOT_COMMITTED',
    message: string,
  ) {
    super(message);
  }
}

export class InvalidStealthAddressError extends PrivacyWalletError {
  override readonly name = 'InvalidStealthAddressError';
  constructor(message: string) {
    super('BAD_STEALTH_ADDRESS', message);
  }
}

/** The wallet holds no unspent note of the asset and value asked for. */
export class NoSpendableNoteError extends PrivacyWalletError {
  override readonly name = 'NoSpendableNoteError';
  constructor(message: string) {
    super('NO_SPENDABLE_NOTE', message);
  }
}

/** A spend would have no decoy (ring of one), which shows everyone the note spent. */
export class RingTooSmallError extends PrivacyWalletError {
  override readonly name = 'RingTooSmallError';
  constructor(message: string) {
    super('RING_TOO_SMALL', message);
  }
}
