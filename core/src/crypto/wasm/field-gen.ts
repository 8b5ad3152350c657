import { mod, modInverse } from '../bigmath.ts';
/**
 * Generates WebAssembly Montgomery arithmetic for a prime p < 2^259.
 *
 * Representation: 9 limbs of 29 bits stored as u32 (36 bytes per element), Montgomery radix
 * R = 2^261. Why 29-bit limbs: a limb product is < 2^58, so dozens of products can be summed in an
 * i64 before carrying. The multiplication inner loop is then one mul + one add per limb product
 * (no carry chain), and dot products can be accumulated unreduced and reduced once.
 *
 * Bounds: if a*b < R*p, Montgomery multiplication returns a value < 2p with no final subtraction.
 * For BN254's r (R/p ≈ 169) that holds whenever both inputs are < 13p. Stored elements are kept
 * "weakly reduced" (< 2p); each helper states what it accepts and returns. `canon` gives the
 * canonical representative.
 *
 * Multiplication by a *constant* uses a precomputed table instead of Montgomery reduction:
 * c*x = sum_i x_i * (c * 2^(29 i) mod p), so the modular reduction of the constant is paid once at
 * table-build time, and only two 29-bit Montgomery steps remain per result ("tdot"). (Poseidon has
 * its own per-width module: poseidon-gen.ts.)
 *
 * Every function runs in time independent of the values (no data-dependent branches or
 * addresses), so all of them may handle secrets.
 */
import { type Code, type FunctionBuilder, type ModuleBuilder, op } from './encoder.ts';
import type { Layout } from './layout.ts';

export const LIMBS = 9;
export const LIMB_BITS = 29;
/** Bytes per field element. */
export const ELEM = LIMBS * 4;
/** Bytes per constant-multiplication table (9 x 9 limbs). */
export const TABLE = LIMBS * LIMBS * 4;
export const RADIX_BITS = 261n;
const MASK_BIG = (1n << 29n) - 1n;
const MASK: Code = op.i64(MASK_BIG);
/** Number of terms a tdot accumulator takes before it must carry (54 products < 2^64 / 2^58). */
const TERMS_BEFORE_CARRY = 6;

export function toLimbs(value: bigint): number[] {
  const out: number[] = [];
  let x = value;
  for (let i = 0; i < LIMBS; i++) {
    out.push(Number(x & MASK_BIG));
    x >>= 29n;
  }
  if (x !== 0n) throw new Error('value too large for 9 limbs');
  return out;
}

export function fromLimbs(words: ArrayLike<number>, offset = 0): bigint {
  let x = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) x = (x << 29n) | BigInt(words[offset + i]!);
  return x;
}

/** x in Montgomery form (x * 2^261 mod p). */
export function toMont(x: bigint, p: bigint): bigint {
  return mod(x << RADIX_BITS, p);
}

/**
 * Table for multiplying a Montgomery-form element by the plain constant c with tdot:
 * row i holds the limbs of c * 2^(29 i + 58) mod p (the 2^58 cancels tdot's two reduction steps).
 */
export function constTable(c: bigint, p: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < LIMBS; i++) out.push(...toLimbs(mod(c << BigInt(29 * i + 58), p)));
  return out;
}

/** Names of the generated functions for a field with the given prefix. */
export interface FieldNames {
  mul: string;
  sqr: string;
  add: string;
  sub2: string;
  sub4: string;
  neg: string;
  canon: string;
  reduce: string;
  eq: string;
  isZero: string;
  fromBytes: string;
  toBytes: string;
  copy: string;
  toMont: string;
  fromMont: string;
  inv: string;
  tdot: string;
  /** Address of constants. */
  R2: number;
  ONE: number;
  ZERO: number;
}

