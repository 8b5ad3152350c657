import { type Address, type Hex, encodeFunctionData, parseEventLogs, toFunctionSelector } from 'viem';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tesseraBridgeAbi, tesseraRollupAbi } from '../src/abi.ts';
import { type Exit, TX_TYPE, depositElement, encodeFloat40, exitTree, record } from '../src/batch.ts';
import { deployContract } from '../src/deploy.ts';
import {
  type System,
  TEST_TIMING,
  buildBatch,
  commit,
  expectRevert,
  fixture,
  increaseTime,
  mined,
  sendCommit,
  startSystem,
  verify,
} from './helpers/system.ts';

const ETH = '0x0000000000000000000000000000000000000000' as const;
const REENTRANT_CALL = toFunctionSelector('ReentrancyGuardReentrantCall()');

let sys: System;
let snapshot: Hex;
let token: Address;
let feeToken: Address;
let reentrantToken: Address;

async function deployFixture(name: string, args: unknown[] = []): Promise<Address> {
  const art = fixture(sys, name);
  return (await deployContract(sys.admin, sys.client, art.abi, art.bytecode, args)).address;
}

const write = (
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: unknown[] = [],
  from = sys.admin,
  value?: bigint,
) =>
  from.writeContract({
    address,
    abi: abi as never,
    functionName: functionName as never,
    args: args as never,
    value,
  } as never) as Promise<Hex>;

const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
  sys.client.readContract({
    address,
    abi: abi as never,
    functionName: functionName as never,
    args: args as never,
  }) as Promise<T>;

const bridgeWrite = (functionName: string, args: unknown[], from = sys.admin, value?: bigint) =>
  write(sys.bridge, tesseraBridgeAbi, functionName, args, from, value);

const listToken = (t: Address, assetId: number, from = sys.admin) =>
  bridgeWrite('listToken', [t, assetId], from);
const deposit = (to: number, t: Address, amount: bigint, from = sys.users[0]!, value?: bigint) =>
  bridgeWrite('deposit', [to, t, amount], from, value ?? (t === ETH ? amount : 0n));

async function mintAndApprove(t: Address, holder = sys.users[0]!, amount = 10n ** 24n): Promise<void> {
  const abi = fixture(sys, 'MockToken').abi;
  await mined(sys, write(t, abi, 'mint', [holder.account.address, amount]));
  await mined(sys, write(t, abi, 'approve', [sys.bridge, amount], holder));
}

const balanceOf = (t: Address, who: Address) =>
  t === ETH
    ? sys.client.getBalance({ address: who })
    : read<bigint>(t, fixture(sys, 'MockToken').abi, 'balanceOf', [who]);

