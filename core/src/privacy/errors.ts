/** Named errors of the privacy module. `verify*` functions never throw; builders do. */
export type PrivacyErrorCode =
  | 'PRIVACY_BAD_INPUT'
  | 'PRIVACY_BAD_KEY'
  | 'PRIVACY_BAD_RING'
  | 'PRIVACY_KEY_NOT_IN_RING'
  | 'PRIVACY_MALFORMED';

export class PrivacyError extends Error {
  override readonly name: string = 'PrivacyError';
  constructor(
    readonly code: PrivacyErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
