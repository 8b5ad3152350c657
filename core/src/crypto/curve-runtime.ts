/**
 * JS side of the curve kernel: lazily built base-point tables, fixed scratch areas and the wNAF
 * recoding of public scalars. Internal to the crypto module.
 */
import { BASE8_X, BASE8_Y } from './params.ts';
import { CACHED, EXT } from './wasm/curve-gen.ts';
import { type Kernel, kernel } from './wasm/kernel.ts';

export interface CurveRuntime {
  k: Kernel;
  /** Two signed-digit arrays of 256 entries for the wNAF of public scalars. */
  nafA: number;
  nafB: number;
  /** Extended-point scratch slots. */
  p0: number;
  p1: number;
  p2: number;
  c0: number;
  /** 32-byte slots for coordinates/scalars (separate from the Poseidon I/O area). */
  b: readonly number[];
  /** Private area for signing secrets (wiped after each use). */
  secret: number;
  secretBytes: number;
}

let rt: CurveRuntime | undefined;
let combReady = false;

export function curve(): CurveRuntime {
  if (!rt) {
    const k = kernel();
    const nafA = k.alloc(256);
    const nafB = k.alloc(256);
    const p0 = k.alloc(EXT);
    const p1 = k.alloc(EXT);
    const p2 = k.alloc(EXT);
    const c0 = k.alloc(CACHED);
    const bBase = k.alloc(8 * 32);
    const b = [...Array(8).keys()].map((i) => bBase + 32 * i);
    const secretBytes = 256;
    const secret = k.alloc(secretBytes);
    k.writeBytes32(b[0]!, BASE8_X);
    k.writeBytes32(b[1]!, BASE8_Y);
    k.fn.ed_build_base_odd!(b[0]!, b[1]!);
    rt = { k, nafA, nafB, p0, p1, p2, c0, b, secret, secretBytes };
  }
  return rt;
}

/** The runtime with the fixed-base comb (for multiplications of B8 by secret scalars) ready. */
export function curveWithComb(): CurveRuntime {
  const c = curve();
  if (!combReady) {
    c.k.fn.ed_build_base_comb!();
    combReady = true;
  }
  return c;
}

/** Zeroes everything the kernel may have left of a secret computation. */
export function wipeSecrets(c: CurveRuntime): void {
  const u8 = c.k.u8();
  u8.fill(0, c.secret, c.secret + c.secretBytes);
  u8.fill(0, c.k.curve.scratchStart, c.k.curve.scratchEnd);
}

const words = new Uint32Array(9);
const wordsView = new DataView(words.buffer);

/**
 * Width-w NAF of 0 <= k < 2^253 written as signed bytes at `dst` (256 entries, all rewritten).
 * Returns the index of the highest non-zero digit, or -1 for k = 0. Variable time: public scalars.
 */
export function writeWnaf(c: CurveRuntime, dst: number, k: bigint, w: number): number {
  const M64 = (1n << 64n) - 1n;
  wordsView.setBigUint64(0, k & M64, true);
  wordsView.setBigUint64(8, (k >> 64n) & M64, true);
  wordsView.setBigUint64(16, (k >> 128n) & M64, true);
  wordsView.setBigUint64(24, (k >> 192n) & M64, true);
  words[8] = 0;
  const naf = new Int8Array(c.k.u8().buffer, dst, 256);
  naf.fill(0);
  const bits = (pos: number, n: number): number => {
    const wi = pos >>> 5;
    const sh = pos & 31;
    let v = words[wi]! >>> sh;
    if (sh + n > 32) v |= words[wi + 1]! << (32 - sh);
    return v & ((1 << n) - 1);
  };
  const full = 1 << w;
  const half = 1 << (w - 1);
  let carry = 0;
  let top = -1;
  let pos = 0;
  while (pos < 256) {
    const bit = bits(pos, 1);
    if (bit === carry) {
      pos++;
      continue;
    }
    const window = bits(pos, Math.min(w, 256 - pos)) + carry;
    let digit: number;
    if (window & half) {
      digit = window - full;
      carry = 1;
    } else {
      digit = window;
      carry = 0;
    }
    naf[pos] = digit;
    top = pos;
    pos += w;
  }
  if (carry !== 0) throw new Error('wNAF: scalar too large');
  return top;
}
