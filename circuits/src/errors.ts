/** Failures of compiling a circuit or running its development setup. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
  constructor(
    readonly code: 'COMPILE_FAILED' | 'BAD_R1CS' | 'BAD_SPEC' | 'WORKER_FAILED',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
