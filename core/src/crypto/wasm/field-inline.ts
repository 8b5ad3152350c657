/**
 * Straight-line BN254-r field arithmetic on wasm locals (9 limbs of 29 bits, Montgomery radix
 * R = 2^261, same representation and bounds as field-gen.ts), emitted as lists of statements so
 * that it can be interleaved with independent SIMD work (see interleave.ts). No calls, no memory
 * traffic except where a method says so.
 *
 * Limb sets are arrays of i64 local names. "Normalised" means limbs 0..7 below 2^29 and the top
 * limb holding the rest; the multiplications accept any normalised value below 13p and return
 * a normalised value below 2p (plus an optional addend).
 */
import { modInverse } from '../bigmath.ts';
import { type Code, type FunctionBuilder, op } from './encoder.ts';
import { setLocal } from './interleave.ts';

export const LIMBS = 9;
const MASK_BIG = (1n << 29n) - 1n;
const MASK: Code = op.i64(MASK_BIG);

export function toLimbs29(value: bigint): bigint[] {
  const out: bigint[] = [];
  let x = value;
  for (let i = 0; i < LIMBS; i++) {
    out.push(x & MASK_BIG);
    x >>= 29n;
  }
  if (x !== 0n) throw new Error('value too large for 9 limbs');
  return out;
}

export class InlineField {
  private readonly pl: bigint[];
  private id = 0;

  constructor(
    readonly f: FunctionBuilder,
    readonly p: bigint,
  ) {
    this.pl = toLimbs29(p);
    // -p^-1 mod 2^29 = 2^28 - 1 for BN254's r (p0 = 2^28 + 1): q and q*p0 become shifts.
    if (this.pl[0] !== (1n << 28n) + 1n || (1n << 29n) - modInverse(p, 1n << 29n) !== (1n << 28n) - 1n) {
      throw new Error('InlineField supports moduli with p = 2^28 + 1 mod 2^29 only');
    }
  }

  /** Fresh i64 locals. */
  locals(count: number, base: string): string[] {
    const id = this.id++;
    return Array.from({ length: count }, (_, i) => this.f.local(`${base}${id}_${i}`, 'i64'));
  }

  private g(n: string): Code {
    return this.f.get(n);
  }
  private set(n: string, v: Code): Code {
    return setLocal(this.f, n, 'i64', v);
  }
  private add(n: string, v: Code): Code {
    return this.set(n, op.i64_add(this.g(n), v));
  }
  /** q = -c * p^-1 mod 2^29 */
  private q(c: Code): Code {
    return op.i64_and(op.i64_sub(op.i64_shl(c, op.i64(28)), c), MASK);
  }
  /** (c + q * p0) >> 29 */
  private shiftOut(c: Code, q: string): Code {
    return op.i64_shr_u(op.i64_add(op.i64_add(c, op.i64_shl(this.g(q), op.i64(28))), this.g(q)), op.i64(29));
  }

  load(ptr: Code, offset: number, dst: string[]): Code[] {
    return dst.map((d, k) => this.set(d, op.i64_load32_u(ptr, offset + 4 * k)));
  }

  store(ptr: Code, offset: number, src: string[]): Code[] {
    return src.map((s, k) => op.i64_store32(ptr, this.g(s), offset + 4 * k));
  }

  /** Carry-normalises src into dst, first adding addend[k] (i64 code) to limb k. */
  normalise(src: string[], dst: string[], addend?: (k: number) => Code): Code[] {
    const code: Code[] = [];
    if (addend) for (let k = 0; k < LIMBS; k++) code.push(this.add(src[k]!, addend(k)));
    for (let k = 0; k < LIMBS - 1; k++) {
      code.push(this.add(src[k + 1]!, op.i64_shr_u(this.g(src[k]!), op.i64(29))));
      code.push(this.set(dst[k]!, op.i64_and(this.g(src[k]!), MASK)));
    }
    code.push(this.set(dst[LIMBS - 1]!, this.g(src[LIMBS - 1]!)));
    return code;
  }

