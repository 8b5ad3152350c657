/**
 * BigInt BabyJubJub arithmetic for the ring signature: extended twisted-Edwards coordinates on an
 * isomorphic a = -1 model, wNAF/Straus multi-scalar multiplication and fixed-base tables. Variable
 * time: public data only (secret scalars go through the shared constant-time mulPoint).
 *
 * Why it exists next to the shared WebAssembly kernel: the shared public API is affine (an
 * inversion per operation), while a ring-16 verification needs ~1,500 scalar-multiplication
 * steps with shared doublings. The kernel-backed engine (engine-wasm.ts) does that on the
 * kernel's internals; this layer is the self-contained reference it is tested against, the
 * fallback engine, and the small public-data helpers (cofactor clearing, opening proofs).
 *
 * Why the a = -1 model: BabyJubJub is a*x^2 + y^2 = 1 + d*x^2*y^2 with a = 168700. Since -a is a
 * square mod p, u = x*sqrt(-a) maps it to -u^2 + y^2 = 1 + d'*u^2*y^2 with d' = -d/a, where the
 * Hisil-Wong-Carter-Dawson formulas need one multiplication less per operation. d' is a
 * non-square and -1 is a square, so the addition law stays complete (no exceptional cases, the
 * identity included). Points enter and leave in standard BabyJubJub coordinates.
 */
import { P, batchInvert, finv, fmod, fsqrt } from './field.ts';
import { BASE8, type Point } from './primitives.ts';
import { L } from './scalar.ts';

export const CURVE_A = 168700n;
export const CURVE_D = 168696n;

// sqrt(-a), fixed to the even root so the isomorphism is a documented constant.
const SQRT_NEG_A = (() => {
  const s = fsqrt(P - CURVE_A);
  if (s === null) throw new Error('-a must be a square');
  return s & 1n ? P - s : s;
})();
const INV_SQRT_NEG_A = finv(SQRT_NEG_A);
const D_PRIME = fmod(-CURVE_D * finv(CURVE_A));
const D2 = (2n * D_PRIME) % P;

/** Extended coordinates (X:Y:Z:T) on the a = -1 model, x = X/Z, y = Y/Z, T = XY/Z. */
export class Ext {
  constructor(
    readonly X: bigint,
    readonly Y: bigint,
    readonly Z: bigint,
    readonly T: bigint,
  ) {}
}

/**
 * A point prepared as an addend: (Y+X, Y-X, 2Z, 2d'T). `z` is 2 for normalised (affine) entries,
 * which saves a multiplication.
 */
export interface Cached {
  readonly p: bigint;
  readonly m: bigint;
  readonly z: bigint;
  readonly t: bigint;
}

export const IDENTITY = new Ext(0n, 1n, 1n, 0n);

export function fromAffine(pt: Point): Ext {
  const u = (pt[0] * SQRT_NEG_A) % P;
  return new Ext(u, pt[1], 1n, (u * pt[1]) % P);
}

export function toAffine(e: Ext): Point {
  const zi = finv(e.Z);
  return [fmod(((e.X * zi) % P) * INV_SQRT_NEG_A), fmod(e.Y * zi)];
}

export function toAffineBatch(es: readonly Ext[]): Point[] {
  const inv = batchInvert(es.map((e) => e.Z));
  return es.map((e, i) => [fmod(((e.X * inv[i]!) % P) * INV_SQRT_NEG_A), fmod(e.Y * inv[i]!)] as const);
}

export const G: Ext = fromAffine(BASE8);

export function dbl(e: Ext, wantT = true): Ext {
  const A = (e.X * e.X) % P;
  const B = (e.Y * e.Y) % P;
  const C = ((e.Z * e.Z) % P) << 1n;
  const s = e.X + e.Y;
  const E = (s * s - A - B) % P;
  const Gv = B - A;
  const F = Gv - C;
  const H = -A - B;
  return new Ext((E * F) % P, (Gv * H) % P, (F * Gv) % P, wantT ? (E * H) % P : 0n);
}