beforeAll(async () => {
  sys = await startSystem();
  token = await deployFixture('MockToken', ['USD']);
  feeToken = await deployFixture('FeeOnTransferToken');
  reentrantToken = await deployFixture('ReentrantToken');
  await mined(sys, listToken(token, 2));
  await mined(sys, listToken(feeToken, 3));
  await mined(sys, listToken(reentrantToken, 4));
  for (const t of [token, feeToken, reentrantToken]) await mintAndApprove(t);
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

describe('deposits', () => {
  it('queues ETH and ERC-20 deposits with their public-data elements', async () => {
    const user = sys.users[0]!.account.address;
    const before = await balanceOf(ETH, sys.bridge);
    const r1 = await mined(sys, deposit(5, ETH, 10n ** 18n));
    const [ev] = parseEventLogs({ abi: tesseraBridgeAbi, logs: r1.logs, eventName: 'DepositQueued' });
    expect(ev?.args).toMatchObject({
      queueIndex: 0n,
      depositor: user,
      toIndex: 5,
      assetId: 1,
      token: ETH,
      amount: 10n ** 18n,
    });
    expect(ev?.args.element).toBe(depositElement(5, 1, 10n ** 18n));
    expect((await balanceOf(ETH, sys.bridge)) - before).toBe(10n ** 18n);

    await mined(sys, deposit(6, token, 250n));
    expect(await balanceOf(token, sys.bridge)).toBe(250n);
    const [elements, next] = await read<[bigint[], bigint]>(sys.bridge, tesseraBridgeAbi, 'depositElements', [
      0n,
      2,
    ]);
    expect(elements).toEqual([
      depositElement(5, 1, 10n ** 18n),
      BigInt(user),
      depositElement(6, 2, 250n),
      BigInt(user),
    ]);
    expect(next).toBe(0n);
    const [, firstNext] = await read<[bigint[], bigint]>(sys.bridge, tesseraBridgeAbi, 'depositElements', [
      0n,
      1,
    ]);
    const block = await sys.client.getBlock();
    expect(firstNext).toBe(block.timestamp);
    expect(await read<bigint>(sys.bridge, tesseraBridgeAbi, 'queueLength')).toBe(2n);
    await expectRevert(
      sys,
      read(sys.bridge, tesseraBridgeAbi, 'depositElements', [1n, 2]),
      'DepositsNotQueued',
    );
  });

  it('rejects zero, oversized and mispaid amounts and account index 0', async () => {
    await expectRevert(sys, deposit(5, ETH, 0n), 'InvalidAmount');
    await expectRevert(sys, deposit(5, token, 1n << 128n), 'InvalidAmount');
    await expectRevert(sys, deposit(0, ETH, 1n), 'InvalidAccountIndex');
    await expectRevert(sys, deposit(5, ETH, 100n, sys.users[0]!, 99n), 'WrongEthValue');
    await expectRevert(sys, deposit(5, token, 100n, sys.users[0]!, 1n), 'WrongEthValue');
    // The largest amount that fits the 128-bit field of E[2i] is accepted.
    await mintAndApprove(token, sys.users[0]!, 1n << 128n);
    await mined(sys, deposit(5, token, (1n << 128n) - 1n));
  });

  it('rejects a fee-on-transfer token by measuring the balance delta', async () => {
    const r = await expectRevert(sys, deposit(5, feeToken, 1000n), 'FeeOnTransferToken');
    expect(r.args).toEqual([feeToken, 1000n, 990n]);
    expect(await balanceOf(feeToken, sys.bridge)).toBe(0n);
  });

  it('accepts only listed tokens with deposits enabled', async () => {
    const other = await deployFixture('MockToken', ['OTHER']);
    await mintAndApprove(other);
    await expectRevert(sys, deposit(5, other, 1n), 'TokenNotListed');
    await mined(sys, bridgeWrite('setDepositsEnabled', [token, false]));
    await expectRevert(sys, deposit(5, token, 1n), 'TokenNotListed');
    await mined(sys, bridgeWrite('setDepositsEnabled', [token, true]));
    await mined(sys, deposit(5, token, 1n));
  });

  it('lets only the token lister map tokens to asset ids, once and for good', async () => {
    const other = await deployFixture('MockToken', ['OTHER']);
    await expectRevert(sys, listToken(other, 9, sys.users[0]!), 'AccessControlUnauthorizedAccount');
    await expectRevert(
      sys,
      bridgeWrite('setDepositsEnabled', [token, false], sys.users[0]!),
      'AccessControlUnauthorizedAccount',
    );
    await expectRevert(sys, listToken(ETH, 9), 'InvalidToken');
    await expectRevert(sys, listToken(sys.users[1]!.account.address, 9), 'InvalidToken');
    await expectRevert(sys, listToken(other, 0), 'InvalidAssetId');
    await expectRevert(sys, listToken(other, 1), 'InvalidAssetId');
    await expectRevert(sys, listToken(token, 9), 'TokenAlreadyListed');
    await expectRevert(sys, listToken(other, 2), 'AssetAlreadyListed');
    await expectRevert(sys, bridgeWrite('setDepositsEnabled', [other, true]), 'TokenNotListed');
    const receipt = await mined(sys, listToken(other, 9));
    const [ev] = parseEventLogs({ abi: tesseraBridgeAbi, logs: receipt.logs, eventName: 'TokenListed' });
    expect(ev?.args).toEqual({ token: other, assetId: 9 });
    expect(await read<number>(sys.bridge, tesseraBridgeAbi, 'assetIdOf', [other])).toBe(9);
    expect(await read<Address>(sys.bridge, tesseraBridgeAbi, 'tokenOf', [9])).toBe(other);
  });

  it('stops deposits while the system is paused or frozen', async () => {
    await mined(sys, write(sys.rollup, tesseraRollupAbi, 'pause'));
    await expectRevert(sys, deposit(5, ETH, 1n), 'SystemPaused');
    await mined(sys, write(sys.rollup, tesseraRollupAbi, 'unpause'));
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    await expectRevert(sys, deposit(5, ETH, 1n), 'SystemFrozen');
  });

  it('blocks a token that re-enters deposit from its transfer hook', async () => {
    const inner = encodeFunctionData({
      abi: tesseraBridgeAbi,
      functionName: 'deposit',
      args: [9, reentrantToken, 1n],
    });
    const abi = fixture(sys, 'ReentrantToken').abi;
    await mined(sys, write(reentrantToken, abi, 'arm', [sys.bridge, inner]));
    await mined(sys, deposit(5, reentrantToken, 100n));
    expect(await read<boolean>(reentrantToken, abi, 'lastCallSucceeded')).toBe(false);
    expect(await read<Hex>(reentrantToken, abi, 'lastReturnData')).toBe(REENTRANT_CALL);
    expect(await read<bigint>(sys.bridge, tesseraBridgeAbi, 'queueLength')).toBe(1n);
  });
});

describe('forced inclusion', () => {
  it('refuses batches that leave a deposit older than the deadline behind', async () => {
    await mined(sys, deposit(5, ETH, 1n));
    await mined(sys, deposit(6, ETH, 2n));
    // Within the deadline the sequencers may defer deposits.
    await commit(sys);
    await increaseTime(sys, TEST_TIMING.forcedInclusionDeadline + 1n);
    const skip = await buildBatch(sys, { records: [record(TX_TYPE.TRANSFER, 1, 2, encodeFloat40(5n))] });
    const r = await expectRevert(sys, sendCommit(sys, skip.args), 'ForcedInclusionRequired');
    expect(r.args[0]).toBe(0n);
    const partial = await buildBatch(sys, { deposits: 1 });
    const r2 = await expectRevert(sys, sendCommit(sys, partial.args), 'ForcedInclusionRequired');
    expect(r2.args[0]).toBe(1n);
    await commit(sys, { deposits: 2 });
    expect(
      await sys.client.readContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'nextDepositIndex',
      }),
    ).toBe(2n);
    // Nothing overdue is left: an empty batch is fine again.
    await commit(sys);
  });

  it('accepts a batch made entirely of deposits even if more overdue ones remain', async () => {
    const n = sys.params.slots;
    for (let i = 0; i <= n; i++) await mined(sys, deposit(5, ETH, 1n));
    await increaseTime(sys, TEST_TIMING.forcedInclusionDeadline + 1n);
    await commit(sys, { deposits: n });
    const rest = await buildBatch(sys);
    await expectRevert(sys, sendCommit(sys, rest.args), 'ForcedInclusionRequired');
    await commit(sys, { deposits: 1 });
  });
});

