import { ELEM, toLimbs, toMont } from '../crypto/wasm/field-gen.ts';
/**
 * sqrt(u/v) in F_p on the shared WebAssembly field kernel (core/src/crypto/wasm), about 5x faster
 * than BigInt. Used by hash-to-point and point decoding, on public values only. Falls back to the
 * BigInt field (field.ts) if the kernel lacks a function.
 */
import { type Kernel, kernel } from '../crypto/wasm/kernel.ts';
import { P, finv, fmod, fsqrt } from './field.ts';

const S = 28;
// p - 1 = 2^28 * Q
const Q = (P - 1n) >> BigInt(S);
const HALF_Q_WINDOWS = (() => {
  const bits = ((Q - 1n) / 2n).toString(2);
  const padded = '0'.repeat((4 - (bits.length % 4)) % 4) + bits;
  const out: number[] = [];
  for (let i = 0; i < padded.length; i += 4) out.push(Number.parseInt(padded.slice(i, i + 4), 2));
  return out;
})();

interface Field {
  k: Kernel;
  f: Record<string, (...args: number[]) => number>;
  n: {
    mul: string;
    sqr: string;
    canon: string;
    eq: string;
    copy: string;
    inv: string;
    fromBytes: string;
    toBytes: string;
    toMont: string;
    fromMont: string;
  };
  one: number;
  io: number;
  u: number;
  v: number;
  w: number;
  r: number;
  t: number;
  c: number;
  b: number;
  tt: number;
  tmp: number;
  root: number;
  table: number;
}

let field: Field | null | undefined;

function setup(): Field | null {
  try {
    const k = kernel();
    const F = k.F;
    const n = {
      mul: F.mul,
      sqr: F.sqr,
      canon: F.canon,
      eq: F.eq,
      copy: F.copy,
      inv: F.inv,
      fromBytes: F.fromBytes,
      toBytes: F.toBytes,
      toMont: F.toMont,
      fromMont: F.fromMont,
    };
    for (const name of Object.values(n)) if (typeof k.fn[name] !== 'function') return null;
    if (ELEM !== 36) return null;
    const slot = () => k.alloc(ELEM);
    const fld: Field = {
      k,
      f: k.fn,
      n,
      one: F.ONE,
      io: k.alloc(64),
      u: slot(),
      v: slot(),
      w: slot(),
      r: slot(),
      t: slot(),
      c: slot(),
      b: slot(),
      tt: slot(),
      tmp: slot(),
      root: slot(),
      table: k.alloc(16 * ELEM),
    };
    // 2^28-th root of unity z^Q for the smallest non-residue z, in Montgomery form
    let z = 2n;
    const legendre = (a: bigint) => {
      let r = 1n;
      let b = a;
      let e = (P - 1n) / 2n;
      while (e > 0n) {
        if (e & 1n) r = (r * b) % P;
        b = (b * b) % P;
        e >>= 1n;
      }
      return r;
    };
    while (legendre(z) !== P - 1n) z++;
    let root = 1n;
    {
      let b = z;
      let e = Q;
      while (e > 0n) {
        if (e & 1n) root = (root * b) % P;
        b = (b * b) % P;
        e >>= 1n;
      }
    }
    k.u32().set(toLimbs(toMont(root, P)), fld.root / 4);
    return fld;
  } catch {
    return null;
  }
}

function load(fl: Field, slot: number, x: bigint): void {
  fl.k.writeBytes32(fl.io, x);
  fl.f[fl.n.fromBytes]!(slot, fl.io);
  fl.f[fl.n.toMont]!(slot, slot);
}

function isOne(fl: Field, slot: number): boolean {
  fl.f[fl.n.canon]!(fl.tmp, slot);
  return fl.f[fl.n.eq]!(fl.tmp, fl.one) === 1;
}

/** A square root of u/v (v != 0), or null when u/v is not a square. Which root is unspecified. */
export function sqrtRatio(u: bigint, v: bigint): bigint | null {
  if (field === undefined) field = setup();
  const fl = field;
  const a = fmod(u);
  const d = fmod(v);
  if (fl === null) return fsqrt((a * finv(d)) % P);
  if (a === 0n) return 0n;
  const { f, n } = fl;
  const mul = f[n.mul]!;
  const sqr = f[n.sqr]!;
  // w = u / v (Montgomery form)
  load(fl, fl.u, a);
  load(fl, fl.v, d);
  f[n.inv]!(fl.v, fl.v);
  mul(fl.w, fl.u, fl.v);
  // table[i] = w^i, i = 1..15
  f[n.copy]!(fl.table + ELEM, fl.w);
  for (let i = 2; i < 16; i++) mul(fl.table + i * ELEM, fl.table + (i - 1) * ELEM, fl.w);
  // r = w^((Q-1)/2) by 4-bit windows
  let started = false;
  for (const digit of HALF_Q_WINDOWS) {
    if (started) {
      sqr(fl.r, fl.r);
      sqr(fl.r, fl.r);
      sqr(fl.r, fl.r);
      sqr(fl.r, fl.r);
      if (digit) mul(fl.r, fl.r, fl.table + digit * ELEM);
    } else if (digit) {
      f[n.copy]!(fl.r, fl.table + digit * ELEM);
      started = true;
    }
  }
  // Tonelli-Shanks: r = w^((Q+1)/2), t = w^Q, c = root of unity of order 2^m
  mul(fl.t, fl.r, fl.r);
  mul(fl.t, fl.t, fl.w);
  mul(fl.r, fl.r, fl.w);
  f[n.copy]!(fl.c, fl.root);
  let m = S;
  while (!isOne(fl, fl.t)) {
    let i = 0;
    f[n.copy]!(fl.tt, fl.t);
    do {
      sqr(fl.tt, fl.tt);
      i++;
      if (i === m) return null;
    } while (!isOne(fl, fl.tt));
    f[n.copy]!(fl.b, fl.c);
    for (let j = 0; j < m - i - 1; j++) sqr(fl.b, fl.b);
    mul(fl.r, fl.r, fl.b);
    sqr(fl.c, fl.b);
    mul(fl.t, fl.t, fl.c);
    m = i;
  }
  f[n.fromMont]!(fl.r, fl.r);
  f[n.toBytes]!(fl.io, fl.r);
  return fl.k.readBytes32(fl.io);
}

/** For tests: whether the kernel path is in use. */
export function sqrtRatioUsesKernel(): boolean {
  if (field === undefined) field = setup();
  return field !== null;
}
