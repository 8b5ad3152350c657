import { type Hex, concatHex, encodeFunctionData, keccak256, numberToHex, parseEventLogs, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tesseraBridgeAbi, tesseraRollupAbi, timelockControllerAbi } from '../src/abi.ts';
import { FIELD_P, TX_TYPE, encodeCertificate, encodeFloat40, record, voteDigest } from '../src/batch.ts';
import { deployContract } from '../src/deploy.ts';
import { compileContracts } from '../src/index.ts';
import { prove } from './helpers/groth16.ts';
import {
  type CommitArgs,
  type System,
  TEST_TIMING,
  buildBatch,
  commit,
  expectRevert,
  increaseTime,
  mined,
  sendCommit,
  sendVerify,
  sequencerAccounts,
  signVote,
  startSystem,
  verify,
} from './helpers/system.ts';

const ETH = '0x0000000000000000000000000000000000000000';
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let sys: System;
let snapshot: Hex;

beforeAll(async () => {
  sys = await startSystem();
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

const readRollup = <
  F extends 'committedHeight' | 'verifiedHeight' | 'nextDepositIndex' | 'isFrozen' | 'sequencerEpoch',
>(
  functionName: F,
) => sys.client.readContract({ address: sys.rollup, abi: tesseraRollupAbi, functionName });

const batchAt = (height: bigint) =>
  sys.client.readContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'batch',
    args: [height],
  });

async function depositEth(count: number, amount = 1000n): Promise<void> {
  for (let i = 0; i < count; i++) {
    await mined(
      sys,
      sys.users[0]!.writeContract({
        address: sys.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'deposit',
        args: [7 + i, ETH, amount],
        value: amount,
      }),
    );
  }
}

const transfer = (from: number, to: number, amount: bigint) =>
  record(TX_TYPE.TRANSFER, from, to, encodeFloat40(amount));
const withCert = async (args: CommitArgs, signatures: Hex[], round = 0): Promise<CommitArgs> => ({
  ...args,
  certificate: encodeCertificate(round, signatures),
});

