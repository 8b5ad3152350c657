/**
 * Failures of the bridge services. Each has a stable `code` so that logs, metrics and callers can
 * tell a transient L1 hiccup from a condition an operator must act on.
 */
export type BridgeErrorCode =
  | 'CONFIG'
  | 'KEYSTORE'
  | 'BLOCK_SOURCE'
  | 'CERTIFICATE'
  | 'DIVERGENCE'
  | 'REPLAY'
  | 'SIMULATION_REVERTED'
  | 'FEE_CAP'
  | 'RETRIES_EXHAUSTED'
  | 'STORE';

export class BridgeError extends Error {
  override readonly name: string = 'BridgeError';
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
  /** A fatal error stops a service loop: retrying cannot fix it without an operator. */
  get fatal(): boolean {
    return (
      this.code === 'DIVERGENCE' ||
      this.code === 'CONFIG' ||
      this.code === 'KEYSTORE' ||
      this.code === 'REPLAY'
    );
  }
}

export class ConfigError extends BridgeError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('CONFIG', message);
  }
}

export class KeystoreError extends BridgeError {
  override readonly name = 'KeystoreError';
  constructor(message: string) {
    super('KEYSTORE', message);
  }
}

export class BlockSourceError extends BridgeError {
  override readonly name = 'BlockSourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('BLOCK_SOURCE', message, options);
  }
}

export class CertificateError extends BridgeError {
  override readonly name = 'CertificateError';
  constructor(message: string) {
    super('CERTIFICATE', message);
  }
}

/** L1 holds a block at some height that differs from the one the sequencers certified. */
export class DivergenceError extends BridgeError {
  override readonly name = 'DivergenceError';
  constructor(message: string) {
    super('DIVERGENCE', message);
  }
}

/** A certified L2 block does not replay on the poster's replica (core/sequencer disagreement). */
export class ReplayError extends BridgeError {
  override readonly name = 'ReplayError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPLAY', message, options);
  }
}

/** `eth_estimateGas` says the transaction would revert; `errorName` is the decoded custom error. */
export class SimulationRevertedError extends BridgeError {
  override readonly name = 'SimulationRevertedError';
  constructor(
    readonly label: string,
    readonly errorName: string | undefined,
    readonly args: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super(
      'SIMULATION_REVERTED',
      `${label} would revert${errorName ? ` with ${errorName}(${args.map(String).join(', ')})` : ''}`,
      options,
    );
  }
}

export class FeeCapError extends BridgeError {
  override readonly name = 'FeeCapError';
  constructor(message: string) {
    super('FEE_CAP', message);
  }
}

export class RetriesExhaustedError extends BridgeError {
  override readonly name = 'RetriesExhaustedError';
  constructor(what: string, attempts: number, cause: unknown) {
    super(
      'RETRIES_EXHAUSTED',
      `${what} failed ${attempts} times: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}
