import { mod, modInverse, sqrtMod } from '../bigmath.ts';
/**
 * Generates BabyJubJub point arithmetic, scalar multiplication and the EdDSA verification core.
 *
 * Internally points live on the isomorphic curve -u^2 + y^2 = 1 + d' u^2 y^2 with u = c*x,
 * c = sqrt(-a) and d' = -d/a (a = 168700 is a square, so -a is too because -1 is a square mod r).
 * That lets us use the cheaper a = -1 extended-coordinate formulas of Hisil-Wong-Carter-Dawson
 * (2008). Since d' is a non-square these formulas are complete: no exceptional cases, the
 * identity and small-order points need no special handling.
 *
 * Formats in memory (36-byte field elements, Montgomery form):
 *   extended  X, Y, Z, T           (x = X/Z, y = Y/Z, T = XY/Z)
 *   cached    Y-X, Y+X, 2Z, 2d'T    (the addend form of a variable point)
 *   affine    Y-X, Y+X, 2d'T        (cached with Z = 1, for precomputed tables)
 *
 * Constant-time: ed_mul_ct and ed_mul_base_ct (used for secret scalars) run a fixed sequence of
 * operations and read table entries with a full masked scan. Verification (ed_verify, ed_strauss)
 * uses only public data and is variable time on purpose.
 */
import { CURVE_A, CURVE_D, BN254_R as P, SUBGROUP_ORDER_L } from '../params.ts';
import { type Code, type FunctionBuilder, type ModuleBuilder, op } from './encoder.ts';
import { ELEM, type FieldNames, RADIX_BITS, toLimbs, toMont } from './field-gen.ts';
import type { Layout } from './layout.ts';

export const EXT = 4 * ELEM;
export const CACHED = 4 * ELEM;
export const AFF = 3 * ELEM;
/** Fixed-base comb: 64 windows of 4 bits, 16 affine entries each. */
export const COMB_WINDOWS = 64;
/** wNAF widths: fixed base B8 (table of 64 odd multiples), variable base (8 odd multiples). */
export const WNAF_BASE = 8;
export const WNAF_VAR = 5;
export const BASE_ODD = 1 << (WNAF_BASE - 2);
export const VAR_ODD = 1 << (WNAF_VAR - 2);

const X = 0;
const Y = ELEM;
const Z = 2 * ELEM;
const T = 3 * ELEM;
// cached / affine offsets
const YMX = 0;
const YPX = ELEM;
const Z2 = 2 * ELEM;
const T2D_CACHED = 3 * ELEM;
const T2D_AFF = 2 * ELEM;

export const ISO_C = sqrtMod(-CURVE_A, P)!;
export const D_PRIME = mod(CURVE_D * modInverse(-CURVE_A, P), P);

export interface CurveAddrs {
  /** B8's wNAF table (BASE_ODD affine entries) and comb table (64 x 16 affine entries). */
  B8_ODD: number;
  B8_COMB: number;
  /** Byte range of the curve code's scratch space (wiped after handling secrets). */
  scratchStart: number;
  scratchEnd: number;
}

