export class ConsensusError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The double-sign guard refused a signature: signing it could equivocate. */
export class DoubleSignError extends ConsensusError {
  constructor(message: string) {
    super('DOUBLE_SIGN', message);
  }
}

export class InvalidSignatureError extends ConsensusError {
  constructor(message: string) {
    super('INVALID_SIGNATURE', message);
  }
}

export class InvalidCertificateError extends ConsensusError {
  constructor(message: string) {
    super('INVALID_CERTIFICATE', message);
  }
}

export class MalformedMessageError extends ConsensusError {
  constructor(message: string) {
    super('MALFORMED_MESSAGE', message);
  }
}

/** Persisted consensus state contradicts itself; refusing to start is safer than guessing. */
export class CorruptWalError extends ConsensusError {
  constructor(message: string) {
    super('CORRUPT_WAL', message);
  }
}