/** e + c. `e` must carry T (any result of add/dbl with wantT, or fromAffine). */
export function add(e: Ext, c: Cached, wantT = true): Ext {
  const A = ((e.Y - e.X) * c.m) % P;
  const B = ((e.Y + e.X) * c.p) % P;
  const C = (e.T * c.t) % P;
  const D = c.z === 2n ? e.Z << 1n : (e.Z * c.z) % P;
  const E = B - A;
  const F = D - C;
  const Gv = D + C;
  const H = B + A;
  return new Ext((E * F) % P, (Gv * H) % P, (F * Gv) % P, wantT ? (E * H) % P : 0n);
}

export function toCached(e: Ext): Cached {
  return { p: e.Y + e.X, m: e.Y - e.X, z: e.Z << 1n, t: (e.T * D2) % P };
}

export function negCached(c: Cached): Cached {
  return { p: c.m, m: c.p, z: c.z, t: -c.t };
}

export function addExt(a: Ext, b: Ext): Ext {
  return add(a, toCached(b));
}

export function isIdentity(e: Ext): boolean {
  return fmod(e.X) === 0n && fmod(e.Y - e.Z) === 0n;
}

/** Normalised cached forms (z = 2) for many points at once: one inversion in total. */
function normaliseCached(es: readonly Ext[]): Cached[] {
  const inv = batchInvert(es.map((e) => fmod(e.Z)));
  return es.map((e, i) => {
    const zi = inv[i]!;
    const x = (e.X * zi) % P;
    const y = (e.Y * zi) % P;
    return { p: fmod(y + x), m: fmod(y - x), z: 2n, t: fmod(((x * y) % P) * D2) };
  });
}

// ---------------------------------------------------------------------------------------------
// Variable-time multiplication (public scalars and points only)

/** Width-w NAF digits of k >= 0, least significant first. */
export function wnaf(k: bigint, w: number): Int8Array {
  const bits = k.toString(2);
  const n = bits.length;
  const bit = (i: number): number => (i < n ? bits.charCodeAt(n - 1 - i) - 48 : 0);
  const out = new Int8Array(n + 1);
  const full = 1 << w;
  const half = 1 << (w - 1);
  let carry = 0;
  let i = 0;
  while (i <= n) {
    const v = bit(i) + carry;
    if (v === 1) {
      let val = 1;
      for (let j = 1; j < w; j++) val += bit(i + j) << j;
      if (val >= half) {
        out[i] = val - full;
        carry = 1;
      } else {
        out[i] = val;
        carry = 0;
      }
      i += w;
    } else {
      carry = v >> 1;
      i++;
    }
  }
  if (carry !== 0) throw new Error('wnaf: scalar too long');
  return out;
}

/** Odd multiples P, 3P, ..., (2^(w-1) - 1)P as addends for wNAF digits. */
export function oddMultiples(pt: Ext, w: number): Cached[] {
  const count = 1 << (w - 2);
  const twice = toCached(dbl(pt));
  const out: Cached[] = [toCached(pt)];
  let cur = pt;
  for (let i = 1; i < count; i++) {
    cur = add(cur, twice);
    out.push(toCached(cur));
  }
  return out;
}

export interface MsmTerm {
  readonly digits: Int8Array;
  readonly table: readonly Cached[];
}

/** Straus (interleaved wNAF) multi-scalar multiplication: one shared doubling chain. */
export function straus(terms: readonly MsmTerm[]): Ext {
  let top = 0;
  for (const t of terms) {
    let len = t.digits.length;
    while (len > 0 && t.digits[len - 1] === 0) len--;
    if (len > top) top = len;
  }
  let acc = IDENTITY;
  let started = false;
  const pending: Cached[] = [];
  for (let i = top - 1; i >= 0; i--) {
    pending.length = 0;
    for (const t of terms) {
      const d = t.digits[i] ?? 0;
      if (d > 0) pending.push(t.table[(d - 1) >> 1]!);
      else if (d < 0) pending.push(negCached(t.table[(-d - 1) >> 1]!));
    }
    // T is needed by a following addition, and on the result (callers add to it).
    if (started) acc = dbl(acc, pending.length > 0 || i === 0);
    for (let k = 0; k < pending.length; k++) {
      acc = add(acc, pending[k]!, true);
      started = true;
    }
  }
  return acc;
}

