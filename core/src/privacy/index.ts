/**
 * Accountable privacy: A-LSAG ring signatures with observer encryption, stealth addresses and
 * observer memos. See docs/PRIVACY.md for the scheme and its security argument.
 */
import { clearKeyCaches, clearVerifierCaches } from './chain.ts';
import { clearHashToPointCache } from './hashToPoint.ts';

export { assertValidRing, ringKeyImage, isLinked, ringPublicKey, signRing, verifyRing } from './alsag.ts';
export {
  decodeRingSignature,
  encodeRingSignature,
  ringSignatureLength,
  RING_SIGNATURE_VERSION,
  tryDecodeRingSignature,
} from './encoding.ts';
export { PrivacyError, type PrivacyErrorCode } from './errors.ts';
export { DS_HASH_TO_POINT, DS_HASH_TO_POINT_SIGN, hashToPoint } from './hashToPoint.ts';
export {
  decryptMemo,
  decryptSigner,
  encryptMemo,
  generateObserverKey,
  identifySigner,
  MEMO_CIPHERTEXT_LENGTH,
  MEMO_MAX_BYTES,
  type ObserverKeyPair,
  type ObserverMemo,
  observerKeyFromSecret,
  type OpeningProof,
  proveOpening,
  verifyOpening,
} from './observer.ts';
export { type RandomSource, randomScalar as randomSubgroupScalar } from './scalar.ts';
export {
  createOneTimeAddress,
  createOutputs,
  generateStealthKeys,
  type OneTimeOutput,
  oneTimeKeyFor,
  oneTimeSecret,
  scanOutput,
  type StealthAddress,
  type StealthKeys,
  stealthKeysFromSecrets,
} from './stealth.ts';
export { DOMAIN as ALSAG_DOMAIN, statementDigest as ringStatementDigest } from './transcript.ts';
export {
  MAX_RING_SIZE,
  type ObserverKey,
  type RingSignature,
  type RingStatement,
  type SignInput,
} from './types.ts';

/** Drops the memoised hash-to-point results, subgroup checks and observer-key tables. */
export function clearPrivacyCaches(): void {
  clearHashToPointCache();
  clearVerifierCaches();
}

/** Drops what is memoised per ring key (hash-to-point, subgroup checks), keeping epoch tables. */
export function clearRingKeyCaches(): void {
  clearHashToPointCache();
  clearKeyCaches();
}

export { activeEngine as privacyEngine } from './chain.ts';
