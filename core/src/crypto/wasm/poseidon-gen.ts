/**
 * Generates a WebAssembly module computing Poseidon for one width t (see poseidon-plan.ts for the
 * round formulas). Division of work:
 *   - S-boxes run as scalar 9x29-bit Montgomery code (field-inline.ts) on the integer multiplier;
 *   - every multiplication by a constant runs as SIMD dot products on digit vectors
 *     (digits-gen.ts), interleaved with the S-box code (interleave.ts) so both execute at once.
 *
 * Schedule ("window" = one S-box plus the SIMD work interleaved with it):
 *   full round R, window i < t-1: S-box i of round R  ||  output i+1 of round R-1 (complete, from
 *     the previous round's S-box outputs), converted to limbs as the input of S-box i+1;
 *   full round R, window t-1:     S-box t-1           ||  output 0 of round R without its last term,
 *     which follows after the window (the only exposed SIMD work of a round);
 *   partial round r:              S-box of round r    ||  u(r) = u(r-1) + v y_{r-1}, then P_r;
 *     the first partial window also finishes outputs 1..t-1 of round 3 (as u(0)), and the
 *     windows of round 4 finish u(nRP) (as inputs of its S-boxes).
 *
 * Entry point: hash() reads t-1 little-endian 32-byte inputs at `layout.input` and writes the
 * 32-byte hash at `layout.output`. Constants and tables are written by the runtime (poseidon.ts)
 * at the addresses in `layout`, in the order given by `tableOrder`.
 */
import { FIELD_MODULUS } from '../field.ts';
import { COLS, DIGIT_BUF, DigitsGen, TERM_TABLE } from './digits-gen.ts';
import { type Code, type FunctionBuilder, ModuleBuilder, op } from './encoder.ts';
import { InlineField, LIMBS } from './field-inline.ts';
import { interleave } from './interleave.ts';

const ELEM = 4 * LIMBS;

/**
 * Tuning knobs. Defaults were measured (Node 20, Zen 4): pinning every SIMD statement matters
 * (without it TurboFan hoists the table loads of a whole window and spills them); with five digit
 * rows per statement that is one pin store per five dot products. The scalar interval (8..64) and
 * rows 2..5 were within noise of each other.
 */
export interface PoseidonGenOptions {
  /** Statements of the scalar / SIMD stream between two pin stores. */
  pin?: [number, number];
  /** Digit rows per SIMD statement (see DigitsGen.term). */
  rows?: number;
}

export interface PoseidonLayout {
  t: number;
  nRP: number;
  pages: number;
  sink: number;
  input: number;
  output: number;
  /** S-box inputs of the current round: t elements (u32 limbs). */
  state: number;
  /** Digit buffers of S-box outputs: two sets of t (previous and current round). */
  dy: number;
  /** Digit buffers of u_1..u_{t-1} during the partial rounds (index k at du + k * DIGIT_BUF). */
  du: number;
  cols: number;
  barrett: number;
  /**
   * Limbs (u32 x 9 each): init[t] (plain C_0..C_{t-1}), round constants of full rounds 0..6
   * ([t] each, Montgomery), zeros[t] (round 7), partial round constants[nRP], final factor.
   */
  consts: number;
  tables: number;
  tableBytes: number;
}

/** Constant tables (TERM_TABLE bytes each) in the order the code consumes them. */
export type TableRef =
  | { kind: 'out'; round: number; output: number; j: number } // e_{j,output} of a full round
  | { kind: 'w'; r: number; k: number } // partial round r, u_k's coefficient in P_r
  | { kind: 'v'; r: number; k: number }; // partial round r, y_r's coefficient in u_k

