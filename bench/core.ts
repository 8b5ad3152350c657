/** State-tree and state-transition throughput for full 500-transaction blocks. */
import { fileURLToPath } from 'node:url';
import {
  GENESIS_PARENT_HASH,
  L2State,
  SparseMerkleTree,
  type Tx,
  TxType,
  chainParams,
  executeBlock,
  privateKeyToPublicKey,
  signTransfer,
} from '../core/src/index.ts';
import { type BenchResult, printTable } from './table.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const BLOCK = 500;

  for (const shape of [
    { arity: 4 as const, depth: 12 },
    { arity: 8 as const, depth: 8 },
    { arity: 2 as const, depth: 24 },
  ]) {
    const tree = new SparseMerkleTree(shape);
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      // 500 transfers touch up to 1,000 leaves spread over the tree.
      const updates: [bigint, bigint][] = [];
      for (let i = 0; i < 2 * BLOCK; i++)
        updates.push([BigInt((i * 2654435761 + round * 97) % 1_000_000), BigInt(i + round + 1)]);
      const t0 = performance.now();
      tree.setLeaves(updates);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    results.push({
      name: `tree update, 500-tx block (1000 leaves), arity ${shape.arity} depth ${shape.depth}`,
      value: ms,
      unit: 'ms/block',
    });
    results.push({
      name: `tree leaf updates/s, arity ${shape.arity} depth ${shape.depth}`,
      value: (2 * BLOCK) / (ms / 1000),
      unit: 'leaves/s',
    });
  }

  // Full state transition of a 500-transfer block (signatures checked) on the production shape.
  const params = chainParams();
  const state = new L2State(params);
  const keys: Uint8Array[] = [];
  const ACCOUNTS = 200;
  for (let i = 1; i <= ACCOUNTS; i++) {
    const key = new Uint8Array(32).fill(i % 256);
    key[1] = Math.floor(i / 256);
    keys.push(key);
    state.putAccount({
      index: i,
      publicKey: privateKeyToPublicKey(key),
      ethAddress: `0x${i.toString(16).padStart(40, '0')}`,
      assetId: 1,
      nonce: 0n,
      accountType: 0,
      kycLevel: 0,
      flags: 0,
      balance: 10n ** 24n,
    });
  }
  state.nextIndex = ACCOUNTS + 1;
  state.stateRoot();
  const nonces = new Array<bigint>(ACCOUNTS + 1).fill(0n);
  const txs: Tx[] = [];
  for (let i = 0; i < BLOCK; i++) {
    const from = (i % ACCOUNTS) + 1;
    const to = ((i * 7) % ACCOUNTS) + 1 === from ? (from % ACCOUNTS) + 1 : ((i * 7) % ACCOUNTS) + 1;
    txs.push(
      signTransfer(keys[from - 1]!, params.chainId, { from, to, amount: 10n ** 15n, nonce: nonces[from]!++ }),
    );
  }
  const t0 = performance.now();
  const executed = executeBlock(state, txs, {
    height: 1n,
    parentHash: GENESIS_PARENT_HASH,
    timestamp: 0n,
    slots: BLOCK,
  });
  const ms = performance.now() - t0;
  if (executed.receipts.length !== BLOCK || executed.block.txs[0]?.type !== TxType.TRANSFER)
    throw new Error('block did not execute');
  results.push({
    name: 'executeBlock: 500 transfers incl. EdDSA verify + tree + public data',
    value: ms,
    unit: 'ms/block',
  });
  results.push({ name: 'state transition throughput (one core)', value: BLOCK / (ms / 1000), unit: 'tx/s' });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printTable('core', await run());
}
