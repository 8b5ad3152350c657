/**
 * Rewrites circomlib's optimised Poseidon rounds into the form our WebAssembly kernel evaluates.
 *
 * Scaling. Every S-box input s is carried as s/alpha for a known constant alpha, chosen so that in
 * each linear combination feeding an S-box one coefficient becomes 1: that term is then an
 * addition instead of a multiplication. Since (alpha*x)^5 = alpha^5 * x^5, the S-box works on the
 * scaled value unchanged; the round constant is divided by alpha^5 and alpha^5 moves into the
 * coefficients that consume the S-box output. This removes one multiplication by a constant per
 * S-box input (per output of a full round, per partial round).
 *
 * Partial rounds (state sigma = s0/a_r, u_k = s_k/b_k for k >= 1):
 *   y_r = sigma_r^5 + c_r/a_r^5
 *   sigma_{r+1} = y_r + P_r,   P_r = sum_k w_{r,k} u_k(r)
 *   u_k(r+1)    = u_k(r) + v_{r,k} y_r
 * u(r) and P_r depend only on y_{r-1} and u(r-1), so both can be computed while the S-box of
 * round r runs: the critical path is S-box -> addition -> S-box.
 *
 * Montgomery bookkeeping: the scalar S-box works on Montgomery representatives (stored z stands
 * for z/R, R = 2^261). Multiplication by a *plain* constant c maps stored z to c*z, i.e. keeps the
 * Montgomery form. Raw inputs x are used as stored values directly (x + C_j stands for
 * (x + C_j)/R, scale R), and the final multiplier absorbs the remaining R.
 */
import { mod, modInverse, modPow } from './bigmath.ts';
import { FIELD_MODULUS as p } from './field.ts';
import { N_ROUNDS_P, loadOptConstants } from './poseidon-constants.ts';

export const MONT_R = 1n << 261n;
export const FULL_ROUNDS = 8;

export interface FullRoundPlan {
  /** Montgomery representatives added after each S-box (t entries), or none (last round). */
  consts: bigint[] | null;
  /**
   * Coefficients e[j][i] (plain) of S-box output j (j >= 1) in output i; output i is
   * y_0 + sum_j e[j][i] y_j. Only output 0 for the last round.
   */
  coef: bigint[][];
}

export interface PoseidonPlan {
  t: number;
  nRP: number;
  /** Plain constants C_0..C_{t-1} added to [0, inputs] (as stored integers). */
  init: bigint[];
  /** Rounds 0..3 (before the partial rounds) and 4..7 (after). */
  full: FullRoundPlan[];
  /** Partial rounds: Montgomery round constants c_r / a_r^5. */
  partialConsts: bigint[];
  /** w[r][k-1], v[r][k-1] for k = 1..t-1. */
  w: bigint[][];
  v: bigint[][];
  /** Plain factor turning the last round's normalised output (Montgomery) into the hash. */
  finalFactor: bigint;
}

const inv = (x: bigint): bigint => {
  if (mod(x, p) === 0n) throw new Error('Poseidon plan: zero normaliser');
  return modInverse(x, p);
};
const pow5 = (x: bigint): bigint => modPow(x, 5n, p);
const montRep = (x: bigint): bigint => mod(x * MONT_R, p);

const plans: (PoseidonPlan | undefined)[] = [];

