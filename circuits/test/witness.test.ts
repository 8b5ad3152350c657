import { describe, expect, it } from 'vitest';
import { PARAM_SETS } from '../src/config.ts';
import { WitnessError, buildBlockWitness, extractPreState, stateFromPreState } from '../src/witness.ts';
import { depositTx, fundedState, paramsFor, registerTx, transferTx, withdrawTx } from './helpers.ts';

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
});
