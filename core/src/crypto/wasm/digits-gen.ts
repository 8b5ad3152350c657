/**
 * SIMD multiplication by constants for Poseidon's linear layers, with i32x4.dot_i16x8_s.
 *
 * Representation ("digits"): a field element x as 20 signed digits of radix 2^13,
 * x = sum_i x_i 2^(13 i), |x_i| <= 4129, stored as 20 i16 (40 bytes, buffers padded to 48).
 *
 * Product by a constant c ("term"): with the table rows T_i = c * 2^(13 i) mod p written as 20
 * balanced digits T_ik (|T_ik| <= 4096), the columns col_k = sum_i x_i T_ik (20 i32 lanes, five
 * v128) satisfy sum_k col_k 2^(13 k) = sum_i x_i T_i = c*x (mod p). One dot_i16x8_s multiplies the
 * digit pair (x_2a, x_2a+1), broadcast, with four columns of rows 2a and 2a+1: 50 dots per term
 * (400 16-bit products, against 81 64-bit multiplications for the scalar 9x29-bit form). Columns
 * of several terms add up in the same lanes.
 *
 * Lane budget: a term adds at most 20 * 4129 * 4096 < 3.39e8 per lane, so 6 terms plus an
 * extended digit vector plus a reduction stay below 2^31 (checked by `Accumulator`).
 *
 * Reduction (Barrett, no Montgomery factor): the value V = sum_k col_k 2^(13 k) of the columns is
 * estimated from the top four lanes in f64 (the lower lanes change it by < 2^227), q = round(V/p),
 * and -q*p is added as one more dot: (q mod 64, q >> 6) times the digit pairs (-p_k, -(64p)_k).
 * Afterwards |V| < 0.51 p, still spread over wide lanes. Two balanced carry passes bring the lanes
 * back to digits (|digit| <= 4096 + 33; the top lane keeps the rest), ready for narrowing to i16.
 */
import { mod } from '../bigmath.ts';
import { type Code, type FunctionBuilder, op, v128, v128f64, v128i32 } from './encoder.ts';
import { setLocal } from './interleave.ts';

export const DIGITS = 20;
export const DIGIT_BITS = 13;
/** Bytes of one digit buffer (20 i16, padded to three v128). */
export const DIGIT_BUF = 48;
/** Bytes of one constant's table (10 digit pairs x 5 column vectors x 16 bytes). */
export const TERM_TABLE = 800;
/** Bytes of a column buffer (20 i32). */
export const COLS = 80;
/** Digit bound of reduced-and-normalised values and table digits. */
const X_MAX = 4129;
const T_MAX = 4096;
const TERM_LANE_MAX = DIGITS * X_MAX * T_MAX;
/** i32 lanes, less the rounding offset `normalise` adds. */
const LANE_LIMIT = 2 ** 31 - 1 - 4096;

/** Balanced radix-2^13 digits of 0 <= value < 2^259 (top digit takes the remainder). */
export function balancedDigits(value: bigint): number[] {
  // 52-bit chunks are exact in doubles: 5 BigInt extractions instead of 40 BigInt operations
  const out: number[] = [];
  let x = value;
  for (let c = 0; c < 5; c++) {
    let chunk = Number(BigInt.asUintN(52, x));
    x >>= 52n;
    for (let i = 0; i < 4; i++) {
      out.push(chunk % 8192);
      chunk = Math.floor(chunk / 8192);
    }
  }
  if (x !== 0n) throw new Error('value too large for 20 digits');
  let carry = 0;
  for (let i = 0; i < DIGITS - 1; i++) {
    let d = out[i]! + carry;
    carry = d >= 4096 ? 1 : 0;
    d -= carry * 8192;
    out[i] = d;
  }
  out[DIGITS - 1]! += carry;
  return out;
}

/**
 * Writes the dot-product table of the plain constant c into u16 (little-endian i16 lanes) at
 * index `at`: for pair a, column vector v, lane l: [T_{2a, 4v+l}, T_{2a+1, 4v+l}].
 */
export function writeTermTable(c: bigint, p: bigint, out: Uint16Array, at: number): void {
  let row = mod(c, p);
  let o = at;
  for (let a = 0; a < DIGITS / 2; a++) {
    const r0 = balancedDigits(row);
    row = (row << 13n) % p;
    const r1 = balancedDigits(row);
    row = (row << 13n) % p;
    for (let k = 0; k < DIGITS; k++) {
      out[o++] = r0[k]! & 0xffff;
      out[o++] = r1[k]! & 0xffff;
    }
  }
}