export function emitField(m: ModuleBuilder, layout: Layout, prefix: string, p: bigint): FieldNames {
  if (4n * p >= 1n << RADIX_BITS) throw new Error('modulus too large');
  const pl = toLimbs(p).map(BigInt);
  const mu = (1n << 29n) - modInverse(p, 1n << 29n); // -p^-1 mod 2^29
  // BN254's r is 1 mod 2^28, so p0 = 2^28 + 1 and mu = 2^28 - 1: both products become shifts.
  const special = pl[0] === (1n << 28n) + 1n;
  const n = (s: string) => prefix + s;
  const names: FieldNames = {
    mul: n('mul'),
    sqr: n('sqr'),
    add: n('add'),
    sub2: n('sub2'),
    sub4: n('sub4'),
    neg: n('neg'),
    canon: n('canon'),
    reduce: n('reduce'),
    eq: n('eq'),
    isZero: n('is_zero'),
    fromBytes: n('from_bytes'),
    toBytes: n('to_bytes'),
    copy: n('copy'),
    toMont: n('to_mont'),
    fromMont: n('from_mont'),
    inv: n('inv'),
    tdot: n('tdot'),
    R2: layout.alloc(n('R2'), ELEM),
    ONE: layout.alloc(n('ONE'), ELEM),
    ZERO: layout.alloc(n('ZERO'), ELEM),
  };
  const RED_TBL = layout.alloc(n('RED_TBL'), TABLE);
  const PLAIN_ONE = layout.alloc(n('PLAIN_ONE'), ELEM);
  const INV_TMP = layout.alloc(n('INV_TMP'), 2 * ELEM);
  const SINK = layout.alloc(n('SINK'), 8);
  layout.init(names.R2, toLimbs(mod(1n << (2n * RADIX_BITS), p)));
  layout.init(names.ONE, toLimbs(toMont(1n, p)));
  layout.init(names.ZERO, toLimbs(0n));
  layout.init(RED_TBL, constTable(1n, p));
  layout.init(PLAIN_ONE, toLimbs(1n));

  const fn = (name: string, params: string[], result?: 'i32'): FunctionBuilder => {
    const f = m.addFunction(name);
    for (const pName of params) f.param(pName, 'i32');
    if (result) f.result(result);
    return f;
  };
  const ld = (f: FunctionBuilder, ptr: string, i: number): Code => op.i64_load32_u(f.get(ptr), i * 4);
  const st = (f: FunctionBuilder, ptr: string, i: number, v: Code): Code =>
    op.i64_store32(f.get(ptr), v, i * 4);
  const locals = (f: FunctionBuilder, base: string, count: number): string[] =>
    [...Array(count).keys()].map((i) => f.local(`${base}${i}`, 'i64'));
  const addTo = (f: FunctionBuilder, name: string, v: Code): Code => f.set(name, op.i64_add(f.get(name), v));
  const qOf = (s0: Code): Code =>
    special
      ? op.i64_and(op.i64_sub(op.i64_shl(s0, op.i64(28)), s0), MASK)
      : op.i64_and(op.i64_mul(s0, op.i64(mu)), MASK);
  const plusQp0 = (f: FunctionBuilder, s0: Code, q: string): Code =>
    special
      ? op.i64_add(op.i64_add(s0, op.i64_shl(f.get(q), op.i64(28))), f.get(q))
      : op.i64_add(s0, op.i64_mul(f.get(q), op.i64(pl[0]!)));

  /** Carry-normalises locals s (the last one keeps the excess) and stores them as limbs at ptr. */
  const normaliseStore = (f: FunctionBuilder, s: string[], ptr: string, signed = false): Code[] => {
    const shr = signed ? op.i64_shr_s : op.i64_shr_u;
    const code: Code[] = [];
    for (let j = 0; j < s.length - 1; j++) {
      code.push(addTo(f, s[j + 1]!, shr(f.get(s[j]!), op.i64(29))));
      code.push(st(f, ptr, j, op.i64_and(f.get(s[j]!), MASK)));
    }
    code.push(st(f, ptr, s.length - 1, f.get(s[s.length - 1]!)));
    return code;
  };

  /** Montgomery steps on columns cols[0..steps): afterwards the value sits in cols[steps..]. */
  const redcSteps = (f: FunctionBuilder, cols: string[], steps: number): Code[] => {
    const q = f.local('q', 'i64');
    const code: Code[] = [];
    for (let s = 0; s < steps; s++) {
      code.push(f.set(q, qOf(f.get(cols[s]!))));
      code.push(addTo(f, cols[s + 1]!, op.i64_shr_u(plusQp0(f, f.get(cols[s]!), q), op.i64(29))));
      for (let k = 1; k < LIMBS; k++) {
        if (pl[k] === 0n) continue;
        code.push(addTo(f, cols[s + k]!, op.i64_mul(f.get(q), op.i64(pl[k]!))));
      }
    }
    return code;
  };

  // mul(r, a, b) = a*b/R. Requires a*b < R*p; returns < 2p. Operand scanning with the reduction
  // interleaved, so only 9 accumulators are live; each accumulator takes at most 18 products.
  {
    const f = fn(names.mul, ['r', 'a', 'b']);
    const b = locals(f, 'b', LIMBS);
    const s = locals(f, 's', LIMBS);
    const x = f.local('x', 'i64');
    const q = f.local('q', 'i64');
    for (let j = 0; j < LIMBS; j++) f.emit(f.set(b[j]!, ld(f, 'b', j)));
    for (let i = 0; i < LIMBS; i++) {
      f.emit(f.set(x, ld(f, 'a', i)));
      for (let j = 0; j < LIMBS; j++) {
        const prod = op.i64_mul(f.get(x), f.get(b[j]!));
        // s[8] is logically zero after each shift, and everything is zero before the first row.
        f.emit(f.set(s[j]!, i === 0 || j === LIMBS - 1 ? prod : op.i64_add(f.get(s[j]!), prod)));
      }
      f.emit(f.set(q, qOf(f.get(s[0]!))));
      // s0 + q*p0 is divisible by 2^29: shift everything down one limb, carrying its top.
      f.emit(
        f.set(
          s[0]!,
          op.i64_add(
            op.i64_add(f.get(s[1]!), op.i64_mul(f.get(q), op.i64(pl[1]!))),
            op.i64_shr_u(plusQp0(f, f.get(s[0]!), q), op.i64(29)),
          ),
        ),
      );
      for (let j = 1; j < LIMBS - 1; j++) {
        f.emit(f.set(s[j]!, op.i64_add(f.get(s[j + 1]!), op.i64_mul(f.get(q), op.i64(pl[j + 1]!)))));
      }
    }
    f.emit(f.set(s[LIMBS - 1]!, op.i64(0)));
    f.emit(...normaliseStore(f, s, 'r'));
  }

  // sqr(r, a) = a^2/R: product scanning (45 limb products instead of 81), then 9 Montgomery steps.
  // Requires a < 13p; returns < 2p.
  {
    const f = fn(names.sqr, ['r', 'a']);
    const a = locals(f, 'a', LIMBS);
    const d = locals(f, 'd', LIMBS);
    const c = locals(f, 'c', 2 * LIMBS);
    for (let i = 0; i < LIMBS; i++) {
      f.emit(f.set(a[i]!, ld(f, 'a', i)));
      f.emit(f.set(d[i]!, op.i64_shl(f.get(a[i]!), op.i64(1))));
    }
    for (let k = 0; k < 2 * LIMBS; k++) {
      const terms: Code[] = [];
      for (let i = 0; i < LIMBS; i++) {
        const j = k - i;
        if (j <= i || j >= LIMBS) continue;
        terms.push(op.i64_mul(f.get(d[i]!), f.get(a[j]!)));
      }
      if (k % 2 === 0 && k / 2 < LIMBS) terms.push(op.i64_mul(f.get(a[k / 2]!), f.get(a[k / 2]!)));
      let sum: Code = terms.length === 0 ? op.i64(0) : terms[0]!;
      for (let t = 1; t < terms.length; t++) sum = op.i64_add(sum, terms[t]!);
      f.emit(f.set(c[k]!, sum));
    }
    f.emit(...redcSteps(f, c, LIMBS));
    f.emit(...normaliseStore(f, c.slice(LIMBS), 'r'));
  }

  emitTdot(m, names.tdot, p, TABLE, SINK);

  // add(r, a, b) = a + b, limbs normalised, no modular reduction (caller keeps the bound).
  {
    const f = fn(names.add, ['r', 'a', 'b']);
    const s = locals(f, 's', LIMBS);
    for (let k = 0; k < LIMBS; k++) f.emit(f.set(s[k]!, op.i64_add(ld(f, 'a', k), ld(f, 'b', k))));
    f.emit(...normaliseStore(f, s, 'r'));
  }

  // subK(r, a, b) = a + K*p - b for b <= K*p: never negative, < a + K*p.
  for (const [name, K] of [
    [names.sub2, 2n],
    [names.sub4, 4n],
  ] as const) {
    const f = fn(name, ['r', 'a', 'b']);
    const s = locals(f, 's', LIMBS);
    const kp = toLimbs(K * p);
    for (let k = 0; k < LIMBS; k++) {
      f.emit(f.set(s[k]!, op.i64_sub(op.i64_add(ld(f, 'a', k), op.i64(kp[k]!)), ld(f, 'b', k))));
    }
    f.emit(...normaliseStore(f, s, 'r', true));
  }

  // neg(r, a) = 2p - a for a <= 2p.
  {
    const f = fn(names.neg, ['r', 'a']);
    const s = locals(f, 's', LIMBS);
    const kp = toLimbs(2n * p);
    for (let k = 0; k < LIMBS; k++) f.emit(f.set(s[k]!, op.i64_sub(op.i64(kp[k]!), ld(f, 'a', k))));
    f.emit(...normaliseStore(f, s, 'r', true));
  }

  // canon(r, a): a < 2p -> a mod p, by a masked (branch-free) conditional subtraction.
  {
    const f = fn(names.canon, ['r', 'a']);
    const a = locals(f, 'a', LIMBS);
    const d = locals(f, 'd', LIMBS);
    const mask = f.local('mask', 'i64');
    for (let k = 0; k < LIMBS; k++) {
      f.emit(f.set(a[k]!, ld(f, 'a', k)));
      f.emit(f.set(d[k]!, op.i64_sub(f.get(a[k]!), op.i64(pl[k]!))));
    }
    for (let k = 0; k < LIMBS - 1; k++) {
      f.emit(addTo(f, d[k + 1]!, op.i64_shr_s(f.get(d[k]!), op.i64(29))));
      f.emit(f.set(d[k]!, op.i64_and(f.get(d[k]!), MASK)));
    }
    // All ones when a - p went negative (keep a), zero otherwise (take a - p).
    f.emit(f.set(mask, op.i64_shr_s(f.get(d[LIMBS - 1]!), op.i64(63))));
    for (let k = 0; k < LIMBS; k++) {
      const sel = op.i64_xor(f.get(d[k]!), op.i64_and(op.i64_xor(f.get(d[k]!), f.get(a[k]!)), f.get(mask)));
      f.emit(st(f, 'r', k, sel));
    }
  }

  // reduce(r, a): any a < 2^261 -> < 2p (multiplication by the constant 1 through a table).
  {
    const f = fn(names.reduce, ['r', 'a']);
    f.emit(f.call(names.tdot, f.get('r'), op.i32(0), f.get('a'), op.i32(1), op.i32(RED_TBL)));
  }

  // eq(a, b) / is_zero(a) on canonical values; 1 or 0.
  {
    const f = fn(names.eq, ['a', 'b'], 'i32');
    let acc: Code = op.i64(0);
    for (let k = 0; k < LIMBS; k++) acc = op.i64_or(acc, op.i64_xor(ld(f, 'a', k), ld(f, 'b', k)));
    f.emit(op.i64_eqz(acc));
  }
  {
    const f = fn(names.isZero, ['a'], 'i32');
    let acc: Code = op.i64(0);
    for (let k = 0; k < LIMBS; k++) acc = op.i64_or(acc, ld(f, 'a', k));
    f.emit(op.i64_eqz(acc));
  }

  // from_bytes(r, src): 32 little-endian bytes -> limbs (no reduction; top limb keeps bits 232..255).
  {
    const f = fn(names.fromBytes, ['r', 'src']);
    const w = locals(f, 'w', 4);
    for (let j = 0; j < 4; j++) f.emit(f.set(w[j]!, op.i64_load(f.get('src'), j * 8)));
    for (let k = 0; k < LIMBS; k++) {
      const bit = 29 * k;
      const word = bit >> 6;
      const sh = bit & 63;
      let v: Code = op.i64_shr_u(f.get(w[word]!), op.i64(sh));
      if (sh > 64 - 29 && word + 1 < 4) v = op.i64_or(v, op.i64_shl(f.get(w[word + 1]!), op.i64(64 - sh)));
      f.emit(st(f, 'r', k, op.i64_and(v, MASK)));
    }
  }

  // to_bytes(dst, a): canonical limbs -> 32 little-endian bytes.
  {
    const f = fn(names.toBytes, ['dst', 'a']);
    const a = locals(f, 'a', LIMBS);
    for (let k = 0; k < LIMBS; k++) f.emit(f.set(a[k]!, ld(f, 'a', k)));
    for (let j = 0; j < 4; j++) {
      let word: Code = op.i64(0);
      for (let k = 0; k < LIMBS; k++) {
        const lo = 29 * k;
        if (lo + 29 <= 64 * j || lo >= 64 * (j + 1)) continue;
        const part =
          lo >= 64 * j
            ? op.i64_shl(f.get(a[k]!), op.i64(lo - 64 * j))
            : op.i64_shr_u(f.get(a[k]!), op.i64(64 * j - lo));
        word = op.i64_or(word, part);
      }
      f.emit(op.i64_store(f.get('dst'), word, j * 8));
    }
  }

  {
    const f = fn(names.copy, ['r', 'a']);
    for (let k = 0; k < LIMBS; k++) f.emit(op.i32_store(f.get('r'), op.i32_load(f.get('a'), k * 4), k * 4));
  }
  {
    const f = fn(names.toMont, ['r', 'a']);
    f.emit(f.call(names.mul, f.get('r'), f.get('a'), op.i32(names.R2)));
  }
  {
    // from_mont(r, a): canonical plain value of a Montgomery element a < 13p.
    const f = fn(names.fromMont, ['r', 'a']);
    f.emit(f.call(names.mul, f.get('r'), f.get('a'), op.i32(PLAIN_ONE)));
    f.emit(f.call(names.canon, f.get('r'), f.get('r')));
  }

  // inv(r, a) = a^(p-2) (Montgomery in, Montgomery out; 0 -> 0). Fixed exponent: constant time.
  {
    const f = fn(names.inv, ['r', 'a']);
    const base = INV_TMP;
    const acc = INV_TMP + ELEM;
    f.emit(f.call(names.copy, op.i32(base), f.get('a')));
    f.emit(f.call(names.copy, op.i32(acc), f.get('a')));
    const e = p - 2n;
    for (let i = e.toString(2).length - 2; i >= 0; i--) {
      f.emit(f.call(names.sqr, op.i32(acc), op.i32(acc)));
      if ((e >> BigInt(i)) & 1n) f.emit(f.call(names.mul, op.i32(acc), op.i32(acc), op.i32(base)));
    }
    f.emit(f.call(names.copy, f.get('r'), op.i32(acc)));
  }
  return names;
}

