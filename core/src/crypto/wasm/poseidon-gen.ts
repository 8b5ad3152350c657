/**
 * Generates the Poseidon permutation (circomlib's optimised form: full rounds with the dense MDS
 * matrix, one pre-sparse matrix P, then partial rounds with sparse matrices S) over BN254's r.
 *
 * All constant multiplications go through `tdot` tables (see field-gen.ts), so the only true
 * Montgomery multiplications left are the x^5 S-boxes. The per-width constants live in memory
 * prepared by the runtime (poseidon.ts) in this layout:
 *   C: round constants (Montgomery form), consumed in order
 *   M, P: t*t tables; output i uses tables [i*t, i*t + t) (term j multiplies state j)
 *   S: per partial round 2t-1 tables: t for the new s0 (dot product), then t-1 for s_k += y * v_k
 */
import { type Code, type ModuleBuilder, op } from './encoder.ts';
import { ELEM, type FieldNames, TABLE } from './field-gen.ts';
import type { Layout } from './layout.ts';

export const FULL_ROUNDS = 8;

export function emitPoseidon(m: ModuleBuilder, layout: Layout, F: FieldNames): void {
  const SBOX_TMP = layout.alloc('poseidon_sbox_tmp', ELEM);

  // pow5(x) in place: x < 13p -> < 2p.
  {
    const f = m.addFunction('poseidon_pow5').param('x', 'i32');
    f.emit(
      f.call(F.sqr, op.i32(SBOX_TMP), f.get('x')),
      f.call(F.sqr, op.i32(SBOX_TMP), op.i32(SBOX_TMP)),
      f.call(F.mul, f.get('x'), op.i32(SBOX_TMP), f.get('x')),
    );
  }

  // poseidon(t, nRP, pC, pM, pP, pS, st, st2, input, out): st/st2 are scratch for t elements each,
  // input holds t-1 little-endian 32-byte canonical field elements, out receives 32 bytes.
  const f = m.addFunction('poseidon_hash');
  for (const p of ['t', 'nRP', 'pC', 'pM', 'pP', 'pS', 'st', 'st2', 'input', 'out']) f.param(p, 'i32');
  f.local('i', 'i32');
  f.local('r', 'i32');
  f.local('tmp', 'i32');
  f.local('rowBytes', 'i32');
  const get = (n: string) => f.get(n);
  const elem = (base: string, idx: Code): Code => op.i32_add(get(base), op.i32_mul(idx, op.i32(ELEM)));
  /** for (i = from; i < t; i++) body */
  const forI = (from: number, ...body: Code[]): Code => [
    f.set('i', op.i32(from)),
    op.block(
      op.loop(
        op.br_if(1, op.i32_ge_u(get('i'), get('t'))),
        ...body,
        f.set('i', op.i32_add(get('i'), op.i32(1))),
        op.br(0),
      ),
    ),
  ];
  const forR = (count: Code, ...body: Code[]): Code => [
    f.set('r', op.i32(0)),
    op.block(
      op.loop(
        op.br_if(1, op.i32_ge_u(get('r'), count)),
        ...body,
        f.set('r', op.i32_add(get('r'), op.i32(1))),
        op.br(0),
      ),
    ),
  ];
  const addConst = (target: Code): Code => [
    f.call(F.add, target, target, get('pC')),
    f.set('pC', op.i32_add(get('pC'), op.i32(ELEM))),
  ];
  // Full round body: S-box and round constant on every element, then the matrix at `mat`.
  const fullRound = (mat: Code, withConst = true): Code => [
    forI(0, f.call('poseidon_pow5', elem('st', get('i'))), withConst ? addConst(elem('st', get('i'))) : []),
    forI(
      0,
      f.call(
        F.tdot,
        elem('st2', get('i')),
        op.i32(0),
        get('st'),
        get('t'),
        op.i32_add(mat, op.i32_mul(get('i'), get('rowBytes'))),
      ),
    ),
    f.set('tmp', get('st')),
    f.set('st', get('st2')),
    f.set('st2', get('tmp')),
  ];

  f.emit(
    f.set('rowBytes', op.i32_mul(get('t'), op.i32(TABLE))),
    // state = [0, inputs...] in Montgomery form, plus the first round constants
    f.call(F.copy, get('st'), op.i32(F.ZERO)),
    forI(
      1,
      f.call(
        F.fromBytes,
        elem('st', get('i')),
        op.i32_add(get('input'), op.i32_mul(op.i32_sub(get('i'), op.i32(1)), op.i32(32))),
      ),
      f.call(F.toMont, elem('st', get('i')), elem('st', get('i'))),
    ),
    forI(0, addConst(elem('st', get('i')))),
    forR(op.i32(FULL_ROUNDS / 2 - 1), fullRound(get('pM'))),
    fullRound(get('pP')),
    forR(
      get('nRP'),
      f.call('poseidon_pow5', get('st')),
      addConst(get('st')),
      f.call(F.tdot, get('st2'), op.i32(0), get('st'), get('t'), get('pS')),
      f.set('pS', op.i32_add(get('pS'), get('rowBytes'))),
      // s_k += y * v_k; these grow by < 1.01p per round and are reduced once after the rounds.
      forI(
        1,
        f.call(F.tdot, elem('st', get('i')), elem('st', get('i')), get('st'), op.i32(1), get('pS')),
        f.set('pS', op.i32_add(get('pS'), op.i32(TABLE))),
      ),
      f.call(F.copy, get('st'), get('st2')),
    ),
    forI(1, f.call(F.reduce, elem('st', get('i')), elem('st', get('i')))),
    forR(op.i32(FULL_ROUNDS / 2 - 1), fullRound(get('pM'))),
    // last round: only output 0 is needed
    forI(0, f.call('poseidon_pow5', elem('st', get('i')))),
    f.call(F.tdot, get('st2'), op.i32(0), get('st'), get('t'), get('pM')),
    f.call(F.fromMont, get('st2'), get('st2')),
    f.call(F.toBytes, get('out'), get('st2')),
  );
}
