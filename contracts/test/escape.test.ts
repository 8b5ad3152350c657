import { type Address, type Hex, keccak256, parseEventLogs, toHex } from 'viem';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tesseraBridgeAbi } from '../src/abi.ts';
import { FIELD_P } from '../src/batch.ts';
import { deployContract } from '../src/deploy.ts';
import { type AccountFields, SparseTree, accountLeaf, accountStruct } from '../src/escape.ts';
import {
  type System,
  TEST_TIMING,
  commit,
  expectRevert,
  fixture,
  increaseTime,
  mined,
  startSystem,
  verify,
} from './helpers/system.ts';

const ETH = '0x0000000000000000000000000000000000000000' as const;

let sys: System;
let snapshot: Hex;
let token: Address;
let tree: SparseTree;
let otherRoots: [bigint, bigint, bigint];
let accounts: Map<bigint, AccountFields>;

const field = (label: string) => BigInt(keccak256(toHex(label))) % FIELD_P;

const escapeHatch = (
  index: bigint,
  a: AccountFields,
  opts: { siblings?: bigint[]; roots?: [bigint, bigint, bigint]; accountsRoot?: bigint } = {},
  from = sys.users[4]!,
) =>
  from.writeContract({
    address: sys.bridge,
    abi: tesseraBridgeAbi,
    functionName: 'escape',
    args: [
      index,
      accountStruct(a),
      opts.accountsRoot ?? tree.root(),
      opts.roots ?? otherRoots,
      opts.siblings ?? tree.siblings(index),
    ],
  });

const reclaim = (queueIndex: bigint, from = sys.users[4]!) =>
  from.writeContract({
    address: sys.bridge,
    abi: tesseraBridgeAbi,
    functionName: 'reclaimDeposit',
    args: [queueIndex],
  });

const tokenBalance = (who: Address) =>
  sys.client.readContract({
    address: token,
    abi: fixture(sys, 'MockToken').abi,
    functionName: 'balanceOf',
    args: [who],
  }) as Promise<bigint>;

beforeAll(async () => {
  sys = await startSystem();
  const art = fixture(sys, 'MockToken');
  token = (await deployContract(sys.admin, sys.client, art.abi, art.bytecode, ['USD'])).address;
  await mined(
    sys,
    sys.admin.writeContract({
      address: sys.bridge,
      abi: tesseraBridgeAbi,
      functionName: 'listToken',
      args: [token, 2],
    }),
  );
  const depositor = sys.users[0]!;
  await mined(
    sys,
    sys.admin.writeContract({
      address: token,
      abi: art.abi,
      functionName: 'mint',
      args: [depositor.account.address, 10n ** 21n],
    }),
  );
  await mined(
    sys,
    depositor.writeContract({
      address: token,
      abi: art.abi,
      functionName: 'approve',
      args: [sys.bridge, 10n ** 21n],
    }),
  );

  // L2 state at the verified batch: three accounts in an arity-4, depth-4 tree.
  const base = { ax: field('ax'), ay: field('ay'), nonce: 3n, accountType: 1, kycLevel: 2 };
  accounts = new Map<bigint, AccountFields>([
    [
      1n,
      { ...base, ethAddress: sys.users[1]!.account.address, assetId: 1, flags: 0, balance: 4n * 10n ** 17n },
    ],
    [2n, { ...base, ethAddress: sys.users[2]!.account.address, assetId: 2, flags: 0, balance: 123n }],
    [200n, { ...base, ethAddress: sys.users[3]!.account.address, assetId: 1, flags: 1, balance: 5n }],
  ]);
  tree = new SparseTree(sys.params.arity, sys.params.depth, sys.poseidon);
  for (const [i, a] of accounts) tree.set(i, accountLeaf(a, sys.poseidon));
  otherRoots = [field('assets'), field('notes'), field('key images')];
  const stateRoot = sys.poseidon([tree.root(), ...otherRoots]);

  // Deposits 0 and 1 are consumed by verified batch 1; deposit 2 only by unverified batch 2;
  // deposit 3 by nothing.
  const dep = (to: number, t: Address, amount: bigint) =>
    mined(
      sys,
      depositor.writeContract({
        address: sys.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'deposit',
        args: [to, t, amount],
        value: t === ETH ? amount : 0n,
      }),
    );
  await dep(1, ETH, 10n ** 18n);
  await dep(2, token, 10n ** 20n);
  await dep(9, ETH, 7n);
  await dep(9, token, 8n);
  await commit(sys, { deposits: 2, stateRoot });
  await verify(sys, 1n);
  await commit(sys, { deposits: 1 });
});
afterAll(async () => {
  await sys?.stop();
});
beforeEach(async () => {
  snapshot = await sys.test.snapshot();
});
afterEach(async () => {
  await sys.test.revert({ id: snapshot });
});