/**
 * Emits a tdot function (see emitField) under `name`, stepping `stride` bytes between the tables
 * of consecutive terms (TABLE when they are packed; larger when tables are interleaved with others).
 */
export function emitTdot(m: ModuleBuilder, name: string, p: bigint, stride: number, SINK: number): void {
  const pl = toLimbs(p).map(BigInt);
  const special = pl[0] === (1n << 28n) + 1n;
  const mu = (1n << 29n) - modInverse(p, 1n << 29n);
  const ld = (f: FunctionBuilder, ptr: string, i: number): Code => op.i64_load32_u(f.get(ptr), i * 4);
  const st = (f: FunctionBuilder, ptr: string, i: number, v: Code): Code =>
    op.i64_store32(f.get(ptr), v, i * 4);
  const locals = (f: FunctionBuilder, base: string, count: number): string[] =>
    [...Array(count).keys()].map((i) => f.local(`${base}${i}`, 'i64'));
  const addTo = (f: FunctionBuilder, n: string, v: Code): Code => f.set(n, op.i64_add(f.get(n), v));
  const redcSteps = (f: FunctionBuilder, cols: string[], steps: number): Code[] => {
    const q = f.local('q', 'i64');
    const code: Code[] = [];
    for (let s = 0; s < steps; s++) {
      const c = f.get(cols[s]!);
      const qv = special
        ? op.i64_and(op.i64_sub(op.i64_shl(c, op.i64(28)), c), MASK)
        : op.i64_and(op.i64_mul(c, op.i64(mu)), MASK);
      const plusQp0 = special
        ? op.i64_add(op.i64_add(c, op.i64_shl(f.get(q), op.i64(28))), f.get(q))
        : op.i64_add(c, op.i64_mul(f.get(q), op.i64(pl[0]!)));
      code.push(f.set(q, qv));
      code.push(addTo(f, cols[s + 1]!, op.i64_shr_u(plusQp0, op.i64(29))));
      for (let k = 1; k < LIMBS; k++) code.push(addTo(f, cols[s + k]!, op.i64_mul(f.get(q), op.i64(pl[k]!))));
    }
    return code;
  };
  const normaliseStore = (f: FunctionBuilder, s: string[], ptr: string): Code[] => {
    const code: Code[] = [];
    for (let j = 0; j < s.length - 1; j++) {
      code.push(addTo(f, s[j + 1]!, op.i64_shr_u(f.get(s[j]!), op.i64(29))));
      code.push(st(f, ptr, j, op.i64_and(f.get(s[j]!), MASK)));
    }
    code.push(st(f, ptr, s.length - 1, f.get(s[s.length - 1]!)));
    return code;
  };
  // tdot(r, addend, xs, n, tbl): r = addend + sum_{j<n} xs[j] * c_j, where tbl holds n consecutive
  // constTable(c_j). xs[j] may be anything below 2^261; addend (optional: 0 = none) any value.
  // Returns < addend + (n*9/2^29 + 1) p, i.e. < 2p without addend.
  {
    const f = m.addFunction(name);
    for (const pName of ['r', 'addend', 'xs', 'n', 'tbl']) f.param(pName, 'i32');
    const acc = locals(f, 'acc', LIMBS + 2);
    const x = locals(f, 'x', LIMBS);
    f.local('cnt', 'i32');
    for (const a of acc) f.emit(f.set(a, op.i64(0)));
    f.emit(f.set('cnt', op.i32(0)));
    const body: Code[] = [op.br_if(1, op.i32_eqz(f.get('n')))];
    for (let i = 0; i < LIMBS; i++) body.push(f.set(x[i]!, ld(f, 'xs', i)));
    for (let k = 0; k < LIMBS; k++) {
      let sum: Code = f.get(acc[k]!);
      for (let i = 0; i < LIMBS; i++) {
        sum = op.i64_add(sum, op.i64_mul(f.get(x[i]!), op.i64_load32_u(f.get('tbl'), (i * LIMBS + k) * 4)));
      }
      body.push(f.set(acc[k]!, sum));
      // TurboFan hoists all 81 table loads to the top and then spills them; a store of each finished
      // column sits on the effect chain and keeps the next column's loads below it.
      body.push(op.i64_store(op.i32(SINK), f.get(acc[k]!)));
    }
    body.push(
      f.set('xs', op.i32_add(f.get('xs'), op.i32(ELEM))),
      f.set('tbl', op.i32_add(f.get('tbl'), op.i32(stride))),
      f.set('n', op.i32_sub(f.get('n'), op.i32(1))),
      f.set('cnt', op.i32_add(f.get('cnt'), op.i32(1))),
    );
    const carry: Code[] = [f.set('cnt', op.i32(0))];
    for (let k = 0; k < LIMBS; k++) {
      carry.push(addTo(f, acc[k + 1]!, op.i64_shr_u(f.get(acc[k]!), op.i64(29))));
      carry.push(f.set(acc[k]!, op.i64_and(f.get(acc[k]!), MASK)));
    }
    body.push(op.if_(op.i32_eq(f.get('cnt'), op.i32(TERMS_BEFORE_CARRY)), carry));
    body.push(op.br(0));
    f.emit(op.block(op.loop(...body)));
    const addAddend: Code[] = [];
    for (let k = 0; k < LIMBS; k++) addAddend.push(addTo(f, acc[k + 2]!, ld(f, 'addend', k)));
    f.emit(op.if_(f.get('addend'), addAddend));
    f.emit(...redcSteps(f, acc, 2));
    f.emit(...normaliseStore(f, acc.slice(2), 'r'));
  }
}
