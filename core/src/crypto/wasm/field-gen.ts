/**
 * Generates WebAssembly Montgomery arithmetic for a prime p < 2^254.
 *
 * Representation: 9 limbs of 29 bits, each stored in its own 8-byte slot (72 bytes per element),
 * Montgomery radix R = 2^261. Why 29-bit limbs: a limb product is < 2^58, so up to 64 products can
 * be summed in an i64 before carrying. Multiplication therefore needs no carry chain inside its
 * inner loop (one mul + one add per limb product), and dot products can be accumulated in
 * double-width form and reduced once ("lazy reduction").
 *
 * Because 4p < R, Montgomery multiplication of inputs whose product is < R·p returns a value < 2p
 * without a final subtraction. Stored elements are kept "weakly reduced" (< 2p); helpers document
 * the bounds they accept and produce. Only `canon` produces the canonical representative.
 *
 * All functions here run in time independent of the values (no data-dependent branches or
 * memory addresses), so they are usable on secrets.
 */
import { type Code, type FunctionBuilder, type ModuleBuilder, op } from './encoder.ts';

export const LIMBS = 9;
export const LIMB_BITS = 29;
export const LIMB_MASK = (1n << 29n) - 1n;
/** Bytes per field element in wasm memory. */
export const ELEM = LIMBS * 8;
/** Bytes per double-width accumulator (18 limbs). */
export const WIDE = 2 * LIMBS * 8;

const MASK: Code = op.i64(LIMB_MASK);

export function toLimbs(x: bigint): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < LIMBS; i++) {
    out.push(x & LIMB_MASK);
    x >>= 29n;
  }
  if (x !== 0n) throw new Error('value too large for limbs');
  return out;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

/**
 * Emits the field functions into `m` with the given name prefix. Every function takes i32 byte
 * offsets into linear memory; outputs may alias inputs.
 */
export function emitField(m: ModuleBuilder, prefix: string, p: bigint): void {
  const R = 1n << 261n;
  if (4n * p >= R) throw new Error('modulus too large');
  const pl = toLimbs(p);
  const mu = (1n << 29n) - modInverse(p, 1n << 29n); // -p^-1 mod 2^29
  const name = (s: string) => prefix + s;

  const fn = (n: string, params: string[], results: ('i32' | 'i64')[] = []): FunctionBuilder => {
    const f = m.addFunction(name(n));
    for (const pName of params) f.param(pName, 'i32');
    for (const r of results) f.result(r);
    return f;
  };

  const limb = (f: FunctionBuilder, ptr: string, i: number): Code => op.i64_load(f.get(ptr), i * 8);
  const storeLimb = (f: FunctionBuilder, ptr: string, i: number, v: Code): Code =>
    op.i64_store(f.get(ptr), v, i * 8);

  /** Carry-normalises locals s[0..n) (s[n-1] keeps the excess) and stores them at `ptr`. */
  const normaliseStore = (f: FunctionBuilder, s: string[], ptr: string, signed = false): Code[] => {
    const code: Code[] = [];
    for (let j = 0; j < s.length - 1; j++) {
      const shr = signed ? op.i64_shr_s : op.i64_shr_u;
      code.push(f.set(s[j + 1]!, op.i64_add(f.get(s[j + 1]!), shr(f.get(s[j]!), op.i64(29)))));
      code.push(storeLimb(f, ptr, j, op.i64_and(f.get(s[j]!), MASK)));
    }
    code.push(storeLimb(f, ptr, s.length - 1, f.get(s[s.length - 1]!)));
    return code;
  };

  // ---- mul(r, a, b): r = a*b/R. Requires a*b < R*p (e.g. both < 13p); returns < 2p.
  {
    const f = fn('mul', ['r', 'a', 'b']);
    const b = [...Array(LIMBS).keys()].map((j) => f.local(`b${j}`, 'i64'));
    const s = [...Array(LIMBS).keys()].map((j) => f.local(`s${j}`, 'i64'));
    const x = f.local('x', 'i64');
    const q = f.local('q', 'i64');
    for (let j = 0; j < LIMBS; j++) f.emit(f.set(b[j]!, limb(f, 'b', j)));
    for (let i = 0; i < LIMBS; i++) {
      f.emit(f.set(x, limb(f, 'a', i)));
      for (let j = 0; j < LIMBS; j++) {
        const prod = op.i64_mul(f.get(x), f.get(b[j]!));
        // s[8] was zeroed by the previous shift; the first row starts from nothing.
        f.emit(f.set(s[j]!, i === 0 || j === LIMBS - 1 ? prod : op.i64_add(f.get(s[j]!), prod)));
      }
      f.emit(f.set(q, op.i64_and(op.i64_mul(f.get(s[0]!), op.i64(mu)), MASK)));
      // s0 + q*p0 is divisible by 2^29; its high part carries into the next limb.
      f.emit(
        f.set(
          s[0]!,
          op.i64_add(
            op.i64_add(f.get(s[1]!), op.i64_mul(f.get(q), op.i64(pl[1]!))),
            op.i64_shr_u(op.i64_add(f.get(s[0]!), op.i64_mul(f.get(q), op.i64(pl[0]!))), op.i64(29)),
          ),
        ),
      );
      for (let j = 1; j < LIMBS - 1; j++) {
        const qp = pl[j + 1] === 0n ? op.i64(0) : op.i64_mul(f.get(q), op.i64(pl[j + 1]!));
        f.emit(f.set(s[j]!, op.i64_add(f.get(s[j + 1]!), qp)));
      }
    }
    // After the last row the result sits in s[0..7]; s[8] only receives carries.
    f.emit(f.set(s[LIMBS - 1]!, op.i64(0)));
    f.emit(...normaliseStore(f, s, 'r'));
  }
}
