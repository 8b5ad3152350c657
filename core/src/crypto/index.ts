/**
 * Tessera crypto: circomlib-compatible Poseidon, BabyJubJub and EdDSA-Poseidon (fast, backed by a
 * WebAssembly kernel generated at first use), plus L2 key derivation from Ethereum wallets.
 */
export { FIELD_MODULUS, isFieldElement, assertFieldElement } from './field.ts';
export { poseidon, warmPoseidon } from './poseidon.ts';
export {
  type Point,
  BASE8,
  SUBGROUP_ORDER,
  CURVE_ORDER,
  IDENTITY,
  addPoints,
  mulPoint,
  isOnCurve,
  isInPrimeSubgroup,
  isPointLike,
  packPoint,
  unpackPoint,
} from './babyjub.ts';
export {
  type Signature,
  privateKeyToPublicKey,
  signPoseidon,
  verifyPoseidon,
  packSignature,
  unpackSignature,
} from './eddsa.ts';
export {
  L2_KEY_DERIVATION_MESSAGE,
  L2_KEY_DERIVATION_DOMAIN,
  REGISTRATION_DOMAIN,
  l2PrivateKeyFromEthSignature,
  registrationPayload,
  registrationMessage,
  verifyRegistrationBinding,
} from './keys.ts';
export {
  CryptoError,
  FieldElementRangeError,
  PoseidonArityError,
  InvalidPrivateKeyError,
  InvalidPointError,
  InvalidScalarError,
  InvalidEthSignatureError,
  InvalidArgumentError,
} from './errors.ts';
