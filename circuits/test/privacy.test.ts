import {
  BASE8,
  FIELD_MODULUS,
  GENESIS_PARENT_HASH,
  type L2State,
  ProtocolError,
  type Tx,
  TxType,
  applyTx,
  batchPublicInput,
  executeBlock,
  mulPoint,
  poseidon,
  signShield,
} from '@tessera/core';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CircuitKeys, compileCircuit, setupCircuit } from '../src/build.ts';
import { type BatchParams, PARAM_SETS } from '../src/config.ts';
import { type BatchWitness, BatchWitnessBuilder, buildBlockWitness } from '../src/witness.ts';
import { WitnessCalculationError, calculateWitness, calculateWtns } from '../src/witnessCalculator.ts';
import {
  ETH,
  depositTx,
  failingSource,
  identity,
  noteOf,
  privacyState,
  privateTransferTx,
  registerTx,
  rotateObserverTx,
  shieldTx,
  unshieldTx,
  wallet,
} from './helpers.ts';

const C = PARAM_SETS.test; // N=2 slots, arity 4, depth 3
let keys: CircuitKeys;

beforeAll(async () => {
  keys = await setupCircuit(C);
}, 900_000);

/** The witness must fail, at the assertion whose source line matches `rule`. */
async function expectUnsatisfiable(wasm: string, input: BatchWitness['input'], rule: RegExp) {
  const err = await calculateWitness(wasm, input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WitnessCalculationError);
  const chain = failingSource(err);
  expect(
    chain.some((l) => rule.test(l)),
    `failed at:\n${chain.join('\n')}`,
  ).toBe(true);
}

/** core's verdict on `tx` without changing `state` (applyTx checks everything before writing). */
function coreRejects(state: L2State, tx: Tx): string {
  const root = state.stateRoot();
  try {
    applyTx(state, tx);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect(state.stateRoot()).toBe(root);
    return (err as ProtocolError).code;
  }
  throw new Error('core accepted the transaction');
}

/**
 * core alone executes the block (executeBlock: every rule, ring signatures verified) and is rolled
 * back; then the witness is built on the same state. Returns both.
 */
function witnessWithOracle(state: L2State, txs: Tx[], params: BatchParams, height = 1n) {
  const before = state.stateRoot();
  state.checkpoint();
  const executed = executeBlock(state, txs, {
    height,
    parentHash: GENESIS_PARENT_HASH,
    timestamp: 0n,
    slots: params.slots,
  });
  state.rollback();
  expect(state.stateRoot()).toBe(before);
  const w = buildBlockWitness(state, txs, params);
  const h = executed.block.header;
  expect(w.prevStateRoot).toBe(h.prevStateRoot);
  expect(w.stateRoot).toBe(h.stateRoot);
  expect(w.commitment.dataHash).toBe(executed.commitment.dataHash);
  expect(w.commitment.dataCommitment).toBe(executed.commitment.dataCommitment);
  return { w, expected: batchPublicInput(h.prevStateRoot, h.stateRoot, executed.commitment) };
}

/** Replace slot `i`'s column `key` in a circuit input. */
function withSlot(
  input: BatchWitness['input'],
  key: string,
  i: number,
  value: bigint,
): BatchWitness['input'] {
  const col = [...(input[key] as string[])];
  col[i] = value.toString();
  return { ...input, [key]: col };
}