describe('commitBatch', () => {
  it('commits every kind of public data and derives k, z, y, the public input and the exit root like the off-chain reference', async () => {
    await depositEth(3);
    const alice = sys.users[1]!.account.address;
    const shapes = [
      {
        deposits: 2,
        records: [transfer(1, 2, 5n), record(TX_TYPE.REGISTER, 9, 1, 0n)],
        registrations: [{ ax: 11n, ay: FIELD_P - 1n, ethAddress: alice }],
        exits: [{ recipient: alice, assetId: 1, amount: 3n }],
      },
      { deposits: 0, records: [], registrations: [], exits: [] },
      {
        deposits: 0,
        records: [],
        registrations: [],
        exits: [{ recipient: alice, assetId: 2, amount: (1n << 128n) - 1n }],
      },
      { deposits: 0, records: [], registrations: [{ ax: 1n, ay: 2n, ethAddress: alice }], exits: [] },
      { deposits: 1, records: [], registrations: [], exits: [] },
      {
        deposits: 0,
        records: [transfer(3, 4, 10n ** 20n), transfer(4, 3, 7n)],
        registrations: [],
        exits: [],
      },
    ];
    for (const [i, shape] of shapes.entries()) {
      const { prepared, receipt } = await commit(sys, shape);
      const height = BigInt(i + 1);
      const stored = await batchAt(height);
      expect(stored.publicInput).toBe(prepared.publicInput);
      expect(stored.blockHash).toBe(prepared.blockHash);
      expect(stored.stateRoot).toBe(prepared.header.stateRoot);
      expect(stored.exitRoot).toBe(prepared.exitRoot);
      expect(stored.exitCount).toBe(shape.exits.length);
      const [event] = parseEventLogs({
        abi: tesseraRollupAbi,
        logs: receipt.logs,
        eventName: 'BatchCommitted',
      });
      expect(event?.args).toMatchObject({
        height,
        blockHash: prepared.blockHash,
        publicInput: prepared.publicInput,
        depositCount: shape.deposits,
      });
    }
    expect(await readRollup('committedHeight')).toBe(BigInt(shapes.length));
    expect(await readRollup('verifiedHeight')).toBe(0n);
    expect(await readRollup('nextDepositIndex')).toBe(3n);
  });

  it('fills a batch to the slot count and rejects one more transaction', async () => {
    const full = Array.from({ length: sys.params.slots }, (_, i) => transfer(i + 1, i + 2, BigInt(i + 1)));
    const extra = numberToHex(transfer(1, 2, 1n), { size: 14 });
    const { args } = await buildBatch(sys, { records: full });
    const over = await expectRevert(
      sys,
      sendCommit(sys, { ...args, records: concatHex([args.records, extra]) }),
      'TooManyTransactions',
    );
    expect(over.args).toEqual([BigInt(sys.params.slots + 1), BigInt(sys.params.slots)]);
    await depositEth(1);
    const mixed = await buildBatch(sys, { deposits: 1, records: full.slice(1) });
    await expectRevert(
      sys,
      sendCommit(sys, { ...mixed.args, records: concatHex([mixed.args.records, extra]) }),
      'TooManyTransactions',
    );
    await mined(sys, sendCommit(sys, mixed.args));
    expect(await readRollup('nextDepositIndex')).toBe(1n);
  });

  it('rejects a replayed batch and a batch that skips a height', async () => {
    const { args } = await commit(sys, { records: [transfer(1, 2, 1n)] });
    const replay = await expectRevert(sys, sendCommit(sys, args), 'WrongHeight');
    expect(replay.args).toEqual([2n, 1n]);
    const next = await buildBatch(sys);
    await expectRevert(
      sys,
      sendCommit(sys, { ...next.args, header: { ...next.args.header, height: 3n } }),
      'WrongHeight',
    );
  });

  it('rejects a wrong parent hash, previous state root and deposit start', async () => {
    await commit(sys);
    const { args } = await buildBatch(sys);
    const h = args.header;
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, parentHash: keccak256('0x01') } }),
      'WrongParentHash',
    );
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, prevStateRoot: h.prevStateRoot + 1n } }),
      'WrongPrevStateRoot',
    );
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, depositStart: 1n } }),
      'WrongDepositStart',
    );
  });

  it('rejects zero and out-of-field roots and data commitments', async () => {
    const { args } = await buildBatch(sys);
    const h = args.header;
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, stateRoot: 0n } }),
      'InvalidStateRoot',
    );
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, stateRoot: FIELD_P } }),
      'InvalidStateRoot',
    );
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, dataCommitment: 0n } }),
      'InvalidDataCommitment',
    );
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, header: { ...h, dataCommitment: FIELD_P } }),
      'InvalidDataCommitment',
    );
  });

  it('rejects a timestamp below the parent block', async () => {
    await commit(sys, { timestamp: 1000n });
    const { args } = await buildBatch(sys, { timestamp: 999n });
    await expectRevert(sys, sendCommit(sys, args), 'TimestampDecreased');
  });

  it('rejects malformed records, registrations and exits and out-of-field keys', async () => {
    const { args } = await buildBatch(sys);
    const bad = await expectRevert(sys, sendCommit(sys, { ...args, records: '0x0102' }), 'MalformedData');
    expect(bad.args).toEqual(['records']);
    await expectRevert(
      sys,
      sendCommit(sys, { ...args, registrations: `0x${'11'.repeat(83)}` }),
      'MalformedData',
    );
    await expectRevert(sys, sendCommit(sys, { ...args, exits: `0x${'11'.repeat(41)}` }), 'MalformedData');
    const tooManyExits = Array.from({ length: sys.params.slots + 1 }, () => ({
      recipient: sys.admin.account.address,
      assetId: 1,
      amount: 1n,
    }));
    const exitsArgs = (await buildBatch(sys, { exits: tooManyExits.slice(0, sys.params.slots) })).args;
    const extra = concatHex([
      exitsArgs.exits,
      sys.admin.account.address,
      numberToHex(1, { size: 4 }),
      numberToHex(1, { size: 16 }),
    ]);
    await expectRevert(sys, sendCommit(sys, { ...exitsArgs, exits: extra }), 'MalformedData');
    const reg = concatHex([
      numberToHex(FIELD_P, { size: 32 }),
      numberToHex(1, { size: 32 }),
      sys.admin.account.address,
    ]);
    await expectRevert(sys, sendCommit(sys, { ...args, registrations: reg }), 'FieldElementOutOfRange');
  });

  it('rejects consuming deposits that are not queued', async () => {
    await depositEth(1);
    const { args } = await buildBatch(sys, { deposits: 1 });
    await expectRevert(sys, sendCommit(sys, { ...args, depositCount: 2 }), 'DepositsNotQueued');
  });

  it('rejects data that differs from what the sequencers signed', async () => {
    const { args } = await buildBatch(sys, { records: [transfer(1, 2, 5n)] });
    // Same shape, different amount: k and the block hash change, the signatures no longer match.
    const tampered = { ...args, records: concatHex([args.records.slice(0, -2) as Hex, '0x06']) };
    await expectRevert(sys, sendCommit(sys, tampered), 'NotASequencer');
  });
});

