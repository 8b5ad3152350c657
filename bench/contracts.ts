/**
 * L1 gas of the rollup and the bridge on a real anvil, with the production slot count (N = 500),
 * production timing and a real snarkjs Groth16 verifier (one public input: its cost does not
 * depend on the circuit). Per-item figures are marginal: (gas of a batch with k items − gas of
 * the empty batch) / k, so they exclude the fixed cost, which is reported on its own.
 */
import '../scripts/polyfills.ts';
import { fileURLToPath } from 'node:url';
import { type Address, keccak256, toHex } from 'viem';
import { tesseraBridgeAbi } from '../contracts/src/abi.ts';
import { type Exit, TX_TYPE, encodeFloat40, exitTree, record } from '../contracts/src/batch.ts';
import { PRODUCTION_TIMING, deployContract } from '../contracts/src/deploy.ts';
import { SparseTree, accountLeaf, accountStruct } from '../contracts/src/escape.ts';
import {
  commit,
  fixture,
  increaseTime,
  mined,
  startSystem,
  verify,
} from '../contracts/test/helpers/system.ts';
import { type BenchResult, printTable, writeResults } from './table.ts';

const SLOTS = 500;
const ETH = '0x0000000000000000000000000000000000000000' as const;

/** Deterministic xorshift stream so that every run posts the same calldata. */
function rng(seed: bigint): () => bigint {
  let x = seed;
  return () => {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    return x;
  };
}

/** Transfers between accounts below 2^20 with wallet-like amounts (≤ 6 significant digits). */
function transfers(count: number, seed: bigint): bigint[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const from = Number(next() % 1_000_000n) + 1;
    const to = Number(next() % 1_000_000n) + 1;
    const amount = ((next() % 999_999n) + 1n) * 10n ** (12n + (next() % 7n));
    return record(TX_TYPE.TRANSFER, from, to, encodeFloat40(amount));
  });
}

export default async function run(): Promise<BenchResult[]> {
  const sys = await startSystem({ slots: SLOTS, arity: 4, depth: 12, ...PRODUCTION_TIMING });
  const rows: BenchResult[] = [];
  const gas = (name: string, value: bigint | number, unit = 'gas') =>
    rows.push({ name, value: Number(value), unit });
  try {
    const user = sys.users[0]!;
    const art = fixture(sys, 'MockToken');
    const token = (await deployContract(sys.admin, sys.client, art.abi, art.bytecode, ['USD'])).address;
    await mined(
      sys,
      sys.admin.writeContract({
        address: sys.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'listToken',
        args: [token, 2],
      }),
    );
    await mined(
      sys,
      sys.admin.writeContract({
        address: token,
        abi: art.abi,
        functionName: 'mint',
        args: [user.account.address, 10n ** 30n],
      }),
    );
    await mined(
      sys,
      user.writeContract({
        address: token,
        abi: art.abi,
        functionName: 'approve',
        args: [sys.bridge, 10n ** 30n],
      }),
    );
    const deposit = (to: number, t: Address, amount: bigint) =>
      mined(
        sys,
        user.writeContract({
          address: sys.bridge,
          abi: tesseraBridgeAbi,
          functionName: 'deposit',
          args: [to, t, amount],
          value: t === ETH ? amount : 0n,
        }),
      );

    gas('deposit ETH', (await deposit(1, ETH, 10n ** 18n)).gasUsed);
    gas('deposit ERC-20', (await deposit(2, token, 10n ** 24n)).gasUsed);
    for (let i = 0; i < 98; i++) await deposit(3 + i, ETH, 10n ** 16n);

    // Fixed cost: an empty batch (header, 3 signatures, 2 Poseidon calls, storage, events).
    const empty = await commit(sys);
    const g0 = empty.receipt.gasUsed;
    gas('commitBatch, empty batch (fixed cost)', g0);

    for (const n of [250, SLOTS]) {
      const full = await commit(sys, { records: transfers(n, BigInt(n) * 7919n + 1n) });
      const g = full.receipt.gasUsed;
      gas(`commitBatch, ${n} transfers`, g);
      gas(`per transfer above fixed cost (${n}-transfer batch)`, Number(g - g0) / n, 'gas/transfer');
    }
    gas('calldata per transfer', 14, 'bytes');

    const withDeposits = await commit(sys, { deposits: 100 });
    gas(
      'per consumed deposit above fixed cost (100 deposits)',
      Number(withDeposits.receipt.gasUsed - g0) / 100,
      'gas/deposit',
    );

    const next = rng(42n);
    const exits: Exit[] = Array.from({ length: 100 }, (_, j) => ({
      recipient: toHex(keccak256(toHex(`recipient-${j}`))).slice(0, 42) as Address,
      assetId: j === 0 ? 2 : 1,
      amount: j === 0 ? 10n ** 20n : ((next() % 999n) + 1n) * 10n ** 12n,
    }));
    const withdrawals = exits.map((x, j) => record(TX_TYPE.WITHDRAW, j + 1, 0, encodeFloat40(x.amount)));
    const wd = await commit(sys, { records: withdrawals, exits });
    gas(
      'per withdrawal above fixed cost (record + exit leaf, 100 withdrawals)',
      Number(wd.receipt.gasUsed - g0) / 100,
      'gas/withdrawal',
    );

    // Verify everything committed so far, in order.
    const verifyGas: bigint[] = [];
    for (let h = 1n; h <= wd.prepared.header.height; h++) verifyGas.push((await verify(sys, h)).gasUsed);
    gas('verifyBatch (Groth16, 1 public input)', verifyGas[0]!);

    const height = wd.prepared.header.height;
    const tree = exitTree(exits, height);
    const claim = (j: number) =>
      mined(
        sys,
        sys.users[4]!.writeContract({
          address: sys.bridge,
          abi: tesseraBridgeAbi,
          functionName: 'claim',
          args: [height, j, exits[j]!.recipient, exits[j]!.assetId, exits[j]!.amount, tree.proof(j)],
        }),
      );
    gas('claim ERC-20 (7-level exit proof)', (await claim(0)).gasUsed);
    gas('claim ETH (7-level exit proof)', (await claim(1)).gasUsed);

    // Escape hatch on the production tree shape (arity 4, depth 12): one account, frozen system.
    const accounts = new SparseTree(4, 12, sys.poseidon);
    const alice = {
      ax: 5n,
      ay: 6n,
      ethAddress: sys.users[1]!.account.address,
      assetId: 1,
      nonce: 0n,
      accountType: 1,
      kycLevel: 1,
      flags: 0,
      balance: 10n ** 15n,
    };
    accounts.set(77n, accountLeaf(alice, sys.poseidon));
    const roots: [bigint, bigint, bigint] = [1n, 2n, 3n];
    await commit(sys, { stateRoot: sys.poseidon([accounts.root(), ...roots]) });
    await verify(sys, height + 1n);
    await increaseTime(sys, PRODUCTION_TIMING.escapeDelay + 1n);
    const esc = await mined(
      sys,
      sys.users[4]!.writeContract({
        address: sys.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'escape',
        args: [77n, accountStruct(alice), accounts.root(), roots, accounts.siblings(77n)],
      }),
    );
    gas('escape withdrawal (arity 4, depth 12)', esc.gasUsed);
    return rows;
  } finally {
    await sys.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await run();
  printTable('contracts', rows);
  writeResults('contracts', rows);
  process.exit(0);
}
