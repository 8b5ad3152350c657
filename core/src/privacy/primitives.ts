/**
 * The single import point for the shared BabyJubJub / Poseidon primitives (core/src/crypto), so
 * the privacy code depends on one narrow surface. mulPoint is the shared fixed-window,
 * masked-lookup multiplication: every product with a secret scalar goes through it.
 */
export {
  type Point,
  BASE8,
  FIELD_MODULUS,
  SUBGROUP_ORDER,
  addPoints,
  isInPrimeSubgroup,
  isOnCurve,
  mulPoint,
  packPoint,
  poseidon,
  unpackPoint,
} from '../crypto/index.ts';