export function tableOrder(t: number, nRP: number): TableRef[] {
  const out: TableRef[] = [];
  const output = (round: number, i: number) => {
    for (let j = 1; j < t; j++) out.push({ kind: 'out', round, output: i, j });
  };
  const rest = (round: number) => {
    for (let i = 1; i < t; i++) output(round, i);
  };
  output(0, 0);
  for (let R = 1; R <= 3; R++) {
    rest(R - 1);
    output(R, 0);
  }
  rest(3);
  for (let k = 1; k < t; k++) out.push({ kind: 'w', r: 0, k });
  for (let r = 1; r < nRP; r++) {
    for (let k = 1; k < t; k++) out.push({ kind: 'v', r: r - 1, k });
    for (let k = 1; k < t; k++) out.push({ kind: 'w', r, k });
  }
  for (let k = 1; k < t; k++) out.push({ kind: 'v', r: nRP - 1, k });
  output(4, 0);
  for (let R = 5; R <= 7; R++) {
    rest(R - 1);
    output(R, 0);
  }
  return out;
}

export function poseidonLayout(t: number, nRP: number): PoseidonLayout {
  let at = 0;
  const take = (bytes: number) => {
    const a = at;
    at = Math.ceil((at + bytes) / 16) * 16;
    return a;
  };
  const sink = take(64);
  const input = take(16 * 32);
  const output = take(32);
  const state = take(t * ELEM);
  const dy = take(2 * t * DIGIT_BUF);
  const du = take(t * DIGIT_BUF);
  const cols = take(COLS);
  const barrett = take(COLS);
  const consts = take((9 * t + nRP + 1) * ELEM);
  const tableBytes = tableOrder(t, nRP).length * TERM_TABLE;
  const tables = take(tableBytes);
  return {
    t,
    nRP,
    pages: Math.ceil(at / 65536),
    sink,
    input,
    output,
    state,
    dy,
    du,
    cols,
    barrett,
    consts,
    tables,
    tableBytes,
  };
}

