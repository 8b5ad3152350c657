/** Scalars: integers modulo the prime subgroup order l, with strict canonical encodings. */
import { randomBytes } from 'node:crypto';
import { SUBGROUP_ORDER } from './primitives.ts';

export const L = SUBGROUP_ORDER;
export const SCALAR_BYTES = 32;

/** Source of uniformly random bytes; injectable so tests can be deterministic. */
export type RandomSource = (length: number) => Uint8Array;
export const defaultRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

export function smod(a: bigint): bigint {
  const r = a % L;
  return r < 0n ? r + L : r;
}

export function isCanonicalScalar(s: unknown): s is bigint {
  return typeof s === 'bigint' && s >= 0n && s < L;
}

/** Big-endian integer of any length. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Reduces a wide (>= 64-byte) uniform string mod l. With 512 input bits and l < 2^252 the
 * result is within statistical distance 2^-260 of uniform.
 */
export function scalarFromWide(bytes: Uint8Array): bigint {
  if (bytes.length < 64) throw new RangeError('wide reduction needs at least 64 bytes');
  return bytesToBigInt(bytes) % L;
}

/** 32-byte big-endian encoding of a canonical scalar. */
export function scalarToBytes(s: bigint): Uint8Array {
  if (!isCanonicalScalar(s)) throw new RangeError('scalar out of range');
  const out = new Uint8Array(SCALAR_BYTES);
  let v = s;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Strict decoding: exactly 32 bytes and < l; anything else is null (no silent reduction). */
export function scalarFromBytes(bytes: Uint8Array): bigint | null {
  if (bytes.length !== SCALAR_BYTES) return null;
  const v = bytesToBigInt(bytes);
  return v < L ? v : null;
}

/** A uniformly random nonzero scalar. */
export function randomScalar(random: RandomSource = defaultRandom): bigint {
  for (;;) {
    const s = scalarFromWide(random(64));
    if (s !== 0n) return s;
  }
}
