import { readFile } from 'node:fs/promises';
import { type L2State, type Tx, TxType, batchPublicInput, executeBlock, signTransfer } from '@tessera/core';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CircuitKeys, setupCircuit } from '../src/build.ts';
import { PARAM_SETS } from '../src/config.ts';
import { type BatchWitness, BatchWitnessBuilder, buildBlockWitness } from '../src/witness.ts';
import { WitnessCalculationError, calculateWitness, calculateWtns } from '../src/witnessCalculator.ts';
import {
  depositTx,
  failingSource,
  fundedState,
  identity,
  registerTx,
  transferTx,
  withdrawTx,
} from './helpers.ts';

const C = PARAM_SETS.test; // N=2 slots, arity 4, depth 3
let keys: CircuitKeys;

beforeAll(async () => {
  keys = await setupCircuit(C);
}, 900_000);

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random block that core accepts: deposits first, then registrations, transfers, withdrawals. */
async function randomBlock(state: L2State, rand: () => number, nextSeed: () => number): Promise<Tx[]> {
  const txs: Tx[] = [];
  const ids = [...state.accounts.keys()];
  const size = 1 + Math.floor(rand() * C.slots);
  const deposits = Math.floor(rand() * (size + 1));
  const pending = new Map<number, { balance: bigint; nonce: bigint }>();
  const view = (i: number) =>
    pending.get(i) ?? { balance: state.account(i)!.balance, nonce: state.account(i)!.nonce };
  for (let d = 0; d < deposits; d++) {
    // sometimes to a missing account or with the wrong asset: refunded, still valid
    const to = rand() < 0.2 ? 60 : ids[Math.floor(rand() * ids.length)]!;
    const asset = rand() < 0.15 ? 2 : 1;
    const amount = BigInt(1 + Math.floor(rand() * 1000));
    const dep = depositTx(state, to, amount, asset, 90 + d, d);
    txs.push(dep);
    const acc = state.account(to);
    if (acc && acc.assetId === asset) pending.set(to, { ...view(to), balance: view(to).balance + amount });
  }
  while (txs.length < size) {
    const r = rand();
    const eth = ids.filter((i) => state.account(i)!.assetId === 1);
    if (r < 0.2) {
      txs.push(await registerTx(nextSeed(), 1 + Math.floor(rand() * 3), C.chainId));
    } else if (r < 0.7) {
      const from = eth[Math.floor(rand() * eth.length)]!;
      const to = eth.filter((i) => i !== from)[Math.floor(rand() * (eth.length - 1))]!;
      const v = view(from);
      if (v.balance === 0n) continue;
      const amount = 1n + BigInt(Math.floor(rand() * Number(v.balance < 500n ? v.balance : 500n)));
      txs.push(signTransfer(identity(from).l2Key, state.chainId, { from, to, amount, nonce: v.nonce }));
      pending.set(from, { balance: v.balance - amount, nonce: v.nonce + 1n });
      pending.set(to, { ...view(to), balance: view(to).balance + amount });
    } else {
      const from = eth[Math.floor(rand() * eth.length)]!;
      const v = view(from);
      if (v.balance === 0n) continue;
      const amount = 1n + BigInt(Math.floor(rand() * Number(v.balance < 300n ? v.balance : 300n)));
      txs.push(withdrawTx(state, from, from, amount, v.nonce));
      pending.set(from, { balance: v.balance - amount, nonce: v.nonce + 1n });
    }
  }
  return txs;
}