describe('privacy transactions in the batch circuit (N=2, A=4, D=3)', () => {
  it('proves blocks of every privacy type, mixed with the other types, with core’s roots and public input', async () => {
    const state = await privacyState(C, 8);
    const notesRoot0 = state.notesRoot;
    const blocks: ((s: L2State) => Promise<Tx[]>)[] = [
      // a shield and a private transfer: two notes and one key image folded, in order
      async (s) => [
        shieldTx(s, 1, wallet(20)),
        privateTransferTx(s, noteOf(s, wallet(1)), wallet(1), wallet(21)),
      ],
      // an unshield credits account 2; the observer key rotates to epoch 2
      async (s) => [unshieldTx(s, noteOf(s, wallet(21)), wallet(21), 2), rotateObserverTx(s)],
      // a registration and a shield under the new epoch share the extras region
      async (s) => [await registerTx(60, 1, C.chainId), shieldTx(s, 3, wallet(22))],
      // a deposit first, then an unshield into the same account
      async (s) => [depositTx(s, 3, 7n), unshieldTx(s, noteOf(s, wallet(2)), wallet(2), 3)],
    ];
    const proveAt = new Set([0, 1]);
    for (let b = 0; b < blocks.length; b++) {
      const txs = await blocks[b]!(state);
      const { w, expected } = witnessWithOracle(state, txs, C, BigInt(b + 1));
      const witness = await calculateWitness(keys.wasm, w.input);
      expect(witness[1]).toBe(expected);
      expect(w.publicInput).toBe(expected);
      if (proveAt.has(b)) {
        const { proof, publicSignals } = await snarkjs.groth16.prove(
          keys.zkey,
          await calculateWtns(keys.wasm, w.input),
        );
        expect(publicSignals).toEqual([expected.toString()]);
        expect(await snarkjs.groth16.verify(keys.vkey, publicSignals, proof)).toBe(true);
      }
    }
    // 8 setup notes + shield + private transfer + shield; key images: 3 spends
    expect(state.notes).toHaveLength(11);
    expect(state.keyImages.size).toBe(3);
    expect(state.notesRoot).not.toBe(notesRoot0);
    expect(state.currentObserverKey()!.epoch).toBe(2n);
  }, 300_000);

  it('chains the accumulators exactly like core: H(acc, cm) per note, H(acc, tag) per spend', async () => {
    const state = await privacyState(C, 8);
    const n0 = state.notesRoot;
    const k0 = state.keyImagesRoot;
    const txs = [
      privateTransferTx(state, noteOf(state, wallet(3)), wallet(3), wallet(30)),
      shieldTx(state, 2, wallet(31)),
    ];
    const { w } = witnessWithOracle(state, txs, C);
    const [pt, sh] = w.receipts;
    if (pt?.type !== TxType.PRIVATE_TRANSFER || sh?.type !== TxType.SHIELD) throw new Error('receipts');
    expect(state.notesRoot).toBe(poseidon([poseidon([n0, pt.noteCommitment]), sh.noteCommitment]));
    expect(state.keyImagesRoot).toBe(poseidon([k0, pt.keyImageTag]));
    // the published extras: (tag, cm, binding) then (cm, 0, binding)
    expect(w.input.regData).toEqual(
      [pt.keyImageTag, pt.noteCommitment, pt.binding, sh.noteCommitment, 0n, sh.binding].map(String),
    );
    expect((await calculateWitness(keys.wasm, w.input))[1]).toBe(w.publicInput);
  });

  describe('invalid privacy transactions make the witness unsatisfiable', () => {
    it('shield whose amount differs from the signed one', async () => {
      const state = await privacyState(C, 0);
      const good = shieldTx(state, 1, wallet(5), ETH);
      const bad = { ...good, amount: ETH / 10n }; // another denomination, not the signed amount
      expect(coreRejects(state, bad)).toBe('BAD_SIGNATURE');
      const b = new BatchWitnessBuilder(state, C);
      b.add(bad, { force: true });
      await expectUnsatisfiable(keys.wasm, b.finish().input, /left\.out\[0\] - right\.xout/);
    });

    it('shield whose published binding differs from the signed one (changed in the witness and the data)', async () => {
      const state = await privacyState(C, 0);
      const w = buildBlockWitness(state, [shieldTx(state, 1, wallet(5))], C);
      const reg = [...(w.input.regData as string[])];
      const other = BigInt(reg[2]!) ^ 1n;
      reg[2] = other.toString();
      await expectUnsatisfiable(
        keys.wasm,
        { ...withSlot(w.input, 'binding', 0, other), regData: reg },
        /left\.out\[0\] - right\.xout/,
      );
    });

    it('shield of a note whose one-time key is not in the prime-order subgroup', async () => {
      const state = await privacyState(C, 0);
      const good = shieldTx(state, 1, wallet(5));
      const [px, py] = good.output.oneTimeKey;
      const mod = (v: bigint) => ((v % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
      // P + (0, −1): on the curve, order 2l
      const { signature: _, type: __, ...fields } = good;
      const bad = signShield(identity(1).l2Key, state.chainId, 1, {
        ...fields,
        output: { ...good.output, oneTimeKey: [mod(-px), mod(-py)] },
      });
      expect(coreRejects(state, bad)).toBe('BAD_NOTE_OUTPUT');
      const b = new BatchWitnessBuilder(state, C);
      b.add(bad, { force: true });
      await expectUnsatisfiable(keys.wasm, b.finish().input, /pointSel \* \(k3\.xout - ptX\) === 0/);
    });

    it('private transfer whose note key differs from the one the published cm commits to', async () => {
      const state = await privacyState(C, 8);
      const w = buildBlockWitness(
        state,
        [privateTransferTx(state, noteOf(state, wallet(4)), wallet(4), wallet(40))],
        C,
      );
      // another valid one-time key, with its subgroup witness: only the commitment differs
      const B = mulPoint(BASE8, 777n);
      const Q = mulPoint(B, 8n);
      let input = withSlot(w.input, 'noteX', 0, Q[0]);
      input = withSlot(input, 'noteY', 0, Q[1]);
      input = withSlot(input, 'keyRootX', 0, B[0]);
      input = withSlot(input, 'keyRootY', 0, B[1]);
      await expectUnsatisfiable(keys.wasm, input, /regEval\.out === regSum/);
      // noteX alone changed: not a point with a subgroup witness any more
      await expectUnsatisfiable(
        keys.wasm,
        withSlot(w.input, 'noteX', 0, BigInt((w.input.noteX as string[])[0]!) + 1n),
        /pointSel \* \(k3\.xout - ptX\) === 0/,
      );
    });

    it('unshield to an account of another asset', async () => {
      const state = await privacyState(C, 8); // account 4 holds asset 2, the notes asset 1
      const tx = unshieldTx(state, noteOf(state, wallet(5)), wallet(5), 4);
      expect(coreRejects(state, tx)).toBe('ASSET_MISMATCH');
      const b = new BatchWitnessBuilder(state, C);
      b.add(tx, { force: true });
      await expectUnsatisfiable(
        keys.wasm,
        b.finish().input,
        /isUnshield \* \(toM\.assetId - privAsset\) === 0/,
      );
    });

    it('unshield that overflows the recipient balance (≥ 2^128)', async () => {
      const state = await privacyState(C, 8);
      // top up account 2 to 2^128 − 1 − ETH/2 in a first (valid) block
      buildBlockWitness(
        state,
        [depositTx(state, 2, (1n << 128n) - 1n - ETH / 2n - state.account(2)!.balance)],
        C,
      );
      const tx = unshieldTx(state, noteOf(state, wallet(6)), wallet(6), 2);
      expect(coreRejects(state, tx)).toBe('BALANCE_OVERFLOW');
      const b = new BatchWitnessBuilder(state, C);
      b.add(tx, { force: true });
      await expectUnsatisfiable(keys.wasm, b.finish().input, /credits \* overflow === 0/);
    });

    it('observer key epoch or note asset that does not fit the 4-byte record field', async () => {
      const state = await privacyState(C, 8);
      expect(coreRejects(state, { ...rotateObserverTx(state), epoch: 1n << 32n })).toBe(
        'STALE_OBSERVER_EPOCH',
      );
      // a 2^32 alias would move the value into the record's type byte
      const w = buildBlockWitness(state, [rotateObserverTx(state)], C);
      await expectUnsatisfiable(
        keys.wasm,
        withSlot(w.input, 'privAsset', 0, 2n + (1n << 32n)),
        /assetBits\.in <== asset32/,
      );
      const u = buildBlockWitness(state, [unshieldTx(state, noteOf(state, wallet(3)), wallet(3), 1)], C);
      await expectUnsatisfiable(
        keys.wasm,
        withSlot(u.input, 'privAsset', 0, 1n + (1n << 32n)),
        /assetBits\.in <== asset32/,
      );
    });

    it('published extras of a privacy slot that differ from what was applied', async () => {
      const state = await privacyState(C, 8);
      const sh = shieldTx(state, 1, wallet(7));
      const pt = privateTransferTx(state, noteOf(state, wallet(6)), wallet(6), wallet(41));
      const w = buildBlockWitness(state, [sh, pt], C);
      // regData: shield (cm, 0, binding), private transfer (tag, cm, binding)
      for (const j of [0, 1, 2, 3, 4, 5]) {
        const reg = [...(w.input.regData as string[])];
        reg[j] = (BigInt(reg[j]!) + 1n).toString();
        await expectUnsatisfiable(keys.wasm, { ...w.input, regData: reg }, /regEval\.out === regSum/);
      }
      // swapped triples (right values, wrong order)
      const reg = w.input.regData as string[];
      await expectUnsatisfiable(
        keys.wasm,
        { ...w.input, regData: [...reg.slice(3, 6), ...reg.slice(0, 3)] },
        /regEval\.out === regSum/,
      );
    });

    it('published observer key that differs from the applied one', async () => {
      const state = await privacyState(C, 0);
      const w = buildBlockWitness(state, [rotateObserverTx(state)], C);
      const reg = [...(w.input.regData as string[])];
      expect(reg.slice(0, 3)).toEqual([(w.input.noteX as string[])[0], (w.input.noteY as string[])[0], '0']);
      reg[1] = (BigInt(reg[1]!) + 1n).toString();
      await expectUnsatisfiable(keys.wasm, { ...w.input, regData: reg }, /regEval\.out === regSum/);
    });

    it('accumulators not updated: no witness skips the fold, and the proof only opens the folded root', async () => {
      const state = await privacyState(C, 8);
      const prev = state.stateRoot();
      const n0 = state.notesRoot;
      const k0 = state.keyImagesRoot;
      const txs = [
        shieldTx(state, 1, wallet(8)),
        privateTransferTx(state, noteOf(state, wallet(7)), wallet(7), wallet(42)),
      ];
      const w = buildBlockWitness(state, txs, C);
      expect(state.notesRoot).not.toBe(n0);
      expect(state.keyImagesRoot).not.toBe(k0);
      // the post-state root a prover would claim if it left the accumulators alone
      const stale = batchPublicInput(
        prev,
        poseidon([state.tree.root, state.assetsRoot, n0, k0]),
        w.commitment,
      );
      const { proof, publicSignals } = await snarkjs.groth16.prove(
        keys.zkey,
        await calculateWtns(keys.wasm, w.input),
      );
      expect(publicSignals).toEqual([w.publicInput.toString()]);
      expect(await snarkjs.groth16.verify(keys.vkey, [stale.toString()], proof)).toBe(false);
      // dropping the private transfer's type flag (so nothing is folded for it) is unsatisfiable
      const unflagged = withSlot(withSlot(w.input, 'isPrivate', 1, 0n), 'binding', 1, 0n);
      await expectUnsatisfiable(keys.wasm, unflagged, /regEval\.out === regSum/);
      // so is a shield flagged as a withdrawal (a debit without a note): its signature is over a
      // shield message, and its binding and extras have no place in a withdrawal
      let asWithdraw = withSlot(w.input, 'isShield', 0, 0n);
      asWithdraw = withSlot(asWithdraw, 'isWithdraw', 0, 1n);
      await expectUnsatisfiable(
        keys.wasm,
        asWithdraw,
        /\(1 - bindSel\) \* binding === 0|left\.out\[0\] - right\.xout|regEval\.out === regSum/,
      );
      // a pre-state accumulator other than the committed one gives another public input
      const shifted = await calculateWitness(keys.wasm, { ...w.input, notesRoot: (n0 + 1n).toString() });
      expect(shifted[1]).not.toBe(w.publicInput);
    }, 120_000);
  });
});

describe('one block with every privacy type (devnet shape N=4, A=4, D=6)', () => {
  const D = PARAM_SETS.devnet;
  it('reproduces core’s public input with every constraint satisfied', async () => {
    const { wasm } = await compileCircuit(D);
    const state = await privacyState(D, 8);
    const txs: Tx[] = [
      shieldTx(state, 1, wallet(50)),
      privateTransferTx(state, noteOf(state, wallet(1)), wallet(1), wallet(51)),
      unshieldTx(state, noteOf(state, wallet(2)), wallet(2), 3),
      rotateObserverTx(state),
    ];
    const { w, expected } = witnessWithOracle(state, txs, D);
    expect(w.receipts.map((r) => r.type)).toEqual([
      TxType.SHIELD,
      TxType.PRIVATE_TRANSFER,
      TxType.UNSHIELD,
      TxType.OBSERVER_KEY,
    ]);
    expect((await calculateWitness(wasm, w.input))[1]).toBe(expected);
  }, 900_000);
});