/** Barrett table: digit pairs (-p_k, -(64 p)_k), 5 v128. */
export function writeBarrettTable(p: bigint, out: Uint16Array, at: number): void {
  const d0 = balancedDigits(p);
  const d1 = balancedDigits(64n * p);
  for (let k = 0; k < DIGITS; k++) {
    out[at + 2 * k] = -d0[k]! & 0xffff;
    out[at + 2 * k + 1] = -d1[k]! & 0xffff;
  }
}

/** Five v128 locals holding 20 i32 columns, with a bound on the lane magnitudes. */
export class Accumulator {
  bound = 0;
  constructor(readonly v: string[]) {}
}

export class DigitsGen {
  private id = 0;
  private readonly kappa: number[];

  private readonly xs: string[];

  constructor(
    readonly f: FunctionBuilder,
    readonly p: bigint,
    /** Address of the Barrett table (writeBarrettTable). */
    readonly barrettTable: number,
    /** Digit rows per statement in `term`. */
    readonly rows = 1,
  ) {
    this.xs = Array.from({ length: DIGITS / 2 }, (_, i) => f.local(`dg_x${i}`, 'v128'));
    // 2^(13 k) / p for the top four lanes
    this.kappa = [16, 17, 18, 19].map((k) => 2 ** (13 * k) / Number(p));
    if (this.qMax() >> 6 >= 32768) throw new Error('Barrett quotient does not fit');
  }

  accumulator(): Accumulator {
    const id = this.id++;
    return new Accumulator(Array.from({ length: 5 }, (_, i) => this.f.local(`acc${id}_${i}`, 'v128')));
  }

  private set(n: string, v: Code): Code {
    return setLocal(this.f, n, 'v128', v);
  }
  private g(n: string): Code {
    return this.f.get(n);
  }

  /** acc = 0 */
  clear(acc: Accumulator): Code[] {
    acc.bound = 0;
    return acc.v.map((n) => this.set(n, v128i32([0, 0, 0, 0])));
  }

  /** acc (+)= the 20 digits at ptr + offset, sign-extended to i32. */
  extend(acc: Accumulator, ptr: Code, offset: number, add: boolean): Code[] {
    this.charge(acc, X_MAX, add);
    const parts = [
      v128.i32x4_extend_low_i16x8_s(v128.load(ptr, offset)),
      v128.i32x4_extend_high_i16x8_s(v128.load(ptr, offset)),
      v128.i32x4_extend_low_i16x8_s(v128.load(ptr, offset + 16)),
      v128.i32x4_extend_high_i16x8_s(v128.load(ptr, offset + 16)),
      v128.i32x4_extend_low_i16x8_s(v128.load(ptr, offset + 32)),
    ];
    return acc.v.map((n, i) => this.set(n, add ? v128.i32x4_add(this.g(n), parts[i]!) : parts[i]!));
  }

  /**
   * acc (+)= digits(ptr + offset) * constant whose table is at tbl + tblOffset. Each statement
   * adds `rows` digit rows to one column vector (acc_v += dot_a + dot_a+1 + ...), so that pinning
   * every statement (see interleave.ts) costs one store per `rows` dot products.
   */
  term(acc: Accumulator, ptr: Code, offset: number, tbl: Code, tblOffset: number, add = true): Code[] {
    const fresh = !add || acc.bound === 0;
    this.charge(acc, TERM_LANE_MAX, !fresh);
    const code: Code[] = [];
    const G = this.rows;
    for (let a0 = 0; a0 < DIGITS / 2; a0 += G) {
      const rows = Math.min(G, DIGITS / 2 - a0);
      for (let g = 0; g < rows; g++)
        code.push(this.f.set(this.xs[g]!, v128.load32_splat(ptr, offset + 4 * (a0 + g))));
      for (let vi = 0; vi < 5; vi++) {
        const n = acc.v[vi]!;
        let sum: Code | null = null;
        for (let g = 0; g < rows; g++) {
          const d = v128.i32x4_dot_i16x8_s(
            this.g(this.xs[g]!),
            v128.load(tbl, tblOffset + 16 * ((a0 + g) * 5 + vi)),
          );
          sum = sum === null ? d : v128.i32x4_add(sum, d);
        }
        code.push(this.set(n, a0 === 0 && fresh ? sum! : v128.i32x4_add(this.g(n), sum!)));
      }
    }
    return code;
  }