describe('commit certificate', () => {
  async function signed(signers: number[], round = 0) {
    const built = await buildBatch(sys, { signers: [0, 1, 2], round });
    const digest = voteDigest(
      sys.params.l2ChainId,
      built.args.header.height,
      round,
      built.prepared.blockHash,
    );
    const sigs = await Promise.all(signers.map((i) => signVote(digest, i)));
    return { ...built, digest, sigs };
  }

  it('accepts 3 or 4 distinct sequencers in any order, with v as 27/28 or 0/1', async () => {
    const a = await signed([3, 1, 0, 2]);
    await mined(sys, sendCommit(sys, await withCert(a.args, a.sigs)));
    const b = await signed([2, 3, 1]);
    const lowV = b.sigs.map((s) =>
      concatHex([s.slice(0, 130) as Hex, numberToHex(Number.parseInt(s.slice(130), 16) - 27, { size: 1 })]),
    );
    await mined(sys, sendCommit(sys, await withCert(b.args, lowV)));
    expect(await readRollup('committedHeight')).toBe(2n);
  });

  it('rejects fewer than 3 signatures', async () => {
    const a = await signed([0, 1]);
    const r = await expectRevert(
      sys,
      sendCommit(sys, await withCert(a.args, a.sigs)),
      'InsufficientSignatures',
    );
    expect(r.args).toEqual([2n, 3n]);
    await expectRevert(sys, sendCommit(sys, await withCert(a.args, [])), 'InsufficientSignatures');
  });

  it('rejects a duplicated signer', async () => {
    const a = await signed([0, 1, 1]);
    const r = await expectRevert(sys, sendCommit(sys, await withCert(a.args, a.sigs)), 'DuplicateSigner');
    expect(r.args).toEqual([sequencerAccounts[1]!.address]);
  });

  it('rejects a signer outside the sequencer set', async () => {
    const a = await signed([0, 1]);
    const outsider = privateKeyToAccount(keccak256(toHex('not-a-sequencer')));
    const extra = await outsider.sign({ hash: a.digest });
    const r = await expectRevert(
      sys,
      sendCommit(sys, await withCert(a.args, [...a.sigs, extra])),
      'NotASequencer',
    );
    expect(r.args).toEqual([outsider.address]);
  });

  it('rejects the malleable high-s twin of a valid signature', async () => {
    const a = await signed([0, 1, 2]);
    const s0 = a.sigs[0]!;
    const s = BigInt(`0x${s0.slice(66, 130)}`);
    const v = Number.parseInt(s0.slice(130), 16);
    const twin = concatHex([
      s0.slice(0, 66) as Hex,
      numberToHex(SECP256K1_N - s, { size: 32 }),
      numberToHex(v === 27 ? 28 : 27, { size: 1 }),
    ]);
    const r = await expectRevert(
      sys,
      sendCommit(sys, await withCert(a.args, [twin, a.sigs[1]!, a.sigs[2]!])),
      'MalleableSignature',
    );
    expect(r.args).toEqual([0n]);
  });

  it('rejects an invalid v, an unrecoverable signature and a truncated certificate', async () => {
    const a = await signed([0, 1, 2]);
    const badV = concatHex([a.sigs[0]!.slice(0, 130) as Hex, '0x1d']);
    await expectRevert(
      sys,
      sendCommit(sys, await withCert(a.args, [badV, a.sigs[1]!, a.sigs[2]!])),
      'InvalidSignature',
    );
    const zeroR = concatHex([`0x${'00'.repeat(32)}`, a.sigs[0]!.slice(66) as Hex]);
    await expectRevert(
      sys,
      sendCommit(sys, await withCert(a.args, [zeroR, a.sigs[1]!, a.sigs[2]!])),
      'InvalidSignature',
    );
    const truncated = {
      ...a.args,
      certificate: { round: 0, signatures: concatHex(a.sigs).slice(0, -2) as Hex },
    };
    await expectRevert(sys, sendCommit(sys, truncated), 'MalformedCertificate');
  });

  it('binds the round and the chain id into the vote', async () => {
    const a = await signed([0, 1, 2], 1);
    // Signed for round 1, presented as round 0.
    await expectRevert(sys, sendCommit(sys, await withCert(a.args, a.sigs, 0)), 'NotASequencer');
    const otherChain = voteDigest(sys.params.l2ChainId + 1n, a.args.header.height, 1, a.prepared.blockHash);
    const sigs = await Promise.all([0, 1, 2].map((i) => signVote(otherChain, i)));
    await expectRevert(sys, sendCommit(sys, await withCert(a.args, sigs, 1)), 'NotASequencer');
    await mined(sys, sendCommit(sys, await withCert(a.args, a.sigs, 1)));
  });
});