  /**
   * out = a^2 / R: product scanning (45 products), then 9 Montgomery steps. Cross products are
   * summed and doubled once per column (rather than pre-doubling the limbs), which keeps only the
   * nine limbs live and saves registers.
   */
  sqr(a: string[], out: string[]): Code[] {
    const c = this.locals(2 * LIMBS, 'sc');
    const q = this.locals(1, 'sq')[0]!;
    const code: Code[] = [];
    for (let k = 0; k < 2 * LIMBS - 1; k++) {
      let cross: Code | null = null;
      for (let i = 0; i < LIMBS; i++) {
        const j = k - i;
        if (j <= i || j >= LIMBS) continue;
        const prod = op.i64_mul(this.g(a[i]!), this.g(a[j]!));
        cross = cross === null ? prod : op.i64_add(cross, prod);
      }
      let sum: Code | null = cross === null ? null : op.i64_shl(cross, op.i64(1));
      if (k % 2 === 0) {
        const sq = op.i64_mul(this.g(a[k / 2]!), this.g(a[k / 2]!));
        sum = sum === null ? sq : op.i64_add(sum, sq);
      }
      code.push(this.set(c[k]!, sum!));
    }
    code.push(this.set(c[2 * LIMBS - 1]!, op.i64(0)));
    for (let s = 0; s < LIMBS; s++) {
      code.push(this.set(q, this.q(this.g(c[s]!))));
      code.push(this.add(c[s + 1]!, this.shiftOut(this.g(c[s]!), q)));
      for (let k = 1; k < LIMBS; k++)
        code.push(this.add(c[s + k]!, op.i64_mul(this.g(q), op.i64(this.pl[k]!))));
    }
    code.push(...this.normalise(c.slice(LIMBS), out));
    return code;
  }

  /** out = a*b / R (+ addend): operand scanning with the reduction interleaved. */
  mul(a: string[], b: string[], out: string[], addend?: (k: number) => Code): Code[] {
    const s = this.locals(LIMBS, 'ms');
    const q = this.locals(1, 'mq')[0]!;
    const code: Code[] = [];
    for (let i = 0; i < LIMBS; i++) {
      for (let j = 0; j < LIMBS; j++) {
        const prod = op.i64_mul(this.g(a[i]!), this.g(b[j]!));
        code.push(this.set(s[j]!, i === 0 || j === LIMBS - 1 ? prod : op.i64_add(this.g(s[j]!), prod)));
      }
      code.push(this.set(q, this.q(this.g(s[0]!))));
      code.push(
        this.set(
          s[0]!,
          op.i64_add(
            op.i64_add(this.g(s[1]!), op.i64_mul(this.g(q), op.i64(this.pl[1]!))),
            this.shiftOut(this.g(s[0]!), q),
          ),
        ),
      );
      for (let j = 1; j < LIMBS - 1; j++) {
        code.push(
          this.set(s[j]!, op.i64_add(this.g(s[j + 1]!), op.i64_mul(this.g(q), op.i64(this.pl[j + 1]!)))),
        );
      }
    }
    code.push(this.set(s[LIMBS - 1]!, op.i64(0)));
    code.push(...this.normalise(s, out, addend));
    return code;
  }

  /** out = x^5 (Montgomery) + addend. */
  pow5(x: string[], out: string[], addend?: (k: number) => Code): Code[] {
    const x2 = this.locals(LIMBS, 'x2_');
    const x4 = this.locals(LIMBS, 'x4_');
    return [...this.sqr(x, x2), ...this.sqr(x2, x4), ...this.mul(x4, x, out, addend)];
  }

  /** The four little-endian 64-bit words of normalised limbs (value < 2^256), as code. */
  words(src: string[]): Code[] {
    const out: Code[] = [];
    for (let w = 0; w < 4; w++) {
      let word: Code = op.i64(0);
      for (let k = 0; k < LIMBS; k++) {
        const lo = 29 * k;
        if (lo + 29 <= 64 * w || lo >= 64 * (w + 1)) continue;
        const part =
          lo >= 64 * w
            ? op.i64_shl(this.g(src[k]!), op.i64(lo - 64 * w))
            : op.i64_shr_u(this.g(src[k]!), op.i64(64 * w - lo));
        word = op.i64_or(word, part);
      }
      out.push(word);
    }
    return out;
  }

