/** Domain separation: every hash in the privacy module starts with its own field-element tag. */
import { keccak_256 } from '@noble/hashes/sha3';
import { FIELD_MODULUS } from './primitives.ts';

/** keccak256(label) reduced into the Poseidon field. */
export function fieldTag(label: string): bigint {
  let v = 0n;
  for (const b of keccak_256(new TextEncoder().encode(label))) v = (v << 8n) | BigInt(b);
  return v % FIELD_MODULUS;
}