describe('verifyBatch', () => {
  it('verifies batches in order with real Groth16 proofs and advances the verified head', async () => {
    await commit(sys, { records: [transfer(1, 2, 3n)] });
    await commit(sys);
    const receipt = await verify(sys, 1n);
    const [event] = parseEventLogs({ abi: tesseraRollupAbi, logs: receipt.logs, eventName: 'BatchVerified' });
    expect(event?.args.height).toBe(1n);
    expect(await readRollup('verifiedHeight')).toBe(1n);
    expect(await readRollup('committedHeight')).toBe(2n);
    await verify(sys, 2n);
    expect(await readRollup('verifiedHeight')).toBe(2n);
    expect((await batchAt(2n)).verifiedAt).toBeGreaterThan(0);
  });

  it('rejects verification out of order, of a replayed height and of an uncommitted batch', async () => {
    await expectRevert(sys, sendVerify(sys, 1n, await prove(sys.circuit, 5n)), 'BatchNotCommitted');
    await commit(sys);
    await commit(sys);
    const b2 = await batchAt(2n);
    const r = await expectRevert(
      sys,
      sendVerify(sys, 2n, await prove(sys.circuit, b2.publicInput)),
      'NotNextToVerify',
    );
    expect(r.args).toEqual([1n, 2n]);
    await verify(sys, 1n);
    const b1 = await batchAt(1n);
    await expectRevert(sys, sendVerify(sys, 1n, await prove(sys.circuit, b1.publicInput)), 'NotNextToVerify');
    await expectRevert(sys, sendVerify(sys, 0n, await prove(sys.circuit, b1.publicInput)), 'NotNextToVerify');
  });

  it('rejects a proof of another public input and tampered proofs', async () => {
    await commit(sys);
    const b1 = await batchAt(1n);
    await expectRevert(
      sys,
      sendVerify(sys, 1n, await prove(sys.circuit, b1.publicInput + 1n)),
      'InvalidProof',
    );
    const good = await prove(sys.circuit, b1.publicInput);
    const tamperedA = { ...good, a: [good.a[0], good.a[1] + 1n] as const };
    await expectRevert(sys, sendVerify(sys, 1n, tamperedA), 'InvalidProof');
    const swappedC = { ...good, c: [good.c[1], good.c[0]] as const };
    await expectRevert(sys, sendVerify(sys, 1n, swappedC), 'InvalidProof');
    const outOfField = {
      ...good,
      b: [
        [good.b[0][0], good.b[0][1]],
        [good.b[1][0] + FIELD_P * 2n, good.b[1][1]],
      ] as const,
    };
    await expectRevert(sys, sendVerify(sys, 1n, outOfField), 'InvalidProof');
    await mined(sys, sendVerify(sys, 1n, good));
  });
});

