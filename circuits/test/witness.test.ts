import { type L2State, type Tx, TxType } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { PARAM_SETS } from '../src/config.ts';
import { WitnessError, buildBlockWitness, extractPreState, stateFromPreState } from '../src/witness.ts';
import {
  depositTx,
  fundedState,
  noteOf,
  paramsFor,
  privacyState,
  privateTransferTx,
  registerTx,
  rotateObserverTx,
  shieldTx,
  transferTx,
  unshieldTx,
  wallet,
  withdrawTx,
} from './helpers.ts';

const C = PARAM_SETS.test;

describe('pre-state witness', () => {
  it('a prover with only the touched accounts and nodes builds the same circuit input as the full state', async () => {
    const full = await fundedState(C, 4, 1000n);
    const twin = await fundedState(C, 4, 1000n);
    const txs = [depositTx(full, 2, 9n), transferTx(full, 1, 1, 3, 120n)];
    const witness = extractPreState(twin, txs);
    expect(witness.accounts.map((a) => a.index).sort()).toEqual([1, 2, 3]);
    const partial = stateFromPreState(paramsFor(C), JSON.parse(JSON.stringify(witness)));
    expect(partial.stateRoot()).toBe(full.stateRoot());
    const a = buildBlockWitness(full, txs, C);
    const b = buildBlockWitness(partial, txs, C);
    expect(b.input).toEqual(a.input);
    expect(b.stateRoot).toBe(a.stateRoot);
    expect(b.publicInput).toBe(a.publicInput);

    // registration and withdrawal in the next block, from a fresh witness of the advanced state
    const txs2 = [await registerTx(77, 2, C.chainId), withdrawTx(full, 3, 3, 20n)];
    const w2 = extractPreState(full, txs2);
    const partial2 = stateFromPreState(paramsFor(C), w2);
    const b2 = buildBlockWitness(partial2, txs2, C);
    const a2 = buildBlockWitness(full, txs2, C);
    expect(b2.input).toEqual(a2.input);
  });

  it('rejects a witness whose nodes do not hash to its root', async () => {
    const state = await fundedState(C, 3, 1000n);
    const w = extractPreState(state, [transferTx(state, 1, 1, 2, 5n)]);
    const [level, index, value] = w.nodes[0]!;
    const bad = {
      ...w,
      nodes: [
        [level, index, (BigInt(value) + 1n).toString()] as [number, string, string],
        ...w.nodes.slice(1),
      ],
    };
    expect(() => stateFromPreState(paramsFor(C), bad)).toThrow(WitnessError);
    const rich = { ...w, accounts: w.accounts.map((a) => (a.index === 1 ? { ...a, balance: '999999' } : a)) };
    expect(() => stateFromPreState(paramsFor(C), rich)).toThrow(/account 1 does not match/);
  });

  it('privacy blocks: the witness carries the accumulators and the observer key, not the notes', async () => {
    const full = await privacyState(C, 8);
    const blocks: ((s: L2State) => Tx[])[] = [
      (s) => [shieldTx(s, 1, wallet(20)), privateTransferTx(s, noteOf(s, wallet(1)), wallet(1), wallet(21))],
      (s) => [unshieldTx(s, noteOf(s, wallet(21)), wallet(21), 3), rotateObserverTx(s)],
      // under the rotated observer key
      (s) => [shieldTx(s, 2, wallet(22)), privateTransferTx(s, noteOf(s, wallet(2)), wallet(2), wallet(23))],
    ];
    for (const make of blocks) {
      const txs = make(full);
      const witness = JSON.parse(JSON.stringify(extractPreState(full, txs)));
      expect(witness.notesRoot).toBe(full.notesRoot.toString());
      expect(witness.keyImagesRoot).toBe(full.keyImagesRoot.toString());
      expect(witness.observerKey.epoch).toBe(full.currentObserverKey()!.epoch.toString());
      const partial = stateFromPreState(paramsFor(C), witness);
      expect(partial.notes).toHaveLength(0);
      expect(partial.stateRoot()).toBe(full.stateRoot());
      const b = buildBlockWitness(partial, txs, C);
      const a = buildBlockWitness(full, txs, C);
      expect(b.input).toEqual(a.input);
      expect(b.stateRoot).toBe(a.stateRoot);
      expect(b.publicInput).toBe(a.publicInput);
    }
    expect(full.currentObserverKey()!.epoch).toBe(2n);
  });

  it('a pre-state witness still refuses what it can check: a key image spent twice in the block, a stale epoch', async () => {
    const full = await privacyState(C, 8);
    const spend = () => privateTransferTx(full, noteOf(full, wallet(4)), wallet(4), wallet(30));
    const twice = [spend(), spend()];
    const partial = stateFromPreState(paramsFor(C), extractPreState(full, twice));
    const root = full.stateRoot();
    expect(() => buildBlockWitness(partial, twice, C)).toThrow(/KEY_IMAGE_SPENT/);
    expect(() => buildBlockWitness(full, twice, C)).toThrow(/KEY_IMAGE_SPENT/);
    // nothing of the refused block stays applied
    expect(partial.stateRoot()).toBe(root);
    expect(full.stateRoot()).toBe(root);
    expect(full.keyImages.size).toBe(0);

    // a private transfer for epoch 1 after the block rotated to epoch 2
    const stale = [rotateObserverTx(full), spend()];
    expect(stale[1]!.type).toBe(TxType.PRIVATE_TRANSFER);
    const partial2 = stateFromPreState(paramsFor(C), extractPreState(full, stale));
    expect(() => buildBlockWitness(partial2, stale, C)).toThrow(/STALE_OBSERVER_EPOCH/);
  });
});