describe('escape hatch', () => {
  it('stays closed while batches are verified', async () => {
    await expectRevert(sys, escapeHatch(1n, accounts.get(1n)!), 'NotFrozen');
    await expectRevert(sys, reclaim(3n), 'NotFrozen');
  });

  it('pays account balances against the last verified state root, once per account', async () => {
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    const alice = accounts.get(1n)!;
    const before = await sys.client.getBalance({ address: alice.ethAddress });
    const receipt = await mined(sys, escapeHatch(1n, alice));
    expect((await sys.client.getBalance({ address: alice.ethAddress })) - before).toBe(alice.balance);
    const [ev] = parseEventLogs({ abi: tesseraBridgeAbi, logs: receipt.logs, eventName: 'EscapeWithdrawal' });
    expect(ev?.args).toEqual({
      accountIndex: 1n,
      recipient: alice.ethAddress,
      assetId: 1,
      amount: alice.balance,
    });
    await expectRevert(sys, escapeHatch(1n, alice), 'AlreadyEscaped');

    const bob = accounts.get(2n)!;
    await mined(sys, escapeHatch(2n, bob));
    expect(await tokenBalance(bob.ethAddress)).toBe(123n);
    console.info(`escape gas (arity ${sys.params.arity}, depth ${sys.params.depth}): ${receipt.gasUsed}`);
  });

  it('rejects leaves, paths and roots that do not match the verified state', async () => {
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    const alice = accounts.get(1n)!;
    await expectRevert(sys, escapeHatch(1n, { ...alice, balance: alice.balance + 1n }), 'StateRootMismatch');
    await expectRevert(
      sys,
      escapeHatch(1n, { ...alice, ethAddress: sys.users[4]!.account.address }),
      'StateRootMismatch',
    );
    await expectRevert(sys, escapeHatch(1n, { ...alice, assetId: 2 }), 'StateRootMismatch');
    await expectRevert(sys, escapeHatch(3n, alice, { siblings: tree.siblings(1n) }), 'StateRootMismatch');
    const siblings = tree.siblings(1n);
    siblings[4] = siblings[4]! + 1n;
    await expectRevert(sys, escapeHatch(1n, alice, { siblings }), 'StateRootMismatch');
    await expectRevert(
      sys,
      escapeHatch(1n, alice, { siblings: tree.siblings(1n).slice(1) }),
      'StateRootMismatch',
    );
    await expectRevert(
      sys,
      escapeHatch(1n, alice, { roots: [otherRoots[0], otherRoots[1], otherRoots[2] + 1n] }),
      'StateRootMismatch',
    );
    await expectRevert(sys, escapeHatch(1n, alice, { accountsRoot: tree.root() + 1n }), 'StateRootMismatch');
    await expectRevert(sys, escapeHatch(0n, alice), 'InvalidAccountIndex');
    await expectRevert(
      sys,
      escapeHatch(BigInt(sys.params.arity ** sys.params.depth), alice),
      'InvalidAccountIndex',
    );
    await expectRevert(sys, escapeHatch(1n, { ...alice, balance: 0n }), 'InvalidAmount');
    await mined(sys, escapeHatch(1n, alice));
  });

  it('keeps banned accounts frozen', async () => {
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    await expectRevert(sys, escapeHatch(200n, accounts.get(200n)!), 'AccountBanned');
  });

  it('returns deposits that no verified batch consumed to their depositors', async () => {
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    const depositor = sys.users[0]!.account.address;
    await expectRevert(sys, reclaim(0n), 'DepositAlreadyConsumed');
    await expectRevert(sys, reclaim(1n), 'DepositAlreadyConsumed');
    const ethBefore = await sys.client.getBalance({ address: depositor });
    const receipt = await mined(sys, reclaim(2n));
    expect((await sys.client.getBalance({ address: depositor })) - ethBefore).toBe(7n);
    const [ev] = parseEventLogs({ abi: tesseraBridgeAbi, logs: receipt.logs, eventName: 'DepositReclaimed' });
    expect(ev?.args).toEqual({ queueIndex: 2n, depositor, assetId: 1, amount: 7n });
    const tokBefore = await tokenBalance(depositor);
    await mined(sys, reclaim(3n));
    expect((await tokenBalance(depositor)) - tokBefore).toBe(8n);
    await expectRevert(sys, reclaim(2n), 'AlreadyReclaimed');
    await expectRevert(sys, reclaim(4n), 'DepositsNotQueued');
  });
});