describe('claims', () => {
  const alice = () => sys.users[1]!.account.address;
  const bob = () => sys.users[2]!.account.address;

  async function fundBridge(): Promise<void> {
    await mined(sys, deposit(5, ETH, 10n ** 18n));
    await mined(sys, deposit(6, token, 10n ** 20n));
    await mined(sys, deposit(7, reentrantToken, 10n ** 20n));
  }

  /** Commits and verifies a batch with these exits; returns the height and the tree. */
  async function verifiedExits(exits: Exit[]) {
    const { prepared } = await commit(sys, { exits });
    const height = prepared.header.height;
    await verify(sys, height);
    return { height, tree: exitTree(exits, height) };
  }

  const claim = (height: bigint, j: number, x: Exit, proof: Hex[], from = sys.users[4]!) =>
    bridgeWrite('claim', [height, j, x.recipient, x.assetId, x.amount, proof], from);

  it('pays each exit once to its recipient, whoever submits the claim', async () => {
    await fundBridge();
    const exits: Exit[] = [
      { recipient: alice(), assetId: 1, amount: 3n * 10n ** 17n },
      { recipient: bob(), assetId: 2, amount: 5n * 10n ** 19n },
      { recipient: alice(), assetId: 1, amount: 1n },
    ];
    const { height, tree } = await verifiedExits(exits);
    const aliceBefore = await balanceOf(ETH, alice());
    const operator = sys.users[4]!;
    const receipt = await mined(sys, claim(height, 0, exits[0]!, tree.proof(0), operator));
    expect((await balanceOf(ETH, alice())) - aliceBefore).toBe(3n * 10n ** 17n);
    const [ev] = parseEventLogs({ abi: tesseraBridgeAbi, logs: receipt.logs, eventName: 'ExitClaimed' });
    expect(ev?.args).toMatchObject({
      height,
      j: 0,
      recipient: alice(),
      assetId: 1,
      amount: 3n * 10n ** 17n,
      caller: operator.account.address,
    });
    expect(await read<boolean>(sys.bridge, tesseraBridgeAbi, 'isClaimed', [height, 0])).toBe(true);

    await mined(sys, claim(height, 1, exits[1]!, tree.proof(1), sys.users[1]!));
    expect(await balanceOf(token, bob())).toBe(5n * 10n ** 19n);
    await mined(sys, claim(height, 2, exits[2]!, tree.proof(2)));

    const again = await expectRevert(sys, claim(height, 0, exits[0]!, tree.proof(0)), 'AlreadyClaimed');
    expect(again.args).toEqual([height, 0]);
    await expectRevert(sys, claim(height, 1, exits[1]!, tree.proof(1)), 'AlreadyClaimed');
  });

  it('rejects claims against unverified, empty or unknown batches and bad indices', async () => {
    await fundBridge();
    const exits: Exit[] = [{ recipient: alice(), assetId: 1, amount: 5n }];
    const { prepared } = await commit(sys, { exits });
    const tree = exitTree(exits, 1n);
    await expectRevert(sys, claim(1n, 0, exits[0]!, tree.proof(0)), 'BatchNotVerified');
    await expectRevert(sys, claim(0n, 0, exits[0]!, []), 'BatchNotVerified');
    await verify(sys, prepared.header.height);
    await mined(sys, claim(1n, 0, exits[0]!, tree.proof(0)));
    await commit(sys);
    await verify(sys, 2n);
    await expectRevert(sys, claim(2n, 0, exits[0]!, []), 'NoExits');
    const r = await expectRevert(sys, claim(1n, 1, exits[0]!, tree.proof(0)), 'InvalidExitIndex');
    expect(r.args).toEqual([1, 1]);
  });

  it('rejects claims whose leaf or path does not match the exit root', async () => {
    await fundBridge();
    const exits: Exit[] = [
      { recipient: alice(), assetId: 1, amount: 5n },
      { recipient: bob(), assetId: 1, amount: 6n },
      { recipient: bob(), assetId: 2, amount: 7n },
    ];
    const { height, tree } = await verifiedExits(exits);
    const x = exits[1]!;
    await expectRevert(sys, claim(height, 1, { ...x, amount: 60n }, tree.proof(1)), 'InvalidMerkleProof');
    await expectRevert(
      sys,
      claim(height, 1, { ...x, recipient: alice() }, tree.proof(1)),
      'InvalidMerkleProof',
    );
    await expectRevert(sys, claim(height, 1, { ...x, assetId: 2 }, tree.proof(1)), 'InvalidMerkleProof');
    await expectRevert(sys, claim(height, 1, x, tree.proof(0)), 'InvalidMerkleProof');
    await expectRevert(sys, claim(height, 1, x, tree.proof(1).slice(0, 1)), 'InvalidMerkleProof');
    await expectRevert(sys, claim(height, 1, x, [...tree.proof(1), tree.root]), 'InvalidMerkleProof');
    // The leaf binds the index: exit 1's data at index 2 is not a leaf.
    await expectRevert(sys, claim(height, 2, x, tree.proof(2)), 'InvalidMerkleProof');
    await mined(sys, claim(height, 1, x, tree.proof(1)));
  });

  it('holds exits of an unlisted asset until the asset is listed', async () => {
    await fundBridge();
    const other = await deployFixture('MockToken', ['LATE']);
    const exits: Exit[] = [{ recipient: alice(), assetId: 42, amount: 10n }];
    const { height, tree } = await verifiedExits(exits);
    await expectRevert(sys, claim(height, 0, exits[0]!, tree.proof(0)), 'UnknownAsset');
    await mined(sys, write(other, fixture(sys, 'MockToken').abi, 'mint', [sys.bridge, 10n]));
    await mined(sys, listToken(other, 42));
    await mined(sys, claim(height, 0, exits[0]!, tree.proof(0)));
    expect(await balanceOf(other, alice())).toBe(10n);
  });

  it('stops claims while paused, but not once the system is frozen', async () => {
    await fundBridge();
    const exits: Exit[] = [{ recipient: alice(), assetId: 1, amount: 5n }];
    const { height, tree } = await verifiedExits(exits);
    await mined(sys, write(sys.rollup, tesseraRollupAbi, 'pause'));
    await expectRevert(sys, claim(height, 0, exits[0]!, tree.proof(0)), 'SystemPaused');
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    await mined(sys, claim(height, 0, exits[0]!, tree.proof(0)));
  });

  it('reverts the claim when the recipient refuses ETH, leaving the exit claimable', async () => {
    await fundBridge();
    const receiver = await deployFixture('ReentrantReceiver');
    const abi = fixture(sys, 'ReentrantReceiver').abi;
    await mined(sys, write(receiver, abi, 'setRefuse', [true]));
    const exits: Exit[] = [{ recipient: receiver, assetId: 1, amount: 5n }];
    const { height, tree } = await verifiedExits(exits);
    await expectRevert(sys, claim(height, 0, exits[0]!, tree.proof(0)), 'EthTransferFailed');
    await mined(sys, write(receiver, abi, 'setRefuse', [false]));
    await mined(sys, claim(height, 0, exits[0]!, tree.proof(0)));
    expect(await balanceOf(ETH, receiver)).toBe(5n);
  });

  it('blocks an ETH recipient that re-enters claim while being paid', async () => {
    await fundBridge();
    const receiver = await deployFixture('ReentrantReceiver');
    const abi = fixture(sys, 'ReentrantReceiver').abi;
    const exits: Exit[] = [{ recipient: receiver, assetId: 1, amount: 7n }];
    const { height, tree } = await verifiedExits(exits);
    const again = encodeFunctionData({
      abi: tesseraBridgeAbi,
      functionName: 'claim',
      args: [height, 0, receiver, 1, 7n, tree.proof(0)],
    });
    await mined(sys, write(receiver, abi, 'arm', [sys.bridge, again]));
    await mined(sys, claim(height, 0, exits[0]!, tree.proof(0)));
    expect(await read<boolean>(receiver, abi, 'lastCallSucceeded')).toBe(false);
    expect(await read<Hex>(receiver, abi, 'lastReturnData')).toBe(REENTRANT_CALL);
    expect(await balanceOf(ETH, receiver)).toBe(7n);
  });

  it('blocks a token that re-enters claim from its transfer hook', async () => {
    await fundBridge();
    const exits: Exit[] = [{ recipient: alice(), assetId: 4, amount: 9n }];
    const { height, tree } = await verifiedExits(exits);
    const again = encodeFunctionData({
      abi: tesseraBridgeAbi,
      functionName: 'claim',
      args: [height, 0, alice(), 4, 9n, tree.proof(0)],
    });
    const abi = fixture(sys, 'ReentrantToken').abi;
    await mined(sys, write(reentrantToken, abi, 'arm', [sys.bridge, again]));
    await mined(sys, claim(height, 0, exits[0]!, tree.proof(0)));
    expect(await read<Hex>(reentrantToken, abi, 'lastReturnData')).toBe(REENTRANT_CALL);
    expect(await balanceOf(reentrantToken, alice())).toBe(9n);
  });
});

