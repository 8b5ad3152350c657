/** Named errors of the crypto module; `code` is stable and safe to match on. */
export class CryptoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A value meant to be a BN254 scalar-field element is not a bigint in [0, FIELD_MODULUS). */
export class FieldElementRangeError extends CryptoError {
  constructor(what: string, value: unknown) {
    super(
      'FIELD_ELEMENT_OUT_OF_RANGE',
      `${what} must be a bigint in [0, FIELD_MODULUS), got ${typeof value === 'bigint' ? value.toString() : typeof value}`,
    );
  }
}

/** Poseidon was called with a number of inputs circomlib does not define (1..16). */
export class PoseidonArityError extends CryptoError {
  constructor(n: number) {
    super('POSEIDON_ARITY', `poseidon takes 1 to 16 inputs, got ${n}`);
  }
}

/** A private key is not a 32-byte Uint8Array. */
export class InvalidPrivateKeyError extends CryptoError {
  constructor(message = 'private key must be a 32-byte Uint8Array') {
    super('INVALID_PRIVATE_KEY', message);
  }
}

/** A point argument is malformed, off the curve or has non-canonical coordinates. */
export class InvalidPointError extends CryptoError {
  constructor(message: string) {
    super('INVALID_POINT', message);
  }
}

/** A scalar argument is not a non-negative bigint. */
export class InvalidScalarError extends CryptoError {
  constructor(message: string) {
    super('INVALID_SCALAR', message);
  }
}

/** An Ethereum signature does not have the 65-byte r || s || v shape. */
export class InvalidEthSignatureError extends CryptoError {
  constructor(message: string) {
    super('INVALID_ETH_SIGNATURE', message);
  }
}

/** Any other malformed argument (address, chain id, ...). */
export class InvalidArgumentError extends CryptoError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