describe('pause and freeze', () => {
  it('lets only the pauser pause, and stops commits and proofs while paused', async () => {
    await commit(sys);
    const pauser = sys.admin;
    await expectRevert(
      sys,
      sys.users[0]!.writeContract({ address: sys.rollup, abi: tesseraRollupAbi, functionName: 'pause' }),
      'AccessControlUnauthorizedAccount',
    );
    await mined(
      sys,
      pauser.writeContract({ address: sys.rollup, abi: tesseraRollupAbi, functionName: 'pause' }),
    );
    const { args } = await buildBatch(sys);
    await expectRevert(sys, sendCommit(sys, args), 'EnforcedPause');
    const b1 = await batchAt(1n);
    await expectRevert(sys, sendVerify(sys, 1n, await prove(sys.circuit, b1.publicInput)), 'EnforcedPause');
    await mined(
      sys,
      pauser.writeContract({ address: sys.rollup, abi: tesseraRollupAbi, functionName: 'unpause' }),
    );
    await mined(sys, sendCommit(sys, args));
    await verify(sys, 1n);
  });

  it('freezes for good when no batch is verified for the escape delay', async () => {
    await commit(sys);
    await increaseTime(sys, TEST_TIMING.escapeDelay - 10n);
    expect(await readRollup('isFrozen')).toBe(false);
    await verify(sys, 1n);
    await commit(sys);
    await increaseTime(sys, TEST_TIMING.escapeDelay + 1n);
    expect(await readRollup('isFrozen')).toBe(true);
    const { args } = await buildBatch(sys);
    await expectRevert(sys, sendCommit(sys, args), 'SystemFrozen');
    const b2 = await batchAt(2n);
    await expectRevert(sys, sendVerify(sys, 2n, await prove(sys.circuit, b2.publicInput)), 'SystemFrozen');
  });
});

