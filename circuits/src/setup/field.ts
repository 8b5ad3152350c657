/** BN254 scalar-field helpers for the development ceremony (plain bigint arithmetic). */
import { randomBytes } from 'node:crypto';
import { ChaCha } from 'ffjavascript';
import { BN254_R, fromLE } from './wasmCurve.ts';

export const R = BN254_R;

export function mod(a: bigint): bigint {
  const m = a % R;
  return m < 0n ? m + R : m;
}

export function powMod(b: bigint, e: bigint): bigint {
  let result = 1n;
  let base = mod(b);
  let x = e;
  while (x > 0n) {
    if (x & 1n) result = (result * base) % R;
    base = (base * base) % R;
    x >>= 1n;
  }
  return result;
}

export function invMod(a: bigint): bigint {
  return powMod(a, R - 2n);
}

/** Inverses of every element (Montgomery's trick: one exponentiation). */
export function batchInverse(values: bigint[]): bigint[] {
  const n = values.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = (acc * values[i]!) % R;
  }
  let inv = invMod(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % R;
    inv = (inv * values[i]!) % R;
  }
  return out;
}

/** A uniformly random non-zero scalar from the OS CSPRNG (512 bits reduced: negligible bias). */
export function randomScalar(): bigint {
  for (;;) {
    const v = fromLE(new Uint8Array(randomBytes(64))) % R;
    if (v !== 0n) return v;
  }
}

/** Toxic waste of a single-party development ceremony. */
export type DevSecrets = { tau: bigint; alpha: bigint; beta: bigint; delta: bigint };

export function sampleSecrets(): DevSecrets {
  return { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar(), delta: randomScalar() };
}

/** ω_p: the primitive 2^p-th roots of unity ffjavascript (hence snarkjs) uses, p = 0..max. */
export function rootsOfUnity(Fr: any, max: number): bigint[] {
  const out: bigint[] = [];
  for (let p = 0; p <= max; p++) out.push(BigInt(Fr.toObject(Fr.w[p])));
  return out;
}

/** L_i(τ) for i < count over the domain of size n = 2^p: ω^i (τ^n − 1) / (n (τ − ω^i)). */
export function lagrangeAt(tau: bigint, omega: bigint, n: number, count: number): bigint[] {
  const ws = new Array<bigint>(count);
  let w = 1n;
  for (let i = 0; i < count; i++) {
    ws[i] = w;
    w = (w * omega) % R;
  }
  const inv = batchInverse(ws.map((wi) => mod(tau - wi)));
  const factor = mod((powMod(tau, BigInt(n)) - 1n) * invMod(BigInt(n)));
  return ws.map((wi, i) => (((factor * wi) % R) * inv[i]!) % R);
}

/** snarkjs's hash-to-G2: ChaCha seeded with the first 32 bytes (big-endian words) of a digest. */
export function hashToG2(curve: any, digest: Uint8Array): unknown {
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(view.getUint32(i * 4));
  return curve.G2.fromRng(new ChaCha(seed));
}

/** Window size minimising table construction plus per-point additions for `m` points per worker. */
export function chooseWindowBits(m: number): number {
  let best = 8;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let c = 6; c <= 16; c++) {
    const w = Math.ceil(254 / c);
    const cost = w * 2 ** c + m * w;
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}