  /** Whether another term fits in acc without reducing first. */
  fits(acc: Accumulator, extra = TERM_LANE_MAX): boolean {
    return acc.bound + extra + this.barrettLaneMax() <= LANE_LIMIT;
  }

  private charge(acc: Accumulator, amount: number, add: boolean): void {
    acc.bound = add ? acc.bound + amount : amount;
    if (!this.fits(acc, 0)) throw new Error('digit accumulator overflow');
  }

  /** |q| <= |V|/p + 1 with |V| < 6 terms' worth (each < 20 * 4129 p) plus reduced parts. */
  private qMax(): number {
    return Math.ceil((6 * TERM_LANE_MAX) / T_MAX) + 8;
  }

  private barrettLaneMax(): number {
    // q_lo < 64, |q_hi| <= qMax/64; |p_k| <= 4096, |(64p)_k| < 2^13 (top digit of 64p < 2^12.6)
    return 63 * 4096 + Math.ceil(this.qMax() / 64) * 8192;
  }

  /** Barrett step: subtracts round(V/p) * p, leaving |V| < 0.51 p (lanes stay wide). */
  reduce(acc: Accumulator): Code[] {
    const top = this.g(acc.v[4]!);
    const q = this.f.local('dg_q', 'i32');
    const qv = this.f.local('dg_qv', 'v128');
    const est = v128.f64x2_add(
      v128.f64x2_mul(v128.f64x2_convert_low_i32x4_s(top), v128f64([this.kappa[0]!, this.kappa[1]!])),
      v128.f64x2_mul(
        v128.f64x2_convert_low_i32x4_s(
          v128.i8x16_shuffle(top, top, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]),
        ),
        v128f64([this.kappa[2]!, this.kappa[3]!]),
      ),
    );
    const code: Code[] = [
      this.set(qv, est),
      this.f.set(
        q,
        op.i32_trunc_f64_s(
          op.f64_nearest(
            op.f64_add(v128.f64x2_extract_lane(this.g(qv), 0), v128.f64x2_extract_lane(this.g(qv), 1)),
          ),
        ),
      ),
      this.set(
        qv,
        v128.i32x4_splat(
          op.i32_or(
            op.i32_and(this.f.get(q), op.i32(63)),
            op.i32_shl(op.i32_shr_s(this.f.get(q), op.i32(6)), op.i32(16)),
          ),
        ),
      ),
    ];
    for (let vi = 0; vi < 5; vi++) {
      const n = acc.v[vi]!;
      code.push(
        this.set(
          n,
          v128.i32x4_add(
            this.g(n),
            v128.i32x4_dot_i16x8_s(this.g(qv), v128.load(op.i32(this.barrettTable), 16 * vi)),
          ),
        ),
      );
    }
    acc.bound += this.barrettLaneMax();
    return code;
  }

  /** Two balanced carry passes: lanes 0..18 to |d| <= 4096 + 33, lane 19 keeps the rest. */
  normalise(acc: Accumulator): Code[] {
    const code: Code[] = [];
    const h = Array.from({ length: 5 }, (_, i) => this.f.local(`dg_h${i}`, 'v128'));
    const zero = v128i32([0, 0, 0, 0]);
    for (let pass = 0; pass < 2; pass++) {
      for (let vi = 0; vi < 5; vi++) {
        let hv = v128.i32x4_shr_s(
          v128.i32x4_add(this.g(acc.v[vi]!), v128i32([4096, 4096, 4096, 4096])),
          op.i32(13),
        );
        if (vi === 4) hv = v128.and(hv, v128i32([-1, -1, -1, 0]));
        code.push(this.set(h[vi]!, hv));
      }
      for (let vi = 4; vi >= 0; vi--) {
        const n = acc.v[vi]!;
        const low = v128.i32x4_sub(this.g(n), v128.i32x4_shl(this.g(h[vi]!), op.i32(13)));
        // carries move up one lane: [h_{v-1}[3], h_v[0], h_v[1], h_v[2]]
        const prev = vi === 0 ? zero : this.g(h[vi - 1]!);
        const cin = v128.i8x16_shuffle(
          prev,
          this.g(h[vi]!),
          [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27],
        );
        code.push(this.set(n, v128.i32x4_add(low, cin)));
      }
    }
    acc.bound = X_MAX;
    return code;
  }

  /** Stores the (normalised) lanes as 20 i16 digits at ptr + offset. */
  pack(acc: Accumulator, ptr: Code, offset: number): Code[] {
    const g = (i: number) => this.g(acc.v[i]!);
    return [
      v128.store(ptr, v128.i16x8_narrow_i32x4_s(g(0), g(1)), offset),
      v128.store(ptr, v128.i16x8_narrow_i32x4_s(g(2), g(3)), offset + 16),
      v128.store(ptr, v128.i16x8_narrow_i32x4_s(g(4), v128i32([0, 0, 0, 0])), offset + 32),
    ];
  }

  /** Stores the 20 i32 lanes at ptr + offset. */
  storeColumns(acc: Accumulator, ptr: Code, offset: number): Code[] {
    return acc.v.map((n, i) => v128.store(ptr, this.g(n), offset + 16 * i));
  }

  loadColumns(acc: Accumulator, ptr: Code, offset: number, bound: number): Code[] {
    acc.bound = bound;
    return acc.v.map((n, i) => this.set(n, v128.load(ptr, offset + 16 * i)));
  }

  /**
   * Digits of a value 0 <= x < 2^256 given as four little-endian 64-bit words (i64 code): balanced
   * digits (|d| <= 4096) at dst + offset. Pair m (bits 26m .. 26m+25) is gathered from bytes
   * floor(13m/4) .. +3 and shifted by 2m mod 8 (via a multiplication, as lanes shift alike).
   */
  fromWords(words: Code[], dst: Code, offset: number): Code[] {
    const A = this.f.local('dg_a', 'v128');
    const B = this.f.local('dg_b', 'v128');
    const y = [0, 1, 2].map((i) => this.f.local(`dg_y${i}`, 'v128'));
    const h = [0, 1, 2].map((i) => this.f.local(`dg_yh${i}`, 'v128'));
    const zero = v128i32([0, 0, 0, 0]);
    const gather = (m0: number, count: number): number[] => {
      const idx: number[] = [];
      for (let l = 0; l < 4; l++) {
        const m = m0 + l;
        const b = Math.floor((13 * m) / 4);
        for (let i = 0; i < 4; i++) idx.push(l < count && b + i < 32 ? b + i : 32);
      }
      return idx;
    };
    const code: Code[] = [
      this.set(A, v128.i64x2_replace_lane(v128.i64x2_splat(words[0]!), words[1]!, 1)),
      this.set(B, v128.i64x2_replace_lane(v128.i64x2_splat(words[2]!), words[3]!, 1)),
    ];
    const srcs: [Code, Code, number[]][] = [
      [this.g(A), this.g(B), gather(0, 4)],
      [this.g(A), this.g(B), gather(4, 4)],
      // bytes 26..31 live in B; index 32+ means "zero" in the second operand
      [this.g(B), zero, gather(8, 2).map((i) => (i >= 32 ? 16 : i - 16))],
    ];
    for (let i = 0; i < 3; i++) {
      const [s0, s1, idx] = srcs[i]!;
      const bits = v128.i32x4_shr_u(
        v128.i32x4_mul(v128.i8x16_shuffle(s0, s1, idx), v128i32([64, 16, 4, 1])),
        op.i32(6),
      );
      code.push(this.set(y[i]!, bits));
      code.push(
        this.set(
          y[i]!,
          v128.or(
            v128.and(this.g(y[i]!), v128i32([0x1fff, 0x1fff, 0x1fff, 0x1fff])),
            v128.and(
              v128.i32x4_shl(this.g(y[i]!), op.i32(3)),
              v128i32([0x1fff0000, 0x1fff0000, 0x1fff0000, 0x1fff0000]),
            ),
          ),
        ),
      );
    }
    // balance: d >= 4096 becomes d - 8192 with a carry into the next digit (one i16 lane up)
    const c4096 = v128.i16x8_splat(op.i32(4096));
    for (let i = 0; i < 3; i++)
      code.push(this.set(h[i]!, v128.i16x8_shr_s(v128.i16x8_add(this.g(y[i]!), c4096), op.i32(13))));
    for (let i = 0; i < 3; i++) {
      const prev = i === 0 ? zero : this.g(h[i - 1]!);
      const cin = v128.i8x16_shuffle(
        prev,
        this.g(h[i]!),
        [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
      );
      const low = v128.i16x8_sub(this.g(y[i]!), v128.i16x8_shl(this.g(h[i]!), op.i32(13)));
      code.push(v128.store(dst, v128.i16x8_add(low, cin), offset + 16 * i));
    }
    return code;
  }
}