  /** Stores normalised limbs (value < 2^256) as 32 little-endian bytes at ptr + offset. */
  toBytes(src: string[], ptr: Code, offset: number): Code[] {
    return this.words(src).map((w, i) => op.i64_store(ptr, w, offset + 8 * i));
  }

  /** Sets fresh locals to the four words of src; returns [statements, locals]. */
  wordLocals(src: string[]): [Code[], string[]] {
    const w = this.locals(4, 'w');
    return [this.words(src).map((c, i) => this.set(w[i]!, c)), w];
  }

  /** dst = 32 little-endian bytes at ptr + offset (any value below 2^256), plus addend limbs. */
  fromBytes(ptr: Code, offset: number, dst: string[], addend?: (k: number) => Code): Code[] {
    const w = this.locals(4, 'fw');
    const code: Code[] = w.map((wj, j) => this.set(wj, op.i64_load(ptr, offset + 8 * j)));
    for (let k = 0; k < LIMBS; k++) {
      const bit = 29 * k;
      const word = bit >> 6;
      const sh = bit & 63;
      let v: Code = op.i64_shr_u(this.g(w[word]!), op.i64(sh));
      if (sh > 64 - 29 && word + 1 < 4) v = op.i64_or(v, op.i64_shl(this.g(w[word + 1]!), op.i64(64 - sh)));
      v = op.i64_and(v, MASK);
      code.push(this.set(dst[k]!, addend ? op.i64_add(v, addend(k)) : v));
    }
    return code;
  }

  /**
   * dst = sum_k col_k * 2^(13 k) + bias (+ addend limbs), normalised: converts 20 signed columns in
   * radix 2^13 (i32 or i16 in memory at ptr + offset) to limbs. Requires the total to be
   * non-negative and below 2^261; columns may be anything in i32.
   */
  fromColumns(
    ptr: Code,
    offset: number,
    kind: 'i32' | 'i16',
    dst: string[],
    bias: bigint,
    addend?: string[],
  ): Code[] {
    const acc = this.locals(1, 'cacc')[0]!;
    const bl = toLimbs29(bias);
    const code: Code[] = [];
    for (let j = 0; j < LIMBS; j++) {
      let sum: Code =
        j === 0 ? op.i64(bl[0]!) : op.i64_add(op.i64_shr_s(this.g(acc), op.i64(29)), op.i64(bl[j]!));
      if (addend) sum = op.i64_add(sum, this.g(addend[j]!));
      for (let k = 0; k < 20; k++) {
        const at = 13 * k - 29 * j;
        if (at < 0 || at >= 29) continue;
        const col =
          kind === 'i32' ? op.i64_load32_s(ptr, offset + 4 * k) : op.i64_load16_s(ptr, offset + 2 * k);
        sum = op.i64_add(sum, at === 0 ? col : op.i64_shl(col, op.i64(at)));
      }
      code.push(this.set(acc, sum));
      code.push(this.set(dst[j]!, j === LIMBS - 1 ? this.g(acc) : op.i64_and(this.g(acc), MASK)));
    }
    return code;
  }

  /** dst = a mod p for normalised a < 2p (masked conditional subtraction). */
  canon(a: string[], dst: string[]): Code[] {
    const d = this.locals(LIMBS, 'cd');
    const mask = this.locals(1, 'cm')[0]!;
    const code: Code[] = [];
    for (let k = 0; k < LIMBS; k++)
      code.push(this.set(d[k]!, op.i64_sub(this.g(a[k]!), op.i64(this.pl[k]!))));
    for (let k = 0; k < LIMBS - 1; k++) {
      code.push(this.add(d[k + 1]!, op.i64_shr_s(this.g(d[k]!), op.i64(29))));
      code.push(this.set(d[k]!, op.i64_and(this.g(d[k]!), MASK)));
    }
    code.push(this.set(mask, op.i64_shr_s(this.g(d[LIMBS - 1]!), op.i64(63))));
    for (let k = 0; k < LIMBS; k++) {
      code.push(
        this.set(
          dst[k]!,
          op.i64_xor(this.g(d[k]!), op.i64_and(op.i64_xor(this.g(d[k]!), this.g(a[k]!)), this.g(mask))),
        ),
      );
    }
    return code;
  }
}
