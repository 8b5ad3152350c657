import { describe, expect, it } from 'vitest';
import {
  GENESIS_PARENT_HASH,
  type Tx,
  TxType,
  batchPublicInput,
  blockHash,
  decodeBlock,
  encodeBlock,
  evaluateAt,
  executeBlock,
  poseidon,
  replayBlock,
  signTransfer,
  signWithdraw,
  splitHash,
} from '../src/index.ts';
import { fundedState, identity, registerTx, smallParams } from './fixtures.ts';

const CHAIN = smallParams().chainId;
const SLOTS = 8;
const ctx = { height: 1n, parentHash: GENESIS_PARENT_HASH, timestamp: 1_700_000_000_000n, slots: SLOTS };

async function sampleBlock() {
  const state = await fundedState(3, 10n ** 18n);
  const depositor = identity(9).eth.address.toLowerCase() as `0x${string}`;
  const txs: Tx[] = [
    { type: TxType.DEPOSIT, queueIndex: state.nextDepositIndex, depositor, to: 2, assetId: 1, amount: 5n },
    {
      type: TxType.DEPOSIT,
      queueIndex: state.nextDepositIndex + 1n,
      depositor,
      to: 77,
      assetId: 1,
      amount: 6n,
    },
    signTransfer(identity(1).l2Key, CHAIN, { from: 1, to: 2, amount: 10n ** 17n, nonce: 0n }),
    await registerTx(4, 1, CHAIN),
    signWithdraw(identity(3).l2Key, CHAIN, { from: 3, amount: 2n * 10n ** 17n, nonce: 0n }),
  ];
  return { state, txs };
}

describe('blocks', () => {
  it('executes, seals and replays to the same hash on another node', async () => {
    const { state, txs } = await sampleBlock();
    const { state: other } = await sampleBlock();
    const executed = executeBlock(state, txs, ctx);
    expect(executed.exits.map((e) => e.amount)).toEqual([6n, 2n * 10n ** 17n]);
    expect(executed.block.header.depositCount).toBe(2);
    const replayed = replayBlock(other, decodeBlock(encodeBlock(executed.block)), SLOTS);
    expect(replayed.hash).toBe(executed.hash);
    expect(other.stateRoot()).toBe(state.stateRoot());
  });

  it('rejects a block whose header does not match its execution and rolls back', async () => {
    const { state, txs } = await sampleBlock();
    const { state: other } = await sampleBlock();
    const executed = executeBlock(state, txs, ctx);
    const rootBefore = other.stateRoot();
    const forged = {
      ...executed.block,
      header: { ...executed.block.header, stateRoot: executed.block.header.stateRoot + 1n },
    };
    expect(() => replayBlock(other, forged, SLOTS)).toThrow(/BLOCK_INVALID/);
    expect(other.stateRoot()).toBe(rootBefore);
    expect(other.account(2)!.balance).toBe(10n ** 18n);
  });

  it('rejects deposits after L2 transactions, invalid transactions and oversize blocks, atomically', async () => {
    const { state, txs } = await sampleBlock();
    const rootBefore = state.stateRoot();
    expect(() => executeBlock(state, [txs[2]!, txs[0]!], ctx)).toThrow(/deposits must come before/);
    const bad = signTransfer(identity(1).l2Key, CHAIN, { from: 1, to: 2, amount: 10n ** 17n, nonce: 7n });
    expect(() => executeBlock(state, [txs[0]!, txs[2]!, bad], ctx)).toThrow(/BAD_NONCE/);
    expect(state.stateRoot()).toBe(rootBefore);
    expect(state.nextDepositIndex).toBe(3n);
    expect(() => executeBlock(state, new Array(SLOTS + 1).fill(txs[2]!), ctx)).toThrow(/exceed/);
  });

  it('lays out the public data as docs/PROTOCOL.md says and binds it into one public input', async () => {
    const { state, txs } = await sampleBlock();
    const executed = executeBlock(state, txs, ctx);
    const E = executed.commitment.elements;
    expect(E.length).toBe(7 * SLOTS);
    expect(E[0]! >> 192n).toBe(3n); // deposit element
    expect(E[1]).toBe(BigInt(identity(9).eth.address));
    expect(E[4]! >> 104n).toBe(2n); // transfer record: type byte of 14
    expect(E[6]! >> 104n).toBe(1n); // registration record
    expect((E[6]! >> 72n) & 0xffffffffn).toBe(4n); // new index
    expect(E[2 * SLOTS]).toBe(identity(4).publicKey[0]); // registration extras
    expect(E[5 * SLOTS + 1]).toBe(6n); // first exit: the refunded deposit
    const { dataHash, dataCommitment, z, y } = executed.commitment;
    const [hi, lo] = splitHash(dataHash);
    expect(z).toBe(poseidon([hi, lo, dataCommitment]));
    expect(y).toBe(evaluateAt(E, z));
    const h = executed.block.header;
    expect(batchPublicInput(h.prevStateRoot, h.stateRoot, executed.commitment)).toBe(
      poseidon([h.prevStateRoot, h.stateRoot, hi, lo, dataCommitment, y]),
    );
    expect(blockHash(h)).toBe(executed.hash);
  });
});