describe('governance', () => {
  it('rotates the sequencer set: old certificates stop counting, new ones do', async () => {
    const fresh = [5, 6, 7, 8].map((i) => privateKeyToAccount(keccak256(toHex(`rotated-${i}`))));
    const set = [
      sequencerAccounts[0]!.address,
      fresh[1]!.address,
      fresh[2]!.address,
      fresh[3]!.address,
    ] as const;
    await expectRevert(
      sys,
      sys.users[0]!.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'setSequencers',
        args: [set],
      }),
      'AccessControlUnauthorizedAccount',
    );
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'setSequencers',
        args: [[set[0], set[1], set[1], set[3]]],
      }),
      'InvalidSequencerSet',
    );
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'setSequencers',
        args: [[set[0], set[1], ETH, set[3]]],
      }),
      'InvalidSequencerSet',
    );
    const receipt = await mined(
      sys,
      sys.admin.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'setSequencers',
        args: [set],
      }),
    );
    const [event] = parseEventLogs({
      abi: tesseraRollupAbi,
      logs: receipt.logs,
      eventName: 'SequencerSetUpdated',
    });
    expect(event?.args.epoch).toBe(2n);
    expect(
      await sys.client.readContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'sequencers',
      }),
    ).toEqual(set);

    const old = await buildBatch(sys, { signers: [0, 1, 2] });
    const r = await expectRevert(sys, sendCommit(sys, old.args), 'NotASequencer');
    expect(r.args).toEqual([sequencerAccounts[1]!.address]);
    const digest = voteDigest(sys.params.l2ChainId, 1n, 0, old.prepared.blockHash);
    const sigs = await Promise.all(
      [sequencerAccounts[0]!, fresh[2]!, fresh[3]!].map((a) => a.sign({ hash: digest })),
    );
    await mined(sys, sendCommit(sys, await withCert(old.args, sigs)));
  });

  it('reverts unverified batches back to a height and lets the chain continue from there', async () => {
    await depositEth(2);
    await commit(sys, { deposits: 1 });
    await verify(sys, 1n);
    await commit(sys, { deposits: 1 });
    await commit(sys);
    const revertTo = (h: bigint, from = sys.admin) =>
      from.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'revertBatches',
        args: [h],
      });
    await expectRevert(sys, revertTo(1n, sys.users[0]!), 'AccessControlUnauthorizedAccount');
    await expectRevert(sys, revertTo(0n), 'CannotRevert');
    await expectRevert(sys, revertTo(3n), 'CannotRevert');
    const receipt = await mined(sys, revertTo(1n));
    const [event] = parseEventLogs({
      abi: tesseraRollupAbi,
      logs: receipt.logs,
      eventName: 'BatchesReverted',
    });
    expect(event?.args).toEqual({ fromHeight: 3n, toHeight: 1n });
    expect(await readRollup('committedHeight')).toBe(1n);
    expect(await readRollup('nextDepositIndex')).toBe(1n);
    expect((await batchAt(2n)).blockHash).toBe(`0x${'00'.repeat(32)}`);
    await commit(sys, { deposits: 1 });
    await verify(sys, 2n);
  });

  it('upgrades only through the timelock, after its delay', async () => {
    await commit(sys);
    const compiled = await compileContracts();
    const cfg = {
      l2ChainId: sys.params.l2ChainId,
      slots: BigInt(sys.params.slots),
      poseidon3: sys.deployment.poseidon[3]!,
      poseidon6: sys.deployment.poseidon[6]!,
      verifier: sys.deployment.verifier,
      bridge: sys.bridge,
      forcedInclusionDeadline: TEST_TIMING.forcedInclusionDeadline,
      escapeDelay: TEST_TIMING.escapeDelay,
    };
    const impl = await deployContract(
      sys.admin,
      sys.client,
      compiled.TesseraRollup.abi,
      compiled.TesseraRollup.bytecode,
      [cfg],
    );
    const upgradeCall = encodeFunctionData({
      abi: tesseraRollupAbi,
      functionName: 'upgradeToAndCall',
      args: [impl.address, '0x'],
    });
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'upgradeToAndCall',
        args: [impl.address, '0x'],
      }),
      'AccessControlUnauthorizedAccount',
    );
    const tl = sys.deployment.timelock;
    const salt = keccak256(toHex('upgrade-1'));
    const zero = `0x${'00'.repeat(32)}` as Hex;
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: tl,
        abi: timelockControllerAbi,
        functionName: 'schedule',
        args: [sys.rollup, 0n, upgradeCall, zero, salt, TEST_TIMING.escapeDelay],
      }),
      'TimelockInsufficientDelay',
    );
    await mined(
      sys,
      sys.admin.writeContract({
        address: tl,
        abi: timelockControllerAbi,
        functionName: 'schedule',
        args: [sys.rollup, 0n, upgradeCall, zero, salt, TEST_TIMING.timelockDelay],
      }),
    );
    const execute = () =>
      sys.admin.writeContract({
        address: tl,
        abi: timelockControllerAbi,
        functionName: 'execute',
        args: [sys.rollup, 0n, upgradeCall, zero, salt],
      });
    await expectRevert(sys, execute(), 'TimelockUnexpectedOperationState');
    await increaseTime(sys, TEST_TIMING.timelockDelay);
    await mined(sys, execute());
    const slot = await sys.client.getStorageAt({
      address: sys.rollup,
      slot: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc',
    });
    expect(BigInt(slot!)).toBe(BigInt(impl.address));
    // State survives the upgrade.
    expect(await readRollup('committedHeight')).toBe(1n);
  });

  it('refuses upgrades from a timelock shorter than the escape delay', async () => {
    const compiled = await compileContracts();
    const short = await deployContract(
      sys.admin,
      sys.client,
      compiled.TimelockController.abi,
      compiled.TimelockController.bytecode,
      [60n, [sys.admin.account.address], [sys.admin.account.address], ETH],
    );
    // Even once governance (through the real timelock) grants it the upgrader role…
    const upgrader = await sys.client.readContract({
      address: sys.rollup,
      abi: tesseraRollupAbi,
      functionName: 'UPGRADER_ROLE',
    });
    const grant = encodeFunctionData({
      abi: tesseraRollupAbi,
      functionName: 'grantRole',
      args: [upgrader, short.address],
    });
    const tl = sys.deployment.timelock;
    const zero = `0x${'00'.repeat(32)}` as Hex;
    await mined(
      sys,
      sys.admin.writeContract({
        address: tl,
        abi: timelockControllerAbi,
        functionName: 'schedule',
        args: [sys.rollup, 0n, grant, zero, zero, TEST_TIMING.timelockDelay],
      }),
    );
    await increaseTime(sys, TEST_TIMING.timelockDelay);
    await mined(
      sys,
      sys.admin.writeContract({
        address: tl,
        abi: timelockControllerAbi,
        functionName: 'execute',
        args: [sys.rollup, 0n, grant, zero, zero],
      }),
    );
    // …an upgrade it executes after its 60 s is refused.
    const upgradeCall = encodeFunctionData({
      abi: tesseraRollupAbi,
      functionName: 'upgradeToAndCall',
      args: [sys.deployment.rollupImplementation, '0x'],
    });
    await mined(
      sys,
      sys.admin.writeContract({
        address: short.address,
        abi: timelockControllerAbi,
        functionName: 'schedule',
        args: [sys.rollup, 0n, upgradeCall, zero, zero, 60n],
      }),
    );
    await increaseTime(sys, 61n);
    const r = await expectRevert(
      sys,
      sys.admin.writeContract({
        address: short.address,
        abi: timelockControllerAbi,
        functionName: 'execute',
        args: [sys.rollup, 0n, upgradeCall, zero, zero],
      }),
      'TimelockTooShort',
    );
    expect(r.args).toEqual([60n, TEST_TIMING.escapeDelay + 1n]);
  });

  it('cannot be initialized twice, nor can the implementation be initialized', async () => {
    const args = [
      keccak256('0x01'),
      1n,
      sys.params.sequencers,
      sys.deployment.timelock,
      sys.admin.account.address,
      sys.admin.account.address,
    ] as const;
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: sys.rollup,
        abi: tesseraRollupAbi,
        functionName: 'initialize',
        args,
      }),
      'InvalidInitialization',
    );
    await expectRevert(
      sys,
      sys.admin.writeContract({
        address: sys.deployment.rollupImplementation,
        abi: tesseraRollupAbi,
        functionName: 'initialize',
        args,
      }),
      'InvalidInitialization',
    );
  });
});
