/**
 * Arithmetic in the BabyJubJub base field F_p (p = BN254 scalar field order). Plain BigInt:
 * variable time, used on public values and, in signing, only where the docs say so.
 */
import { FIELD_MODULUS } from './primitives.ts';

export const P = FIELD_MODULUS;

export function fmod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** a^-1 mod p by the extended Euclidean algorithm. Throws on 0 (a caller bug, never input-driven). */
export function finv(a: bigint): bigint {
  let r0 = fmod(a);
  if (r0 === 0n) throw new RangeError('inverse of zero');
  let r1 = P;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const s2 = s0 - q * s1;
    s0 = s1;
    s1 = s2;
  }
  return s0 < 0n ? s0 + P : s0;
}

/** Inverts every (nonzero) element with one inversion (Montgomery's trick). */
export function batchInvert(xs: readonly bigint[]): bigint[] {
  const n = xs.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = (acc * xs[i]!) % P;
  }
  let inv = finv(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % P;
    inv = (inv * xs[i]!) % P;
  }
  return out;
}

export function fpow(base: bigint, exp: bigint): bigint {
  let r = 1n;
  let b = fmod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

// p - 1 = 2^S * Q with Q odd (S = 28 for BN254's r).
const { S, Q } = (() => {
  let q = P - 1n;
  let s = 0;
  while ((q & 1n) === 0n) {
    q >>= 1n;
    s++;
  }
  return { S: s, Q: q };
})();
const HALF_Q = (Q - 1n) / 2n;
// Any quadratic non-residue works; take the smallest.
const ROOT_OF_UNITY = (() => {
  for (let z = 2n; ; z++) if (fpow(z, (P - 1n) / 2n) === P - 1n) return fpow(z, Q);
})();

/** Exponentiation by the fixed exponent (Q-1)/2 with 4-bit windows. */
function powHalfQ(a: bigint): bigint {
  const table = [1n, a];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * a) % P);
  const bits = HALF_Q.toString(2);
  const pad = (4 - (bits.length % 4)) % 4;
  const padded = '0'.repeat(pad) + bits;
  let r = 1n;
  for (let i = 0; i < padded.length; i += 4) {
    if (i > 0) {
      r = (r * r) % P;
      r = (r * r) % P;
      r = (r * r) % P;
      r = (r * r) % P;
    }
    const w = Number.parseInt(padded.slice(i, i + 4), 2);
    if (w !== 0) r = (r * table[w]!) % P;
  }
  return r;
}

/**
 * A square root of a (Tonelli-Shanks), or null if a is a non-residue. Which of the two roots
 * comes back is unspecified: callers pick the one they need by parity.
 */
export function fsqrt(a: bigint): bigint | null {
  const x = fmod(a);
  if (x === 0n) return 0n;
  const w = powHalfQ(x);
  let r = (x * w) % P; // x^((Q+1)/2)
  let t = (r * w) % P; // x^Q
  let c = ROOT_OF_UNITY;
  let m = S;
  while (t !== 1n) {
    let i = 0;
    let tt = t;
    while (tt !== 1n) {
      tt = (tt * tt) % P;
      i++;
      if (i === m) return null;
    }
    let b = c;
    for (let j = 0; j < m - i - 1; j++) b = (b * b) % P;
    r = (r * b) % P;
    c = (b * b) % P;
    t = (t * c) % P;
    m = i;
  }
  return r;
}