export function poseidonPlan(t: number): PoseidonPlan {
  const cached = plans[t];
  if (cached) return cached;
  const c = loadOptConstants();
  const C = c.C[t - 2]!.map(BigInt);
  const M = c.M[t - 2]!.map((row) => row.map(BigInt));
  const Pm = c.P[t - 2]!.map((row) => row.map(BigInt));
  const S = c.S[t - 2]!.map(BigInt);
  const nRP = N_ROUNDS_P[t - 2]!;
  const m = t - 1;

  // scale of each S-box input entering the next full round
  let alpha: bigint[] = Array.from({ length: t }, () => MONT_R);
  let cIdx = t;
  const full: FullRoundPlan[] = [];
  const fullRound = (mat: bigint[][], withConst: boolean, outputs: number) => {
    const a5 = alpha.map(pow5);
    const consts = withConst ? alpha.map((_, j) => montRep(C[cIdx + j]! * inv(a5[j]!))) : null;
    if (withConst) cIdx += t;
    const beta: bigint[] = [];
    const coef: bigint[][] = Array.from({ length: t }, () => []);
    for (let i = 0; i < outputs; i++) {
      beta[i] = mod(mat[0]![i]! * a5[0]!, p);
      const ib = inv(beta[i]!);
      for (let j = 1; j < t; j++) coef[j]!.push(mod(mat[j]![i]! * a5[j]! * ib, p));
    }
    full.push({ consts, coef });
    alpha = beta;
  };
  for (let r = 0; r < FULL_ROUNDS / 2 - 1; r++) fullRound(M, true, t);
  fullRound(Pm, true, t);

  // partial rounds
  let a = alpha[0]!;
  const b = alpha.slice(1);
  const partialConsts: bigint[] = [];
  const w: bigint[][] = [];
  const v: bigint[][] = [];
  const ib = b.map(inv);
  for (let r = 0; r < nRP; r++) {
    const base = (2 * t - 1) * r;
    const a5 = pow5(a);
    partialConsts.push(montRep(C[cIdx + r]! * inv(a5)));
    const aNext = mod(S[base]! * a5, p);
    const iaNext = inv(aNext);
    w.push(b.map((bk, k) => mod(S[base + 1 + k]! * bk * iaNext, p)));
    v.push(ib.map((ibk, k) => mod(S[base + t + k]! * a5 * ibk, p)));
    a = aNext;
  }
  cIdx += nRP;
  alpha = [a, ...b];
  for (let r = 0; r < FULL_ROUNDS / 2 - 1; r++) fullRound(M, true, t);
  fullRound(M, false, 1);
  if (cIdx !== C.length) throw new Error('Poseidon plan: unexpected constants shape');
  const finalFactor = alpha[0]!; // the hash is finalFactor * (z / R) = mont_mul(z, finalFactor)
  const plan: PoseidonPlan = {
    t,
    nRP,
    init: C.slice(0, t),
    full,
    partialConsts,
    w,
    v,
    finalFactor,
  };
  if (m !== b.length) throw new Error('unreachable');
  plans[t] = plan;
  return plan;
}

/**
 * Evaluates a plan with BigInt arithmetic in exactly the kernel's order (Montgomery S-box, plain
 * constant products). For tests: must equal circomlib's Poseidon.
 */
export function evaluatePlan(plan: PoseidonPlan, inputs: readonly bigint[]): bigint {
  const { t, nRP } = plan;
  const Rinv = modInverse(MONT_R, p);
  const sbox = (z: bigint) => mod(pow5(z) * modPow(Rinv, 4n, p), p); // stored -> stored
  let st = [0n, ...inputs].map((x, j) => mod(x + plan.init[j]!, p));
  const runFull = (fr: FullRoundPlan, outputs: number) => {
    const y = st.map((z, j) => mod(sbox(z) + (fr.consts ? fr.consts[j]! : 0n), p));
    const out: bigint[] = [];
    for (let i = 0; i < outputs; i++) {
      let acc = y[0]!;
      for (let j = 1; j < t; j++) acc += fr.coef[j]![i]! * y[j]!;
      out.push(mod(acc, p));
    }
    st = out;
  };
  for (let r = 0; r < 4; r++) runFull(plan.full[r]!, t);
  let sigma = st[0]!;
  let u = st.slice(1);
  for (let r = 0; r < nRP; r++) {
    const y = mod(sbox(sigma) + plan.partialConsts[r]!, p);
    const P = u.reduce((acc, uk, k) => acc + plan.w[r]![k]! * uk, 0n);
    u = u.map((uk, k) => mod(uk + plan.v[r]![k]! * y, p));
    sigma = mod(y + P, p);
  }
  st = [sigma, ...u];
  for (let r = 4; r < 7; r++) runFull(plan.full[r]!, t);
  runFull(plan.full[7]!, 1);
  return mod(st[0]! * plan.finalFactor * Rinv, p);
}