/** The witness must fail, at the assertion whose source line matches `rule`. */
async function expectUnsatisfiable(input: BatchWitness['input'], rule: RegExp) {
  const err = await calculateWitness(keys.wasm, input).then(
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

describe('batch circuit (N=2, A=4, D=3)', () => {
  it('prints its constraint count', () => {
    console.log(
      `batch circuit ${C.slots}x${C.arity}x${C.depth}: ${keys.constraints} constraints (domain 2^${keys.power})`,
    );
    expect(keys.constraints).toBeGreaterThan(10_000);
    expect(keys.constraints).toBeLessThan(2 ** keys.power);
  });

  it('accepts random valid blocks and reproduces core’s roots and public input, block by block', async () => {
    const state = await fundedState(C, 4, 1500n);
    const oracle = await fundedState(C, 4, 1500n); // core alone, executing the same blocks
    const rand = rng(20240601);
    let seed = 1000;
    for (let b = 0; b < 6; b++) {
      const txs = await randomBlock(state, rand, () => seed++);
      const executed = executeBlock(oracle, txs, {
        height: BigInt(b + 1),
        parentHash: `0x${'00'.repeat(32)}`,
        timestamp: 0n,
        slots: C.slots,
      });
      const w = buildBlockWitness(state, txs, C);
      expect(w.stateRoot).toBe(executed.block.header.stateRoot);
      expect(w.prevStateRoot).toBe(executed.block.header.prevStateRoot);
      expect(w.commitment.dataCommitment).toBe(executed.commitment.dataCommitment);
      const expected = batchPublicInput(
        executed.block.header.prevStateRoot,
        executed.block.header.stateRoot,
        executed.commitment,
      );
      const witness = await calculateWitness(keys.wasm, w.input);
      expect(witness[1]).toBe(expected);
    }
  });

  it('proves a block with snarkjs groth16 and verifies it (and rejects a wrong public input)', async () => {
    const state = await fundedState(C, 3, 1000n);
    const w = buildBlockWitness(state, [depositTx(state, 9, 7n), transferTx(state, 1, 1, 2, 250n)], C);
    const wtns = await calculateWtns(keys.wasm, w.input);
    const { proof, publicSignals } = await snarkjs.groth16.prove(keys.zkey, wtns);
    expect(publicSignals).toEqual([w.publicInput.toString()]);
    expect(await snarkjs.groth16.verify(keys.vkey, publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(keys.vkey, [(w.publicInput + 1n).toString()], proof)).toBe(false);
    const sol = await readFile(keys.solidityVerifier, 'utf8');
    expect(sol).toContain('contract Groth16Verifier');
    expect(sol).toContain('uint[1] calldata _pubSignals');
  }, 120_000);

  describe('invalid transactions make the witness unsatisfiable', () => {
    it('bad signature', async () => {
      const state = await fundedState(C, 3, 1000n);
      const good = transferTx(state, 1, 1, 2, 10n);
      const bad: Tx = { ...good, signature: { ...good.signature, S: good.signature.S + 1n } };
      const b = new BatchWitnessBuilder(state, C);
      b.add(bad, { force: true });
      await expectUnsatisfiable(b.finish().input, /left\.out\[0\] - right\.xout/);
    });

    it('signature by another key', async () => {
      const state = await fundedState(C, 3, 1000n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 2, 1, 2, 10n), { force: true });
      await expectUnsatisfiable(b.finish().input, /left\.out\[0\] - right\.xout/);
    });

    it('wrong nonce (a valid signature over nonce + 1)', async () => {
      const state = await fundedState(C, 3, 1000n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 2, 10n, state.account(1)!.nonce + 1n), { force: true });
      await expectUnsatisfiable(b.finish().input, /left\.out\[0\] - right\.xout/);
    });

    it('replay of an already used nonce', async () => {
      const state = await fundedState(C, 3, 1000n);
      const tx = transferTx(state, 1, 1, 2, 10n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(tx);
      b.add(tx, { force: true });
      await expectUnsatisfiable(b.finish().input, /left\.out\[0\] - right\.xout/);
    });

    it('overdraft (transfer and withdrawal)', async () => {
      for (const make of [
        (s: L2State) => transferTx(s, 1, 1, 2, 1001n),
        (s: L2State) => withdrawTx(s, 1, 1, 1001n),
      ]) {
        const state = await fundedState(C, 3, 1000n);
        const b = new BatchWitnessBuilder(state, C);
        b.add(make(state), { force: true });
        await expectUnsatisfiable(b.finish().input, /rangeBits\.in <== ranged/);
      }
    });

    it('recipient balance overflow (≥ 2^128)', async () => {
      const state = await fundedState(C, 3, 1000n);
      // top up account 2 to 2^128 − 10 in a first (valid) block
      buildBlockWitness(state, [depositTx(state, 2, (1n << 128n) - 10n - 1000n)], C);
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 2, 100n), { force: true });
      await expectUnsatisfiable(b.finish().input, /credits \* overflow === 0/);
    });

    it('deposit after an L2 transaction (deposits must come first, in queue order)', async () => {
      const state = await fundedState(C, 3, 1000n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 2, 10n));
      b.add(depositTx(state, 1, 5n), { force: true });
      await expectUnsatisfiable(b.finish().input, /isDeposit \* \(1 - depositsOnlyIn\) === 0/);
    });

    it('deposits in a different order than the L1 queue change the public input', async () => {
      const s1 = await fundedState(C, 3, 1000n);
      const s2 = await fundedState(C, 3, 1000n);
      const d0 = depositTx(s1, 1, 5n, 1, 91, 0);
      const d1 = depositTx(s1, 2, 6n, 1, 92, 1);
      const inOrder = buildBlockWitness(s1, [d0, d1], C);
      const swapped = buildBlockWitness(
        s2,
        [
          { ...d1, queueIndex: d0.queueIndex },
          { ...d0, queueIndex: d1.queueIndex },
        ],
        C,
      );
      // the swapped block is internally consistent, but its proof's public input cannot match the
      // one L1 computes from its queue order
      const w = await calculateWitness(keys.wasm, swapped.input);
      expect(w[1]).toBe(swapped.publicInput);
      expect(swapped.publicInput).not.toBe(inOrder.publicInput);
    });

    it('asset mismatch between sender and recipient', async () => {
      const state = await fundedState(C, 3, 1000n); // account 3 holds asset 2
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 3, 10n), { force: true });
      await expectUnsatisfiable(b.finish().input, /toM\.assetId - fromM\.assetId/);
    });

    it('transfer to oneself', async () => {
      const state = await fundedState(C, 3, 1000n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 1, 10n), { force: true });
      await expectUnsatisfiable(b.finish().input, /isTransfer \* selfTransfer\.out === 0/);
    });

    it('banned sender', async () => {
      const state = await fundedState(C, 3, 1000n);
      state.putAccount({ ...state.account(1)!, flags: 1 });
      const b = new BatchWitnessBuilder(state, C);
      b.add(transferTx(state, 1, 1, 2, 10n), { force: true });
      await expectUnsatisfiable(b.finish().input, /fromActive \* fromM\.banned === 0/);
    });

    it('registration of an unlisted asset', async () => {
      const state = await fundedState(C, 3, 1000n);
      const b = new BatchWitnessBuilder(state, C);
      b.add(await registerTx(50, 7, C.chainId), { force: true });
      await expectUnsatisfiable(b.finish().input, /isRegister \* assetMissing\.out === 0/);
    });

    it('registration over an existing account', async () => {
      const state = await fundedState(C, 3, 1000n);
      state.nextIndex = 2; // a sequencer that reuses index 2
      const b = new BatchWitnessBuilder(state, C);
      b.add(await registerTx(50, 1, C.chainId), { force: true });
      await expectUnsatisfiable(b.finish().input, /isRegister \* \(1 - toEmpty\) === 0/);
    });

    it('published registration data that differs from what was applied', async () => {
      const state = await fundedState(C, 3, 1000n);
      const w = buildBlockWitness(state, [await registerTx(51, 1, C.chainId)], C);
      const reg = [...(w.input.regData as string[])];
      reg[2] = (BigInt(reg[2]!) + 1n).toString(); // ethAddress
      await expectUnsatisfiable({ ...w.input, regData: reg }, /regEval\.out === regSum/);
    });

    it('a withdrawal whose published exit amount differs', async () => {
      const state = await fundedState(C, 3, 1000n);
      const w = buildBlockWitness(state, [withdrawTx(state, 1, 1, 10n)], C);
      const ex = [...(w.input.exitData as string[])];
      ex[1] = '11';
      await expectUnsatisfiable({ ...w.input, exitData: ex }, /exitEval\.out === exSum/);
    });
  });

  it('the padding and refund paths stay valid (deposit to a missing account, NOOP slots)', async () => {
    const state = await fundedState(C, 3, 1000n);
    const w = buildBlockWitness(state, [depositTx(state, 40, 5n)], C);
    expect(w.receipts[0]).toMatchObject({ type: TxType.DEPOSIT, credited: false });
    const witness = await calculateWitness(keys.wasm, w.input);
    expect(witness[1]).toBe(w.publicInput);
    expect(w.stateRoot).toBe(w.prevStateRoot); // a refund changes no account
  });
});
