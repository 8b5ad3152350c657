/**
 * The A-LSAG chain step on the shared WebAssembly BabyJubJub kernel (core/src/crypto/wasm).
 *
 * The kernel provides extended-coordinate point operations on its memory (ed_dbl, ed_add,
 * ed_to_cached, ...) and an interleaved wNAF multiplication with Base8 (ed_strauss). What
 * A-LSAG needs beyond that - a Straus loop over two variable bases, fixed-base tables for G, the
 * observer key and C2 + mu*C1 - is orchestrated here from JS, one kernel call per point
 * operation; the call overhead is small next to the field arithmetic.
 *
 * Only public data passes through here (verification, and the decoy members while signing):
 * everything is variable time.
 */
import { curve } from '../crypto/curve-runtime.ts';
import { CACHED, EXT, ISO_C } from '../crypto/wasm/curve-gen.ts';
import { ELEM, toLimbs, toMont } from '../crypto/wasm/field-gen.ts';
import { type Kernel, kernel } from '../crypto/wasm/kernel.ts';
import { wnaf } from './curve.ts';
import type { ChainRunner, ChainSetup, Engine } from './engine.ts';
import { finv } from './field.ts';
import { P } from './field.ts';
import { BASE8, type Point } from './primitives.ts';
import { L } from './scalar.ts';
import { roundChallenge } from './transcript.ts';

const REQUIRED = [
  'ed_load_affine',
  'ed_dbl',
  'ed_add',
  'ed_neg_cached',
  'ed_to_cached',
  'ed_identity',
  'ed_copy',
  'ed_build_odd',
  'ed_strauss',
] as const;

type Fn = (...args: number[]) => number;
type Ops = Record<(typeof REQUIRED)[number], Fn>;

/** Odd multiples P, 3P, ..., 15P (wNAF width 5) for variable bases. */
const ODD = 8;
const W_VAR = 5;
/** ed_strauss reads Base8 digits of this width (the kernel's Base8 table). */
const W_BASE = 8;
const OBSERVER_POOL = 4;

class FixedTable {
  readonly half: number;
  readonly windows: number;
  constructor(
    readonly addr: number,
    readonly w: 4 | 8,
  ) {
    this.half = 1 << (w - 1);
    this.windows = Math.ceil(253 / w);
  }
  static bytes(w: 4 | 8): number {
    return Math.ceil(253 / w) * (1 << (w - 1)) * CACHED;
  }
  entry(j: number, m: number): number {
    return this.addr + (j * this.half + m - 1) * CACHED;
  }
}

interface FieldOps {
  mul: Fn;
  inv: Fn;
  fromMont: Fn;
  toBytes: Fn;
}

interface Arena {
  k: Kernel;
  op: Ops;
  fp: FieldOps;
  /** 1/sqrt(-a) in Montgomery form: maps the kernel's u-coordinate back to x. */
  isoInv: number;
  /** Field-element scratch for the batched normalisation. */
  fe: number[];
  xb: number[];
  yb: number[];
  pa: number;
  pb: number;
  k1: number;
  k2: number;
  k3: number;
  muC1: number;
  muC1c: number;
  negC: number;
  nafA: number;
  nafB: number;
  tblW: number;
  tblH: number;
  tblI: number;
  v: FixedTable;
  g: FixedTable;
  pool: FixedTable[];
  poolKeys: (string | null)[];
  poolNext: number;
  generation: number;
}

let arena: Arena | undefined;

function createArena(): Arena {
  const k = kernel();
  curve(); // builds the kernel's Base8 wNAF table used by ed_strauss
  const op = {} as Ops;
  for (const name of REQUIRED) {
    const f = k.fn[name];
    if (typeof f !== 'function') throw new Error(`crypto kernel lacks ${name}`);
    op[name] = f;
  }
  const fp = {} as FieldOps;
  for (const [key, name] of [
    ['mul', k.F.mul],
    ['inv', k.F.inv],
    ['fromMont', k.F.fromMont],
    ['toBytes', k.F.toBytes],
  ] as const) {
    const f = k.fn[name];
    if (typeof f !== 'function') throw new Error(`crypto kernel lacks ${name}`);
    fp[key] = f;
  }
  if (EXT !== 4 * ELEM) throw new Error('unexpected extended-point layout');
  const slot = (bytes: number) => k.alloc(bytes);
  const isoInv = slot(ELEM);
  k.u32().set(toLimbs(toMont(finv(ISO_C), P)), isoInv / 4);
  const a: Arena = {
    k,
    op,
    fp,
    isoInv,
    fe: Array.from({ length: 8 }, () => slot(ELEM)),
    xb: [slot(32), slot(32), slot(32)],
    yb: [slot(32), slot(32), slot(32)],
    pa: slot(EXT),
    pb: slot(EXT),
    k1: slot(EXT),
    k2: slot(EXT),
    k3: slot(EXT),
    muC1: slot(EXT),
    muC1c: slot(CACHED),
    negC: slot(CACHED),
    nafA: slot(256),
    nafB: slot(256),
    tblW: slot(ODD * CACHED),
    tblH: slot(ODD * CACHED),
    tblI: slot(ODD * CACHED),
    v: new FixedTable(slot(FixedTable.bytes(4)), 4),
    g: new FixedTable(slot(FixedTable.bytes(8)), 8),
    pool: [],
    poolKeys: [],
    poolNext: 0,
    generation: 0,
  };
  for (let i = 0; i < OBSERVER_POOL; i++) {
    a.pool.push(new FixedTable(slot(FixedTable.bytes(8)), 8));
    a.poolKeys.push(null);
  }
  load(a, a.pa, BASE8);
  buildFixed(a, a.g, a.pa);
  return a;
}

