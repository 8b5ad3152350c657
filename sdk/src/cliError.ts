/** Wrong usage of the command line (exit code 2). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'CLI_USAGE';
}