export function mulVar(pt: Ext, k: bigint): Ext {
  return straus([{ digits: wnaf(k, 5), table: oddMultiples(pt, 5) }]);
}

const L_DIGITS = wnaf(L, 5);

/** l * P == O: membership in the prime-order subgroup (P already on the curve). */
export function isTorsionFree(pt: Ext): boolean {
  return isIdentity(straus([{ digits: L_DIGITS, table: oddMultiples(pt, 5) }]));
}

/**
 * Signed fixed-window table for a fixed base B: row j holds m * 2^(w j) * B for m = 1..2^(w-1),
 * so k*B costs one addition per window and no doublings.
 */
export class FixedBase {
  private readonly rows: Cached[][];
  private readonly windows: number;

  constructor(
    base: Ext,
    private readonly w: number,
    normalise: boolean,
  ) {
    // Scalars are < l < 2^252; one spare window absorbs the final carry of the signed recoding.
    this.windows = Math.ceil(253 / w);
    const half = 1 << (w - 1);
    const raw: Ext[][] = [];
    let bj = base;
    for (let j = 0; j < this.windows; j++) {
      const row: Ext[] = [bj];
      const step = toCached(bj);
      for (let m = 2; m <= half; m++) row.push(add(row[m - 2]!, step));
      raw.push(row);
      bj = dbl(row[half - 1]!);
    }
    if (normalise) {
      const flat = normaliseCached(raw.flat());
      this.rows = raw.map((_, j) => flat.slice(j * half, (j + 1) * half));
    } else {
      this.rows = raw.map((row) => row.map(toCached));
    }
  }

  mul(k: bigint, start: Ext = IDENTITY): Ext {
    const w = this.w;
    const full = 1 << w;
    const half = 1 << (w - 1);
    const mask = BigInt(full - 1);
    let acc = start;
    let carry = 0;
    let rest = k;
    for (let j = 0; j < this.windows; j++) {
      let v = Number(rest & mask) + carry;
      rest >>= BigInt(w);
      if (v > half) {
        v -= full;
        carry = 1;
      } else {
        carry = 0;
      }
      if (v > 0) acc = add(acc, this.rows[j]![v - 1]!);
      else if (v < 0) acc = add(acc, negCached(this.rows[j]![-v - 1]!));
    }
    if (carry !== 0 || rest !== 0n) throw new RangeError('fixed-base scalar out of range');
    return acc;
  }
}

let gTable: FixedBase | undefined;
/** k*G for a public k (Base8 table built on first use). */
export function mulG(k: bigint, start: Ext = IDENTITY): Ext {
  gTable ??= new FixedBase(G, 8, true);
  return gTable.mul(k, start);
}

// ---------------------------------------------------------------------------------------------
// Validation of standard-coordinate points

export function isCanonicalCoordinate(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < P;
}

export function isOnCurveAffine(pt: Point): boolean {
  const [x, y] = pt;
  const x2 = (x * x) % P;
  const y2 = (y * y) % P;
  return fmod(CURVE_A * x2 + y2 - 1n - ((CURVE_D * x2) % P) * y2) === 0n;
}

/**
 * Independent (BigInt) version of validate.ts's isValidGroupElement: canonical coordinates, on
 * the curve, not the identity, l*P = O. Used to cross-check the shared primitives in tests.
 */
export function isValidGroupElementBigint(pt: unknown): pt is Point {
  if (!Array.isArray(pt) || pt.length !== 2 || !isCanonicalCoordinate(pt[0]) || !isCanonicalCoordinate(pt[1]))
    return false;
  const p = pt as unknown as Point;
  if (!isOnCurveAffine(p)) return false;
  if (p[0] === 0n && p[1] === 1n) return false;
  return isTorsionFree(fromAffine(p));
}
