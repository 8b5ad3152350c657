/**
 * Poseidon over BN254's r, bit-for-bit equal to circomlib's Poseidon(n) / circomlibjs
 * buildPoseidon for 1..16 inputs (initial state 0, one output).
 */
import { FieldElementRangeError, PoseidonArityError } from './errors.ts';
import { FIELD_MODULUS } from './field.ts';
import { N_ROUNDS_P, loadOptConstants } from './poseidon-constants.ts';
import { ELEM, TABLE, constTable, toLimbs, toMont } from './wasm/field-gen.ts';
import { type Kernel, kernel } from './wasm/kernel.ts';

interface Width {
  t: number;
  nRP: number;
  pC: number;
  pM: number;
  pP: number;
  pS: number;
  st: number;
  st2: number;
}

const widths: (Width | undefined)[] = [];

/** Lays out one width's constants in wasm memory (round constants, then constant tables). */
function prepare(k: Kernel, t: number): Width {
  const c = loadOptConstants();
  const p = FIELD_MODULUS;
  const C = c.C[t - 2]!;
  const M = c.M[t - 2]!;
  const Pm = c.P[t - 2]!;
  const S = c.S[t - 2]!;
  const nRP = N_ROUNDS_P[t - 2]!;
  const pC = k.alloc(C.length * ELEM);
  const pM = k.alloc(t * t * TABLE);
  const pP = k.alloc(t * t * TABLE);
  const pS = k.alloc(S.length * TABLE);
  const st = k.alloc(t * ELEM);
  const st2 = k.alloc(t * ELEM);
  const u32 = k.u32();
  const put = (cst: bigint, at: number) => u32.set(constTable(cst, p), at / 4);
  C.forEach((v, i) => u32.set(toLimbs(toMont(BigInt(v), p)), (pC + i * ELEM) / 4));
  // output i = sum_j mat[j][i] * state[j]: tables for output i are contiguous
  for (const [mat, base] of [
    [M, pM],
    [Pm, pP],
  ] as const) {
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < t; j++) {
        put(BigInt(mat[j]![i]!), base + (i * t + j) * TABLE);
      }
    }
  }
  // per partial round: t entries for the new s0, then t - 1 entries for s_k += y * v_k
  S.forEach((v, i) => put(BigInt(v), pS + i * TABLE));
  if (S.length !== nRP * (2 * t - 1)) throw new Error('unexpected Poseidon constants shape');
  return { t, nRP, pC, pM, pP, pS, st, st2 };
}

/**
 * Poseidon hash of 1..16 field elements. Throws PoseidonArityError for other lengths and
 * FieldElementRangeError for inputs outside [0, FIELD_MODULUS) (circomlibjs would silently reduce).
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  const n = inputs.length;
  if (!(n >= 1 && n <= 16)) throw new PoseidonArityError(n);
  const k = kernel();
  let w = widths[n];
  if (!w) {
    w = prepare(k, n + 1);
    widths[n] = w;
  }
  const io = k.io;
  for (let i = 0; i < n; i++) {
    const x = inputs[i];
    if (typeof x !== 'bigint' || x < 0n || x >= FIELD_MODULUS)
      throw new FieldElementRangeError(`poseidon input ${i}`, x);
    k.writeBytes32(io + 32 * i, x);
  }
  const out = io + 32 * 16;
  k.fn.poseidon_hash!(w.t, w.nRP, w.pC, w.pM, w.pP, w.pS, w.st, w.st2, io, out);
  return k.readBytes32(out);
}

/** Builds the tables for the given input counts ahead of time (otherwise done on first use). */
export function warmPoseidon(inputCounts: readonly number[] = [2, 5]): void {
  const k = kernel();
  for (const n of inputCounts) {
    if (!(n >= 1 && n <= 16)) throw new PoseidonArityError(n);
    widths[n] ??= prepare(k, n + 1);
  }
}