describe('bridge administration', () => {
  it('upgrades only through the timelock and cannot be re-initialized', async () => {
    const impl = sys.deployment.bridgeImplementation;
    await expectRevert(
      sys,
      bridgeWrite('upgradeToAndCall', [impl, '0x']),
      'AccessControlUnauthorizedAccount',
    );
    await expectRevert(
      sys,
      bridgeWrite('initialize', [sys.deployment.timelock, sys.admin.account.address]),
      'InvalidInitialization',
    );
    await expectRevert(
      sys,
      write(impl, tesseraBridgeAbi, 'initialize', [sys.deployment.timelock, sys.admin.account.address]),
      'InvalidInitialization',
    );
    const zero = `0x${'00'.repeat(32)}` as Hex;
    const call = encodeFunctionData({
      abi: tesseraBridgeAbi,
      functionName: 'upgradeToAndCall',
      args: [impl, '0x'],
    });
    const tl = sys.deployment.timelock;
    const { timelockControllerAbi } = await import('../src/abi.ts');
    await mined(
      sys,
      write(tl, timelockControllerAbi, 'schedule', [
        sys.bridge,
        0n,
        call,
        zero,
        zero,
        TEST_TIMING.timelockDelay,
      ]),
    );
    await increaseTime(sys, TEST_TIMING.timelockDelay);
    const receipt = await mined(
      sys,
      write(tl, timelockControllerAbi, 'execute', [sys.bridge, 0n, call, zero, zero]),
    );
    const upgraded = parseEventLogs({ abi: tesseraBridgeAbi, logs: receipt.logs, eventName: 'Upgraded' });
    expect(upgraded[0]?.args.implementation).toBe(impl);
  });
});