function load(a: Arena, slot: number, pt: Point): void {
  a.k.writeBytes32(a.xb[0]!, pt[0]);
  a.k.writeBytes32(a.yb[0]!, pt[1]);
  a.op.ed_load_affine(slot, a.xb[0]!, a.yb[0]!);
}

/** Fills t with m * 2^(w j) * B (cached form); `base` (extended) is clobbered. */
function buildFixed(a: Arena, t: FixedTable, base: number): void {
  const { op } = a;
  const e = a.k1;
  for (let j = 0; j < t.windows; j++) {
    const first = t.entry(j, 1);
    op.ed_to_cached(first, base);
    op.ed_copy(e, base);
    for (let m = 2; m <= t.half; m++) {
      op.ed_add(e, e, first);
      op.ed_to_cached(t.entry(j, m), e);
    }
    op.ed_dbl(base, e, 1);
  }
}

/** acc += k * B from B's fixed table (acc must carry T; the result does). */
function fixedMul(a: Arena, t: FixedTable, k: bigint, acc: number): void {
  const { op } = a;
  const hex = k.toString(16).padStart(64, '0');
  const full = 1 << t.w;
  const digitsPerWindow = t.w / 4;
  let carry = 0;
  for (let j = 0; j < t.windows; j++) {
    const end = 64 - j * digitsPerWindow;
    let v = (end > 0 ? Number.parseInt(hex.slice(Math.max(0, end - digitsPerWindow), end), 16) : 0) + carry;
    if (v > t.half) {
      v -= full;
      carry = 1;
    } else {
      carry = 0;
    }
    if (v > 0) op.ed_add(acc, acc, t.entry(j, v));
    else if (v < 0) {
      op.ed_neg_cached(a.negC, t.entry(j, -v));
      op.ed_add(acc, acc, a.negC);
    }
  }
  if (carry !== 0) throw new RangeError('fixed-base scalar out of range');
}

function topOf(d: Int8Array): number {
  let i = d.length - 1;
  while (i >= 0 && d[i] === 0) i--;
  return i;
}

/** out = sum d_j * Q_j over odd-multiple tables (wNAF width 5); T kept when `needT`. */
function straus(a: Arena, out: number, terms: { d: Int8Array; tbl: number }[], needT: boolean): void {
  const { op } = a;
  let top = -1;
  for (const t of terms) top = Math.max(top, topOf(t.d));
  op.ed_identity(out);
  for (let i = top; i >= 0; i--) {
    let any = false;
    for (const t of terms) if (t.d[i] !== 0) any = true;
    op.ed_dbl(out, out, any || (i === 0 && needT) ? 1 : 0);
    for (const t of terms) {
      const d = t.d[i]!;
      if (d > 0) op.ed_add(out, out, t.tbl + ((d - 1) >> 1) * CACHED);
      else if (d < 0) {
        op.ed_neg_cached(a.negC, t.tbl + ((-d - 1) >> 1) * CACHED);
        op.ed_add(out, out, a.negC);
      }
    }
  }
}

function writeDigits(a: Arena, addr: number, d: Int8Array): void {
  const view = new Int8Array(a.k.u8().buffer, addr, 256);
  view.fill(0);
  view.set(d.subarray(0, Math.min(d.length, 256)));
}

function observerTable(a: Arena, y: Point): FixedTable {
  const key = `${y[0].toString(16)}:${y[1].toString(16)}`;
  const hit = a.poolKeys.indexOf(key);
  if (hit >= 0) return a.pool[hit]!;
  const slotIdx = a.poolNext;
  a.poolNext = (a.poolNext + 1) % OBSERVER_POOL;
  a.poolKeys[slotIdx] = null;
  load(a, a.pa, y);
  buildFixed(a, a.pool[slotIdx]!, a.pa);
  a.poolKeys[slotIdx] = key;
  return a.pool[slotIdx]!;
}