export function generatePoseidon(
  t: number,
  nRP: number,
  options: PoseidonGenOptions = {},
): { bytes: Uint8Array; layout: PoseidonLayout } {
  const PIN = options.pin ?? [16, 1];
  const L = poseidonLayout(t, nRP);
  const m = t - 1;
  const p = FIELD_MODULUS;
  const mb = new ModuleBuilder(L.pages);
  const i32 = (v: number) => op.i32(v);
  const add = (a: Code, b: number | Code) => op.i32_add(a, typeof b === 'number' ? op.i32(b) : b);
  const mul = (a: Code, b: number) => op.i32_mul(a, op.i32(b));
  const STATE = (i: Code) => add(mul(i, ELEM), L.state);
  const DU = (k: number) => i32(L.du + k * DIGIT_BUF);

  /** Code generators shared by all functions (each function gets its own). */
  const kit = (f: FunctionBuilder) => {
    const F = new InlineField(f, p);
    const D = new DigitsGen(f, p, L.barrett, options.rows ?? 5);
    const x = F.locals(LIMBS, 'x');
    const y = F.locals(LIMBS, 'y');
    const acc = D.accumulator();
    const window = (scalar: Code[], simd: Code[]) => interleave(f, scalar, simd, PIN, L.sink);
    /** y = S-box(state element at `src`) + constant limbs at `cst` (if any). */
    const sbox = (src: Code, cst: Code | null): Code[] => [
      ...F.load(src, 0, x),
      ...F.pow5(x, y, cst ? (k) => op.i64_load32_u(cst, 4 * k) : undefined),
    ];
    /** Digits of y at dst. */
    const digitsOfY = (dst: Code): Code[] => {
      const [ws, wl] = F.wordLocals(y);
      return [
        ...ws,
        ...D.fromWords(
          wl.map((w) => f.get(w)),
          dst,
          0,
        ),
      ];
    };
    /** Limbs of the reduced columns in `cols` (+p, so they are positive) at dst. */
    const colsToState = (dst: Code): Code[] => {
      const out = F.locals(LIMBS, 'o');
      return [...F.fromColumns(i32(L.cols), 0, 'i32', out, p), ...F.store(dst, 0, out)];
    };
    /**
     * acc = digits(dy + 0) + sum_{j=1..terms} table_j * digits(dy + j DIGIT_BUF), tables from
     * tbl + tblOffset; reduces in between when the lanes would overflow.
     */
    const output = (dy: Code, terms: number, tbl: Code, tblOffset: number): Code[] => [
      ...D.extend(acc, dy, 0, false),
      ...outputTerms(dy, 1, terms, tbl, tblOffset),
    ];
    /** Terms j = from..to of `output` (acc already holds the earlier ones). */
    const outputTerms = (dy: Code, from: number, to: number, tbl: Code, tblOffset: number): Code[] => {
      const code: Code[] = [];
      for (let j = from; j <= to; j++) {
        if (!D.fits(acc)) code.push(...D.reduce(acc), ...D.normalise(acc));
        code.push(...D.term(acc, dy, j * DIGIT_BUF, tbl, tblOffset + (j - 1) * TERM_TABLE));
      }
      return code;
    };
    return { F, D, x, y, acc, window, sbox, digitsOfY, colsToState, output, outputTerms };
  };

  /**
   * rounds(count, tbl, cst, dprev, dcur) runs `count` full rounds of one kind:
   *   'first': round 0 (no previous outputs to finish);
   *   'full':  windows finish outputs 1..t-1 of the previous round (digits at dprev);
   *   'afterPartial': windows finish u_k(nRP) = u_k + v_k y (u in du, y in dy[0]).
   * Each round leaves output 0 in state[0] and its S-box output digits at dcur; dprev and dcur
   * swap after each round. Returns nothing; pointers are recomputed by the caller.
   */
  const emitRounds = (name: string, kind: 'first' | 'full' | 'afterPartial') => {
    const f = mb.addFunction(name).param('count', 'i32').param('tbl', 'i32').param('cst', 'i32');
    f.param('dprev', 'i32').param('dcur', 'i32');
    f.local('i', 'i32');
    f.local('tmp', 'i32');
    const K = kit(f);
    const i = f.get('i');
    const tbl = f.get('tbl');
    const finishPrev = (): Code[] => {
      if (kind === 'first') return [];
      if (kind === 'full') {
        return [
          ...K.output(f.get('dprev'), m, tbl, 0),
          ...K.D.reduce(K.acc),
          ...K.D.storeColumns(K.acc, i32(L.cols), 0),
        ];
      }
      return [
        ...K.D.extend(K.acc, add(mul(i, DIGIT_BUF), L.du + DIGIT_BUF), 0, false),
        ...K.D.term(K.acc, i32(L.dy), 0, tbl, 0),
        ...K.D.reduce(K.acc),
        ...K.D.storeColumns(K.acc, i32(L.cols), 0),
      ];
    };
    const tblStep = kind === 'first' ? 0 : kind === 'full' ? m * TERM_TABLE : TERM_TABLE;
    const windowLoop: Code[] = [
      f.set('i', i32(0)),
      op.block(
        op.loop(
          op.br_if(1, op.i32_ge_u(i, i32(m))),
          K.window(K.sbox(STATE(i), add(f.get('cst'), mul(i, ELEM))), finishPrev()),
          K.digitsOfY(add(f.get('dcur'), mul(i, DIGIT_BUF))),
          kind === 'first' ? [] : K.colsToState(STATE(add(i, 1))),
          f.set('tbl', add(tbl, tblStep)),
          f.set('i', add(i, 1)),
          op.br(0),
        ),
      ),
    ];
    // window t-1: S-box t-1 || output 0 of this round without its last term
    const partial0 = K.output(f.get('dcur'), m - 1, tbl, 0);
    const lastWindow: Code[] = [
      K.window(K.sbox(i32(L.state + m * ELEM), add(f.get('cst'), m * ELEM)), partial0),
      K.digitsOfY(add(f.get('dcur'), m * DIGIT_BUF)),
      ...K.outputTerms(f.get('dcur'), m, m, tbl, 0),
      ...K.D.reduce(K.acc),
      ...K.D.storeColumns(K.acc, i32(L.cols), 0),
      ...K.colsToState(i32(L.state)),
      f.set('tbl', add(tbl, m * TERM_TABLE)),
    ];
    f.emit(
      op.block(
        op.loop(
          op.br_if(1, op.i32_eqz(f.get('count'))),
          windowLoop,
          lastWindow,
          f.set('cst', add(f.get('cst'), t * ELEM)),
          f.set('tmp', f.get('dprev')),
          f.set('dprev', f.get('dcur')),
          f.set('dcur', f.get('tmp')),
          f.set('count', op.i32_sub(f.get('count'), i32(1))),
          op.br(0),
        ),
      ),
    );
  };
  emitRounds('rounds_first', 'first');
  emitRounds('rounds_full', 'full');
  emitRounds('rounds_after_partial', 'afterPartial');

  // The partial rounds, in two functions so that neither is "huge" for TurboFan (above ~8k
  // virtual registers it falls back to a much weaker register allocator):
  //   partials_first(tbl, cst, dprev): window 0, which also finishes outputs 1..t-1 of round 3
  //     (S-box output digits at dprev) as u(0);
  //   partials(tbl, cst): windows 1..nRP-1.
  // State between them and afterwards: sigma in state[0], u in du, the last y's digits in dy[0].
  const emitPartials = (name: string, first: boolean) => {
    const f = mb.addFunction(name).param('tbl', 'i32').param('cst', 'i32');
    if (first) f.param('dprev', 'i32');
    f.local('r', 'i32');
    const K = kit(f);
    const sigma = K.F.locals(LIMBS, 'sg');
    const accP = K.D.accumulator();
    const tbl = f.get('tbl');
    const sbox = (): Code[] => K.F.pow5(sigma, K.y, (k) => op.i64_load32_u(f.get('cst'), 4 * k));
    /** P = sum_k w_k u_k into the column buffer; tables from `first`. */
    const sumP = (from: number): Code[] => {
      const code: Code[] = [];
      for (let k = 1; k <= m; k++) {
        if (k > 1 && !K.D.fits(accP)) code.push(...K.D.reduce(accP), ...K.D.normalise(accP));
        code.push(...K.D.term(accP, DU(k), 0, tbl, (from + k - 1) * TERM_TABLE, k > 1));
      }
      code.push(...K.D.reduce(accP), ...K.D.storeColumns(accP, i32(L.cols), 0));
      return code;
    };
    /** u_k += v_k y_prev, as digits. */
    const updateU = (): Code[] => {
      const code: Code[] = [];
      for (let k = 1; k <= m; k++) {
        code.push(...K.D.extend(K.acc, DU(k), 0, false));
        code.push(...K.D.term(K.acc, i32(L.dy), 0, tbl, (k - 1) * TERM_TABLE));
        code.push(...K.D.reduce(K.acc), ...K.D.normalise(K.acc), ...K.D.pack(K.acc, DU(k), 0));
      }
      return code;
    };
    /** u_k(0) = output k of round 3, as digits. */
    const round3 = (): Code[] => {
      const code: Code[] = [];
      for (let k = 1; k <= m; k++) {
        code.push(...K.output(f.get('dprev'), m, tbl, (k - 1) * m * TERM_TABLE));
        code.push(...K.D.reduce(K.acc), ...K.D.normalise(K.acc), ...K.D.pack(K.acc, DU(k), 0));
      }
      return code;
    };
    /** After a window: digits of y for the next window; sigma = y + P (+p keeps it positive). */
    const glue = (): Code[] => [
      ...K.digitsOfY(i32(L.dy)),
      ...K.F.fromColumns(i32(L.cols), 0, 'i32', sigma, p, K.y),
    ];
    f.emit(...K.F.load(i32(L.state), 0, sigma));
    if (first) {
      f.emit(...K.window(sbox(), [...round3(), ...sumP(m * m)]), ...glue());
    } else if (nRP > 1) {
      f.emit(
        f.set('r', i32(1)),
        op.block(
          op.loop(
            K.window(sbox(), [...updateU(), ...sumP(m)]),
            glue(),
            f.set('tbl', add(tbl, 2 * m * TERM_TABLE)),
            f.set('cst', add(f.get('cst'), ELEM)),
            f.set('r', add(f.get('r'), 1)),
            op.br_if(1, op.i32_ge_u(f.get('r'), i32(nRP))),
            op.br(0),
          ),
        ),
      );
    }
    f.emit(...K.F.store(i32(L.state), 0, sigma));
  };
  emitPartials('partials_first', true);
  emitPartials('partials', false);

  // hash(): state = [0, inputs] + C (as stored integers), the rounds, then the final factor.
  {
    const f = mb.addFunction('hash');
    const F = new InlineField(f, p);
    const tmp = F.locals(LIMBS, 'in');
    const norm = F.locals(LIMBS, 'nm');
    const constAt = (j: number) => L.consts + j * ELEM;
    f.emit(...F.load(i32(constAt(0)), 0, tmp), ...F.store(i32(L.state), 0, tmp));
    for (let j = 1; j < t; j++) {
      f.emit(
        ...F.fromBytes(i32(L.input + 32 * (j - 1)), 0, tmp, (k) => op.i64_load32_u(i32(constAt(j)), 4 * k)),
        ...F.normalise(tmp, norm),
        ...F.store(i32(L.state + j * ELEM), 0, norm),
      );
    }
    // S-box output digits of full rounds alternate between two buffer sets: rounds 0..3 write
    // D0, D1, D0, D1; the partial rounds use only dy[0] (= D0[0]) for y; rounds 4..7 write D1, D0,
    // D1, D0. Each round reads the previous round's set.
    const D0 = L.dy;
    const D1 = L.dy + t * DIGIT_BUF;
    const roundTables = (R: number) => (R === 0 ? m : t * m) * TERM_TABLE;
    let tbl = L.tables;
    f.emit(f.call('rounds_first', i32(1), i32(tbl), i32(constAt(t)), i32(D1), i32(D0)));
    tbl += roundTables(0);
    f.emit(f.call('rounds_full', i32(3), i32(tbl), i32(constAt(2 * t)), i32(D0), i32(D1)));
    tbl += 3 * roundTables(1);
    f.emit(f.call('partials_first', i32(tbl), i32(constAt(9 * t)), i32(D1)));
    tbl += (m * m + m) * TERM_TABLE;
    f.emit(f.call('partials', i32(tbl), i32(constAt(9 * t + 1))));
    tbl += (nRP - 1) * 2 * m * TERM_TABLE;
    f.emit(f.call('rounds_after_partial', i32(1), i32(tbl), i32(constAt(5 * t)), i32(D0), i32(D1)));
    tbl += 2 * m * TERM_TABLE; // u(nRP), then output 0 of round 4
    f.emit(f.call('rounds_full', i32(3), i32(tbl), i32(constAt(6 * t)), i32(D1), i32(D0)));
    tbl += 3 * roundTables(1);
    const v = F.locals(LIMBS, 'v');
    const k = F.locals(LIMBS, 'k');
    const h = F.locals(LIMBS, 'h');
    const c = F.locals(LIMBS, 'c');
    f.emit(
      ...F.load(i32(L.state), 0, v),
      ...F.load(i32(constAt(9 * t + nRP)), 0, k),
      ...F.mul(v, k, h),
      ...F.canon(h, c),
      ...F.toBytes(c, i32(L.output), 0),
    );
    if (tbl !== L.tables + L.tableBytes)
      throw new Error(`Poseidon table layout mismatch ${tbl - L.tables} ${L.tableBytes}`);
  }
  return { bytes: mb.build(), layout: L };
}