export function emitCurve(m: ModuleBuilder, layout: Layout, F: FieldNames, L: FieldNames): CurveAddrs {
  const konst = (name: string, v: bigint) => {
    const a = layout.alloc(name, ELEM);
    layout.init(a, toLimbs(v));
    return a;
  };
  const C_ISO = konst('ed_c', toMont(ISO_C, P));
  const C_ISO_INV = konst('ed_c_inv', toMont(modInverse(ISO_C, P), P));
  const K2D = konst('ed_k2d', toMont(mod(2n * D_PRIME, P), P));
  const A_M = konst('ed_a', toMont(CURVE_A, P));
  const D_M = konst('ed_d', toMont(CURVE_D, P));
  const L_K256 = konst('sc_k256', mod((1n << 256n) << (2n * RADIX_BITS), SUBGROUP_ORDER_L));
  const addrs: CurveAddrs = {
    B8_ODD: layout.alloc('ed_b8_odd', BASE_ODD * AFF),
    B8_COMB: layout.alloc('ed_b8_comb', COMB_WINDOWS * 16 * AFF),
    scratchStart: 0,
    scratchEnd: 0,
  };
  const B8_EXT = layout.alloc('ed_b8_ext', EXT);
  addrs.scratchStart = layout.size;

  let scratchId = 0;
  const scratch = (bytes = ELEM) => layout.alloc(`ed_tmp${scratchId++}`, bytes);
  const I = (v: number): Code => op.i32(v);
  const at = (f: FunctionBuilder, ptr: string, off: number): Code =>
    off === 0 ? f.get(ptr) : op.i32_add(f.get(ptr), I(off));
  const fn = (name: string, params: string[], result?: 'i32'): FunctionBuilder => {
    const f = m.addFunction(name);
    for (const p of params) f.param(p, 'i32');
    if (result) f.result(result);
    return f;
  };

  // ed_dbl(r, p, wantT): r = 2p. T is only needed when an addition follows.
  {
    const f = fn('ed_dbl', ['r', 'p', 'wantT']);
    const [A, B, C, E, G, Fv, H, S] = [...Array(8)].map(() => I(scratch()));
    const c = (fnName: string, ...args: Code[]) => f.call(fnName, ...args);
    f.emit(
      c(F.sqr, A!, at(f, 'p', X)),
      c(F.sqr, B!, at(f, 'p', Y)),
      c(F.sqr, C!, at(f, 'p', Z)),
      c(F.add, C!, C!, C!),
      c(F.add, E!, at(f, 'p', X), at(f, 'p', Y)),
      c(F.sqr, E!, E!),
      c(F.add, S!, A!, B!),
      c(F.sub4, E!, E!, S!), // E = (X+Y)^2 - X^2 - Y^2 < 6p
      c(F.sub2, G!, B!, A!), // G = aA + B with a = -1, < 4p
      c(F.sub4, Fv!, G!, C!), // F = G - 2Z^2 < 8p
      c(F.sub4, H!, I(F.ZERO), S!), // H = aA - B < 4p
      c(F.mul, at(f, 'r', X), E!, Fv!),
      c(F.mul, at(f, 'r', Y), G!, H!),
      c(F.mul, at(f, 'r', Z), Fv!, G!),
      op.if_(f.get('wantT'), [c(F.mul, at(f, 'r', T), E!, H!)]),
    );
  }

  // Shared addition tail: X3 = EF, Y3 = GH, T3 = EH, Z3 = FG.
  const addTail = (f: FunctionBuilder, E: Code, Fv: Code, G: Code, H: Code): Code[] => [
    f.call(F.mul, at(f, 'r', X), E, Fv),
    f.call(F.mul, at(f, 'r', Y), G, H),
    f.call(F.mul, at(f, 'r', T), E, H),
    f.call(F.mul, at(f, 'r', Z), Fv, G),
  ];

  // ed_add(r, p, q): r = p + q with q cached.
  {
    const f = fn('ed_add', ['r', 'p', 'q']);
    const [a, b, A, B, C, D, E, Fv, G, H] = [...Array(10)].map(() => I(scratch()));
    f.emit(
      f.call(F.sub2, a!, at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.add, b!, at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.mul, A!, a!, at(f, 'q', YMX)),
      f.call(F.mul, B!, b!, at(f, 'q', YPX)),
      f.call(F.mul, C!, at(f, 'p', T), at(f, 'q', T2D_CACHED)),
      f.call(F.mul, D!, at(f, 'p', Z), at(f, 'q', Z2)),
      f.call(F.sub2, E!, B!, A!),
      f.call(F.sub2, Fv!, D!, C!),
      f.call(F.add, G!, D!, C!),
      f.call(F.add, H!, B!, A!),
      ...addTail(f, E!, Fv!, G!, H!),
    );
  }

  // ed_madd(r, p, q): r = p + q with q affine (Z = 1).
  {
    const f = fn('ed_madd', ['r', 'p', 'q']);
    const [a, b, A, B, C, D, E, Fv, G, H] = [...Array(10)].map(() => I(scratch()));
    f.emit(
      f.call(F.sub2, a!, at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.add, b!, at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.mul, A!, a!, at(f, 'q', YMX)),
      f.call(F.mul, B!, b!, at(f, 'q', YPX)),
      f.call(F.mul, C!, at(f, 'p', T), at(f, 'q', T2D_AFF)),
      f.call(F.add, D!, at(f, 'p', Z), at(f, 'p', Z)),
      f.call(F.sub2, E!, B!, A!),
      f.call(F.sub2, Fv!, D!, C!), // < 6p
      f.call(F.add, G!, D!, C!), // < 6p
      f.call(F.add, H!, B!, A!),
      ...addTail(f, E!, Fv!, G!, H!),
    );
  }

  // ed_to_cached(c, p) (c must not alias p)
  {
    const f = fn('ed_to_cached', ['c', 'p']);
    f.emit(
      f.call(F.sub2, at(f, 'c', YMX), at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.add, at(f, 'c', YPX), at(f, 'p', Y), at(f, 'p', X)),
      f.call(F.add, at(f, 'c', Z2), at(f, 'p', Z), at(f, 'p', Z)),
      f.call(F.mul, at(f, 'c', T2D_CACHED), at(f, 'p', T), I(K2D)),
    );
  }

  // ed_to_affine_cached(c, p): normalises p (one inversion). Used to build precomputed tables.
  {
    const f = fn('ed_to_affine_cached', ['c', 'p']);
    const [zi, x, y] = [I(scratch()), I(scratch()), I(scratch())];
    f.emit(
      f.call(F.inv, zi, at(f, 'p', Z)),
      f.call(F.mul, x, at(f, 'p', X), zi),
      f.call(F.mul, y, at(f, 'p', Y), zi),
      f.call(F.sub2, at(f, 'c', YMX), y, x),
      f.call(F.add, at(f, 'c', YPX), y, x),
      f.call(F.mul, zi, x, y),
      f.call(F.mul, at(f, 'c', T2D_AFF), zi, I(K2D)),
    );
  }

  // Negation: -(u, y) = (-u, y), so Y-X and Y+X swap and T negates.
  for (const [name, t2d] of [
    ['ed_neg_cached', T2D_CACHED],
    ['ed_neg_affine', T2D_AFF],
  ] as const) {
    const f = fn(name, ['c', 'q']);
    f.emit(
      f.call(F.copy, at(f, 'c', YMX), at(f, 'q', YPX)),
      f.call(F.copy, at(f, 'c', YPX), at(f, 'q', YMX)),
      t2d === T2D_CACHED ? f.call(F.copy, at(f, 'c', Z2), at(f, 'q', Z2)) : [],
      f.call(F.neg, at(f, 'c', t2d), at(f, 'q', t2d)),
    );
  }
  {
    const f = fn('ed_neg', ['r', 'p']);
    f.emit(
      f.call(F.neg, at(f, 'r', X), at(f, 'p', X)),
      f.call(F.copy, at(f, 'r', Y), at(f, 'p', Y)),
      f.call(F.copy, at(f, 'r', Z), at(f, 'p', Z)),
      f.call(F.neg, at(f, 'r', T), at(f, 'p', T)),
    );
  }

  {
    const f = fn('ed_identity', ['r']);
    f.emit(
      f.call(F.copy, at(f, 'r', X), I(F.ZERO)),
      f.call(F.copy, at(f, 'r', Y), I(F.ONE)),
      f.call(F.copy, at(f, 'r', Z), I(F.ONE)),
      f.call(F.copy, at(f, 'r', T), I(F.ZERO)),
    );
  }
  {
    const f = fn('ed_copy', ['r', 'p']);
    for (const off of [X, Y, Z, T]) f.emit(f.call(F.copy, at(f, 'r', off), at(f, 'p', off)));
  }

  // ed_load_affine(r, xb, yb): canonical 32-byte coordinates (original curve) -> extended point.
  {
    const f = fn('ed_load_affine', ['r', 'xb', 'yb']);
    const x = I(scratch());
    f.emit(
      f.call(F.fromBytes, x, f.get('xb')),
      f.call(F.toMont, x, x),
      f.call(F.mul, at(f, 'r', X), x, I(C_ISO)),
      f.call(F.fromBytes, at(f, 'r', Y), f.get('yb')),
      f.call(F.toMont, at(f, 'r', Y), at(f, 'r', Y)),
      f.call(F.copy, at(f, 'r', Z), I(F.ONE)),
      f.call(F.mul, at(f, 'r', T), at(f, 'r', X), at(f, 'r', Y)),
    );
  }

  // ed_store_affine(xb, yb, p): extended -> canonical 32-byte coordinates on the original curve.
  {
    const f = fn('ed_store_affine', ['xb', 'yb', 'p']);
    const [zi, x, y] = [I(scratch()), I(scratch()), I(scratch())];
    f.emit(
      f.call(F.inv, zi, at(f, 'p', Z)),
      f.call(F.mul, x, at(f, 'p', X), zi),
      f.call(F.mul, x, x, I(C_ISO_INV)),
      f.call(F.mul, y, at(f, 'p', Y), zi),
      f.call(F.fromMont, x, x),
      f.call(F.fromMont, y, y),
      f.call(F.toBytes, f.get('xb'), x),
      f.call(F.toBytes, f.get('yb'), y),
    );
  }

  // ed_on_curve(xb, yb): a x^2 + y^2 == 1 + d x^2 y^2 for canonical 32-byte coordinates.
  {
    const f = fn('ed_on_curve', ['xb', 'yb'], 'i32');
    const [x, y, x2, y2, lhs, rhs] = [...Array(6)].map(() => I(scratch()));
    f.emit(
      f.call(F.fromBytes, x!, f.get('xb')),
      f.call(F.toMont, x!, x!),
      f.call(F.fromBytes, y!, f.get('yb')),
      f.call(F.toMont, y!, y!),
      f.call(F.sqr, x2!, x!),
      f.call(F.sqr, y2!, y!),
      f.call(F.mul, lhs!, x2!, I(A_M)),
      f.call(F.add, lhs!, lhs!, y2!), // < 4p
      f.call(F.mul, rhs!, x2!, y2!),
      f.call(F.mul, rhs!, rhs!, I(D_M)),
      f.call(F.add, rhs!, rhs!, I(F.ONE)), // < 3p
      f.call(F.sub4, lhs!, lhs!, rhs!), // < 8p
      f.call(F.reduce, lhs!, lhs!),
      f.call(F.canon, lhs!, lhs!),
      f.call(F.isZero, lhs!),
    );
  }

  // ed_is_identity(p): X == 0 and Y == Z ((0, -1) has order 2 and is not the identity).
  {
    const f = fn('ed_is_identity', ['p'], 'i32');
    const [x, y, z] = [I(scratch()), I(scratch()), I(scratch())];
    f.emit(
      f.call(F.canon, x, at(f, 'p', X)),
      f.call(F.canon, y, at(f, 'p', Y)),
      f.call(F.canon, z, at(f, 'p', Z)),
      op.i32_and(f.call(F.isZero, x), f.call(F.eq, y, z)),
    );
  }

  // ed_eq(p, q): projective equality X1 Z2 == X2 Z1 and Y1 Z2 == Y2 Z1.
  {
    const f = fn('ed_eq', ['p', 'q'], 'i32');
    const [l, r, l2, r2] = [I(scratch()), I(scratch()), I(scratch()), I(scratch())];
    f.emit(
      f.call(F.mul, l, at(f, 'p', X), at(f, 'q', Z)),
      f.call(F.mul, r, at(f, 'q', X), at(f, 'p', Z)),
      f.call(F.mul, l2, at(f, 'p', Y), at(f, 'q', Z)),
      f.call(F.mul, r2, at(f, 'q', Y), at(f, 'p', Z)),
      f.call(F.canon, l, l),
      f.call(F.canon, r, r),
      f.call(F.canon, l2, l2),
      f.call(F.canon, r2, r2),
      op.i32_and(f.call(F.eq, l, r), f.call(F.eq, l2, r2)),
    );
  }

  // Constant-time table reads: scan every entry, keep the one whose index matches via masks.
  const emitLookup = (name: string, entryBytes: number, entries: number) => {
    const f = fn(name, ['dst', 'tbl', 'idx']);
    const words64 = Math.floor(entryBytes / 8);
    const tail32 = (entryBytes % 8) / 4;
    const acc = [...Array(words64)].map((_, i) => f.local(`w${i}`, 'i64'));
    const accT = tail32 ? f.local('tail', 'i32') : '';
    f.local('e', 'i32');
    f.local('mask', 'i64');
    f.local('mask32', 'i32');
    for (const a of acc) f.emit(f.set(a, op.i64(0)));
    if (tail32) f.emit(f.set(accT, op.i32(0)));
    const body: Code[] = [
      op.br_if(1, op.i32_ge_u(f.get('e'), I(entries))),
      f.set('mask32', op.i32_sub(I(0), op.i32_eq(f.get('e'), f.get('idx')))),
      f.set('mask', op.i64_sub(op.i64(0), op.i64_extend_u(op.i32_and(f.get('mask32'), I(1))))),
    ];
    acc.forEach((a, i) => {
      body.push(
        f.set(
          a,
          op.i64_xor(
            f.get(a),
            op.i64_and(op.i64_xor(f.get(a), op.i64_load(f.get('tbl'), i * 8)), f.get('mask')),
          ),
        ),
      );
    });
    if (tail32) {
      body.push(
        f.set(
          accT,
          op.i32_xor(
            f.get(accT),
            op.i32_and(op.i32_xor(f.get(accT), op.i32_load(f.get('tbl'), words64 * 8)), f.get('mask32')),
          ),
        ),
      );
    }
    body.push(
      f.set('tbl', op.i32_add(f.get('tbl'), I(entryBytes))),
      f.set('e', op.i32_add(f.get('e'), I(1))),
      op.br(0),
    );
    f.emit(f.set('e', I(0)), op.block(op.loop(...body)));
    acc.forEach((a, i) => f.emit(op.i64_store(f.get('dst'), f.get(a), i * 8)));
    if (tail32) f.emit(op.i32_store(f.get('dst'), f.get(accT), words64 * 8));
  };
  emitLookup('ed_lookup_cached16', CACHED, 16);
  emitLookup('ed_lookup_affine16', AFF, 16);

  /** nibble i (0 = least significant) of the 32-byte little-endian scalar at `sc` */
  const nibble = (f: FunctionBuilder, i: Code): Code =>
    op.i32_and(
      op.i32_shr_u(
        op.i32_load8_u(op.i32_add(f.get('sc'), op.i32_shr_u(i, I(1)))),
        op.i32_shl(op.i32_and(i, I(1)), I(2)),
      ),
      I(15),
    );

  // ed_mul_ct(r, p, sc): r = k*p for a 256-bit little-endian scalar k, fixed 4-bit windows.
  {
    const f = fn('ed_mul_ct', ['r', 'p', 'sc']);
    const tbl = I(scratch(16 * CACHED));
    const acc = I(scratch(EXT));
    const e = I(scratch(EXT));
    const sel = I(scratch(CACHED));
    f.local('i', 'i32');
    f.local('j', 'i32');
    const entry = (j: Code): Code => op.i32_add(tbl, op.i32_mul(j, I(CACHED)));
    f.emit(
      // tbl[0] = identity (Y-X = 1, Y+X = 1, 2Z = 2, 2d'T = 0)
      f.call(F.copy, op.i32_add(tbl, I(YMX)), I(F.ONE)),
      f.call(F.copy, op.i32_add(tbl, I(YPX)), I(F.ONE)),
      f.call(F.add, op.i32_add(tbl, I(Z2)), I(F.ONE), I(F.ONE)),
      f.call(F.copy, op.i32_add(tbl, I(T2D_CACHED)), I(F.ZERO)),
      f.call('ed_copy', e, f.get('p')),
      f.call('ed_to_cached', entry(I(1)), e),
      f.set('j', I(2)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_ge_u(f.get('j'), I(16))),
          f.call('ed_add', e, e, entry(I(1))),
          f.call('ed_to_cached', entry(f.get('j')), e),
          f.set('j', op.i32_add(f.get('j'), I(1))),
          op.br(0),
        ),
      ),
      f.call('ed_identity', acc),
      f.set('i', I(64)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_eqz(f.get('i'))),
          f.set('i', op.i32_sub(f.get('i'), I(1))),
          f.call('ed_dbl', acc, acc, I(0)),
          f.call('ed_dbl', acc, acc, I(0)),
          f.call('ed_dbl', acc, acc, I(0)),
          f.call('ed_dbl', acc, acc, I(1)),
          f.call('ed_lookup_cached16', sel, tbl, nibble(f, f.get('i'))),
          f.call('ed_add', acc, acc, sel),
          op.br(0),
        ),
      ),
      f.call('ed_copy', f.get('r'), acc),
    );
  }

  // ed_mul_base_ct(r, sc): r = k*B8 with the comb table: 64 masked lookups + mixed additions.
  {
    const f = fn('ed_mul_base_ct', ['r', 'sc']);
    const acc = I(scratch(EXT));
    const sel = I(scratch(AFF));
    f.local('i', 'i32');
    f.emit(
      f.call('ed_identity', acc),
      f.set('i', I(0)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_ge_u(f.get('i'), I(COMB_WINDOWS))),
          f.call(
            'ed_lookup_affine16',
            sel,
            op.i32_add(I(addrs.B8_COMB), op.i32_mul(f.get('i'), I(16 * AFF))),
            nibble(f, f.get('i')),
          ),
          f.call('ed_madd', acc, acc, sel),
          f.set('i', op.i32_add(f.get('i'), I(1))),
          op.br(0),
        ),
      ),
      f.call('ed_copy', f.get('r'), acc),
    );
  }

  // ed_build_odd(tbl, p, count, affine): tbl[j] = (2j+1) p, cached or affine-normalised.
  {
    const f = fn('ed_build_odd', ['tbl', 'p', 'count', 'affine']);
    const e = I(scratch(EXT));
    const twoP = I(scratch(EXT));
    const twoPc = I(scratch(CACHED));
    f.local('j', 'i32');
    f.emit(
      f.call('ed_copy', e, f.get('p')),
      f.call('ed_dbl', twoP, f.get('p'), I(1)),
      f.call('ed_to_cached', twoPc, twoP),
      f.set('j', I(0)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_ge_u(f.get('j'), f.get('count'))),
          op.if_(
            f.get('affine'),
            [f.call('ed_to_affine_cached', op.i32_add(f.get('tbl'), op.i32_mul(f.get('j'), I(AFF))), e)],
            [f.call('ed_to_cached', op.i32_add(f.get('tbl'), op.i32_mul(f.get('j'), I(CACHED))), e)],
          ),
          f.call('ed_add', e, e, twoPc),
          f.set('j', op.i32_add(f.get('j'), I(1))),
          op.br(0),
        ),
      ),
    );
  }

  // ed_build_base_odd(bx, by): loads B8 and fills its wNAF table (needed for verification).
  {
    const f = fn('ed_build_base_odd', ['bx', 'by']);
    f.emit(
      f.call('ed_load_affine', I(B8_EXT), f.get('bx'), f.get('by')),
      f.call('ed_build_odd', I(addrs.B8_ODD), I(B8_EXT), I(BASE_ODD), I(1)),
    );
  }

  // ed_build_base_comb(): fills the comb table j * 16^i * B8 (needed for signing; ~1k inversions,
  // so it is built on first use only). Requires ed_build_base_odd first (it loads B8).
  {
    const f = fn('ed_build_base_comb', []);
    const win = I(scratch(EXT));
    const e = I(scratch(EXT));
    const wc = I(scratch(CACHED));
    f.local('i', 'i32');
    f.local('j', 'i32');
    f.local('dst', 'i32');
    f.emit(
      f.call('ed_copy', win, I(B8_EXT)),
      f.set('dst', I(addrs.B8_COMB)),
      f.set('i', I(0)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_ge_u(f.get('i'), I(COMB_WINDOWS))),
          // entry 0: identity
          f.call(F.copy, op.i32_add(f.get('dst'), I(YMX)), I(F.ONE)),
          f.call(F.copy, op.i32_add(f.get('dst'), I(YPX)), I(F.ONE)),
          f.call(F.copy, op.i32_add(f.get('dst'), I(T2D_AFF)), I(F.ZERO)),
          f.set('dst', op.i32_add(f.get('dst'), I(AFF))),
          f.call('ed_to_cached', wc, win),
          f.call('ed_copy', e, win),
          f.set('j', I(1)),
          op.block(
            op.loop(
              op.br_if(1, op.i32_ge_u(f.get('j'), I(16))),
              f.call('ed_to_affine_cached', f.get('dst'), e),
              f.call('ed_add', e, e, wc),
              f.set('dst', op.i32_add(f.get('dst'), I(AFF))),
              f.set('j', op.i32_add(f.get('j'), I(1))),
              op.br(0),
            ),
          ),
          f.call('ed_dbl', win, win, I(0)),
          f.call('ed_dbl', win, win, I(0)),
          f.call('ed_dbl', win, win, I(0)),
          f.call('ed_dbl', win, win, I(1)),
          f.set('i', op.i32_add(f.get('i'), I(1))),
          op.br(0),
        ),
      ),
    );
  }

  // ed_strauss(r, nafA, nafB, tblB, top): r = sum_i 2^i (nafA[i] B8 + nafB[i] Q) where tblB holds
  // the VAR_ODD odd multiples of Q (cached); nafA may be 0 (absent). Digits are signed bytes.
  // Variable time: verification only.
  {
    const f = fn('ed_strauss', ['r', 'nafA', 'nafB', 'tblB', 'top']);
    const neg = I(scratch(CACHED));
    f.local('i', 'i32');
    f.local('da', 'i32');
    f.local('db', 'i32');
    const idx = (d: Code): Code => op.i32_shr_u(op.i32_sub(d, I(1)), I(1));
    f.emit(
      f.call('ed_identity', f.get('r')),
      f.set('i', op.i32_add(f.get('top'), I(1))),
      op.block(
        op.loop(
          op.br_if(1, op.i32_eqz(f.get('i'))),
          f.set('i', op.i32_sub(f.get('i'), I(1))),
          f.set('da', op.i32(0)),
          op.if_(f.get('nafA'), [f.set('da', op.i32_load8_s(op.i32_add(f.get('nafA'), f.get('i'))))]),
          f.set('db', op.i32_load8_s(op.i32_add(f.get('nafB'), f.get('i')))),
          f.call('ed_dbl', f.get('r'), f.get('r'), op.i32_or(f.get('da'), f.get('db'))),
          op.if_(op.i32_gt_s(f.get('da'), I(0)), [
            f.call(
              'ed_madd',
              f.get('r'),
              f.get('r'),
              op.i32_add(I(addrs.B8_ODD), op.i32_mul(idx(f.get('da')), I(AFF))),
            ),
          ]),
          op.if_(op.i32_lt_s(f.get('da'), I(0)), [
            f.call(
              'ed_neg_affine',
              neg,
              op.i32_add(I(addrs.B8_ODD), op.i32_mul(idx(op.i32_sub(I(0), f.get('da'))), I(AFF))),
            ),
            f.call('ed_madd', f.get('r'), f.get('r'), neg),
          ]),
          op.if_(op.i32_gt_s(f.get('db'), I(0)), [
            f.call(
              'ed_add',
              f.get('r'),
              f.get('r'),
              op.i32_add(f.get('tblB'), op.i32_mul(idx(f.get('db')), I(CACHED))),
            ),
          ]),
          op.if_(op.i32_lt_s(f.get('db'), I(0)), [
            f.call(
              'ed_neg_cached',
              neg,
              op.i32_add(f.get('tblB'), op.i32_mul(idx(op.i32_sub(I(0), f.get('db'))), I(CACHED))),
            ),
            f.call('ed_add', f.get('r'), f.get('r'), neg),
          ]),
          op.br(0),
        ),
      ),
    );
  }

  // ed_mul_vt(r, p, naf, top): r = k*p from k's wNAF (width WNAF_VAR). Variable time.
  {
    const f = fn('ed_mul_vt', ['r', 'p', 'naf', 'top']);
    const tbl = I(scratch(VAR_ODD * CACHED));
    f.emit(
      f.call('ed_build_odd', tbl, f.get('p'), I(VAR_ODD), I(0)),
      f.call('ed_strauss', f.get('r'), I(0), f.get('naf'), tbl, f.get('top')),
    );
  }

  // ed_verify(rx, ry, ax, ay, nafS, nafH, top): EdDSA check S*B8 == R8 + h*(8A) with 8A != O,
  // given canonical coordinates and the wNAFs of S and h mod l. Returns 1 when valid.
  {
    const f = fn('ed_verify', ['rx', 'ry', 'ax', 'ay', 'nafS', 'nafH', 'top'], 'i32');
    const q = I(scratch(EXT));
    const tbl = I(scratch(VAR_ODD * CACHED));
    const acc = I(scratch(EXT));
    const rp = I(scratch(EXT));
    f.emit(
      op.if_(op.i32_eqz(f.call('ed_on_curve', f.get('rx'), f.get('ry'))), [op.ret(I(0))]),
      op.if_(op.i32_eqz(f.call('ed_on_curve', f.get('ax'), f.get('ay'))), [op.ret(I(0))]),
      f.call('ed_load_affine', q, f.get('ax'), f.get('ay')),
      f.call('ed_dbl', q, q, I(0)),
      f.call('ed_dbl', q, q, I(0)),
      f.call('ed_dbl', q, q, I(1)),
      // 8A = O exactly when A has small order: such keys are rejected (as circomlib's circuit does)
      op.if_(f.call('ed_is_identity', q), [op.ret(I(0))]),
      f.call('ed_neg', q, q),
      f.call('ed_build_odd', tbl, q, I(VAR_ODD), I(0)),
      f.call('ed_strauss', acc, f.get('nafS'), f.get('nafH'), tbl, f.get('top')),
      f.call('ed_load_affine', rp, f.get('rx'), f.get('ry')),
      f.call('ed_eq', acc, rp),
    );
  }

  // Scalar arithmetic modulo l for signing (constant time; secrets never leave wasm memory).
  // sc_reduce512(out, in): out = (64-byte little-endian in) mod l, as 32 bytes.
  {
    const f = fn('sc_reduce512', ['out', 'in']);
    const [lo, hi] = [I(scratch()), I(scratch())];
    f.emit(
      f.call(L.fromBytes, lo, f.get('in')),
      f.call(L.fromBytes, hi, op.i32_add(f.get('in'), I(32))),
      f.call(L.toMont, lo, lo),
      f.call(L.mul, hi, hi, I(L_K256)), // hi * 2^256 in Montgomery form
      f.call(L.add, lo, lo, hi),
      f.call(L.fromMont, lo, lo),
      f.call(L.toBytes, f.get('out'), lo),
    );
  }
  // sc_muladd(out, a, b, c): out = (a + b*c) mod l for 32-byte inputs a < 2^256, b, c < 2^255.
  {
    const f = fn('sc_muladd', ['out', 'a', 'b', 'c']);
    const [a, b, c] = [I(scratch()), I(scratch()), I(scratch())];
    f.emit(
      f.call(L.fromBytes, a, f.get('a')),
      f.call(L.fromBytes, b, f.get('b')),
      f.call(L.fromBytes, c, f.get('c')),
      f.call(L.toMont, a, a),
      f.call(L.toMont, b, b),
      f.call(L.toMont, c, c),
      f.call(L.mul, b, b, c),
      f.call(L.add, a, a, b),
      f.call(L.fromMont, a, a),
      f.call(L.toBytes, f.get('out'), a),
    );
  }
  addrs.scratchEnd = layout.size;
  return addrs;
}