export function clearWasmEngineCaches(): void {
  if (arena) arena.poolKeys.fill(null);
}

// Extended point layout in kernel memory: X, Y, Z, T (Montgomery form, u = sqrt(-a) * x).
const OFF_Y = ELEM;
const OFF_Z = 2 * ELEM;

/** Affine (x, y) of three extended points with one field inversion (Montgomery's trick). */
function readAffine3(a: Arena, p: readonly [number, number, number]): [Point, Point, Point] {
  const { mul, inv, fromMont, toBytes } = a.fp;
  const [m12, m123, iAll, i1, i2, i3, tmp, out] = a.fe as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  mul(m12, p[0] + OFF_Z, p[1] + OFF_Z);
  mul(m123, m12, p[2] + OFF_Z);
  inv(iAll, m123);
  mul(i3, iAll, m12);
  mul(tmp, iAll, p[2] + OFF_Z);
  mul(i1, tmp, p[1] + OFF_Z);
  mul(i2, tmp, p[0] + OFF_Z);
  const invs = [i1, i2, i3];
  const res: Point[] = [];
  for (let k = 0; k < 3; k++) {
    mul(out, p[k]!, invs[k]!);
    mul(out, out, a.isoInv);
    fromMont(out, out);
    toBytes(a.xb[k]!, out);
    mul(out, p[k]! + OFF_Y, invs[k]!);
    fromMont(out, out);
    toBytes(a.yb[k]!, out);
    res.push([a.k.readBytes32(a.xb[k]!), a.k.readBytes32(a.yb[k]!)]);
  }
  return res as [Point, Point, Point];
}

export const wasmEngine: Engine = {
  name: 'wasm',
  prepare(s: ChainSetup): ChainRunner {
    arena ??= createArena();
    const a = arena;
    const { op } = a;
    const generation = ++a.generation;
    const y = observerTable(a, s.observerKey);
    // mu*C1 (extended, with T) and its cached form
    load(a, a.pa, s.c1);
    op.ed_build_odd(a.tblW, a.pa, ODD, 0);
    straus(a, a.muC1, [{ d: wnaf(s.mu, W_VAR), tbl: a.tblW }], true);
    op.ed_to_cached(a.muC1c, a.muC1);
    // V = C2 + mu*C1 -> fixed table
    load(a, a.pa, s.c2);
    op.ed_add(a.pb, a.pa, a.muC1c);
    buildFixed(a, a.v, a.pb);
    // odd multiples of I
    load(a, a.pa, s.keyImage);
    op.ed_build_odd(a.tblI, a.pa, ODD, 0);

    return {
      step(i, c, s1, s2) {
        if (a.generation !== generation) throw new Error('wasm chain state was reused by another signature');
        const t = (s1 + s.mu * s2) % L;
        const cDigits = wnaf(c, W_VAR);
        // K1 = t*G + c*(P_i + mu*C1), one interleaved chain in the kernel
        load(a, a.pa, s.ring[i]!);
        op.ed_add(a.pb, a.pa, a.muC1c);
        op.ed_build_odd(a.tblW, a.pb, ODD, 0);
        const tDigits = wnaf(t, W_BASE);
        writeDigits(a, a.nafA, tDigits);
        writeDigits(a, a.nafB, cDigits);
        op.ed_strauss(a.k1, a.nafA, a.nafB, a.tblW, Math.max(topOf(tDigits), topOf(cDigits), 0));
        // K2 = s1*Hp(P_i) + c*I
        load(a, a.pa, s.hp[i]!);
        op.ed_build_odd(a.tblH, a.pa, ODD, 0);
        straus(
          a,
          a.k2,
          [
            { d: wnaf(s1, W_VAR), tbl: a.tblH },
            { d: cDigits, tbl: a.tblI },
          ],
          false,
        );
        // K3 = t*G + s2*Y + c*(C2 + mu*C1) from fixed tables
        op.ed_identity(a.k3);
        fixedMul(a, a.g, t, a.k3);
        fixedMul(a, y, s2, a.k3);
        fixedMul(a, a.v, c, a.k3);
        const [k1, k2, k3] = readAffine3(a, [a.k1, a.k2, a.k3]);
        return roundChallenge(s.d, i, k1, k2, k3);
      },
    };
  },
};

/** The engine if the kernel has everything it needs, else null. */
export function tryWasmEngine(): Engine | null {
  try {
    arena ??= createArena();
    return wasmEngine;
  } catch {
    return null;
  }
}
