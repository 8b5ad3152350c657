import { FieldElementRangeError } from './errors.ts';
import { BN254_R } from './params.ts';

/** BN254 scalar field modulus r (the field of Poseidon and of BabyJubJub coordinates). */
export const FIELD_MODULUS: bigint = BN254_R;

export function isFieldElement(x: unknown): x is bigint {
  return typeof x === 'bigint' && x >= 0n && x < FIELD_MODULUS;
}

/** Throws FieldElementRangeError unless x is a canonical field element. */
export function assertFieldElement(x: unknown, what = 'value'): asserts x is bigint {
  if (!isFieldElement(x)) throw new FieldElementRangeError(what, x);
}
