import {
  GENESIS_PARENT_HASH,
  L2State,
  MemoryKV,
  TxType,
  chainParams,
  executeBlock,
  signTransfer,
  signWithdraw,
} from '@tessera/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Hex } from '../src/consensus/types.ts';
import { applyGenesis, devAccounts } from '../src/node/genesis.ts';
import { Ledger, warmUpBlockPath } from '../src/node/ledger.ts';
import { wireFromTx } from '../src/node/txwire.ts';

const log = pino({ level: 'silent' });
const chainId = 31_337n;
const params = chainParams({ chainId, tree: { arity: 4, depth: 4 } });
const SLOTS = 8;
const accts = devAccounts('ledger-build-test', 6);
const genesis = accts.map((a) => a.account);
const transfer = (from: number, to: number, nonce: bigint, amount = 1n) =>
  wireFromTx(signTransfer(accts[from - 1]!.l2Key, chainId, { from, to, amount, nonce }));
const cert = (height: bigint, valueHash: Hex) => ({ height, round: 0, valueHash, signatures: [] });

describe('ledger block building', () => {
  it('builds, in one pass, exactly the block executeBlock gives for the transactions that apply', async () => {
    const ledger = await Ledger.open(new MemoryKV(), params, SLOTS, genesis, log);
    const candidates = [
      transfer(1, 2, 0n),
      transfer(1, 3, 5n), // nonce gap: rejected
      transfer(2, 3, 0n),
      wireFromTx(signWithdraw(accts[3]!.l2Key, chainId, { from: 4, amount: 10n ** 30n, nonce: 0n })), // overdraft
      transfer(1, 4, 1n),
      ...[2n, 3n, 4n, 5n, 6n, 7n, 8n].map((n) => transfer(1, 5, n)),
    ];
    const built = ledger.build(candidates, 1_000n);
    expect(built.rejected.map((r) => r.err.code)).toEqual(['BAD_NONCE', 'INSUFFICIENT_BALANCE']);
    expect(built.included).toHaveLength(SLOTS);
    expect(built.included.map((w) => w.hash)).toEqual(
      candidates
        .filter((_, i) => i !== 1 && i !== 3)
        .slice(0, SLOTS)
        .map((w) => w.hash),
    );

    // The reference: executeBlock of the included transactions on a fresh genesis state.
    const reference = new L2State(params);
    applyGenesis(reference, genesis);
    const executed = executeBlock(
      reference,
      built.included.map((w) => w.tx),
      { height: 1n, parentHash: GENESIS_PARENT_HASH, timestamp: 1_000n, slots: SLOTS },
      () => true,
    );
    expect(built.hash).toBe(executed.hash);

    // A validator replaying the value reaches the same hash, and the builder commits it.
    const validator = await Ledger.open(new MemoryKV(), params, SLOTS, genesis, log);
    expect(validator.validate(1n, built.value, () => undefined)).toBe(built.hash);
    const block = await ledger.commit(1n, built.value, cert(1n, built.hash), () => undefined);
    expect(block.txs.filter((t) => t.type === TxType.TRANSFER)).toHaveLength(SLOTS);
    expect(ledger.head.stateRoot).toBe(executed.block.header.stateRoot);
    expect(ledger.stats.speculationMisses).toBe(0);
  });

  it('a rebuild after a dropped speculation starts from the committed state', async () => {
    const ledger = await Ledger.open(new MemoryKV(), params, SLOTS, genesis, log);
    const first = ledger.build([transfer(1, 2, 0n)], 5n);
    const second = ledger.build([transfer(1, 2, 0n), transfer(2, 3, 0n)], 5n);
    expect(second.included).toHaveLength(2);
    expect(second.hash).not.toBe(first.hash);
    const validator = await Ledger.open(new MemoryKV(), params, SLOTS, genesis, log);
    expect(validator.validate(1n, second.value, () => undefined)).toBe(second.hash);
  });

  it('warms the block path up on scratch state without touching anything else', () => {
    const { signature } = signTransfer(accts[0]!.l2Key, chainId, { from: 1, to: 2, amount: 1n, nonce: 0n });
    expect(() => warmUpBlockPath(params, SLOTS, genesis[0]!, signature, 1)).not.toThrow();
  });
});
