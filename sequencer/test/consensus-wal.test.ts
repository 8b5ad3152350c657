import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RocksKV } from '@tessera/core/storage/rocksKV';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addressOfPrivateKey,
  devValidatorKey,
  digestOf,
  keccak,
  signDigest,
} from '../src/consensus/crypto.ts';
import { ConsensusDriver, type DriverEnv } from '../src/consensus/driver.ts';
import { DoubleSignError } from '../src/consensus/errors.ts';
import { KVConsensusStore } from '../src/consensus/kv-store.ts';
import { PrivValidator } from '../src/consensus/signer.ts';
import {
  type ConsensusApp,
  type Hex,
  MsgType,
  NIL_HASH,
  type SignedMessage,
  type UnsignedMessage,
} from '../src/consensus/types.ts';

const chainId = 7n;
const keys = [0, 1, 2, 3].map((i) => devValidatorKey('wal-test', i));
const validators = keys.map(addressOfPrivateKey);
const dirs: string[] = [];

async function openStore(dir?: string) {
  const path = dir ?? (await mkdtemp(join(tmpdir(), 'tessera-wal-')));
  if (!dir) dirs.push(path);
  const kv = await RocksKV.open(path);
  return { path, kv, store: new KVConsensusStore(kv) };
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function signAs(i: number, m: UnsignedMessage): SignedMessage {
  return { ...m, signature: signDigest(digestOf(chainId, m), keys[i]!) } as SignedMessage;
}

describe('double-sign guard on RocksDB', () => {
  it('refuses to sign a slot twice, also after reopening the database', async () => {
    const { path, kv, store } = await openStore();
    const pv = new PrivValidator(keys[0]!, chainId, store);
    await pv.init();
    const vote = (round: number, hash: Hex, type: 1 | 2 = MsgType.Prevote) =>
      ({ type, height: 5n, round, valueHash: hash, validator: validators[0]! }) as const;
    const a = keccak(new Uint8Array([1]));
    const b = keccak(new Uint8Array([2]));
    await pv.sign(vote(0, a));
    await pv.sign(vote(0, a, MsgType.Precommit), { value: new Uint8Array([1]), proof: [] });
    await expect(pv.sign(vote(0, b))).rejects.toBeInstanceOf(DoubleSignError);
    await kv.close();

    const again = await openStore(path);
    const pv2 = new PrivValidator(keys[0]!, chainId, again.store);
    await pv2.init();
    expect(pv2.lastSigned()).toEqual({ height: 5n, round: 0, step: 2 });
    await expect(pv2.sign(vote(0, b, MsgType.Precommit))).rejects.toThrow(
      /already signed up to height 5 round 0 step 2/,
    );
    await expect(pv2.sign(vote(0, NIL_HASH))).rejects.toBeInstanceOf(DoubleSignError);
    const wal = await again.store.loadWal(5n);
    expect(wal.map((e) => [e.msg.type, e.msg.round, e.msg.valueHash])).toEqual([
      [MsgType.Prevote, 0, a],
      [MsgType.Precommit, 0, a],
    ]);
    expect(wal[1]!.lock?.value).toEqual(new Uint8Array([1]));
    // Moving forward is allowed; old heights can be pruned without touching the guard.
    await pv2.sign(vote(1, NIL_HASH));
    await again.store.pruneBelow(6n);
    expect(await again.store.loadWal(5n)).toEqual([]);
    expect(await again.store.loadGuard()).toEqual({ height: 5n, round: 1, step: 1 });
    await again.kv.close();
  });

  it('never lets two concurrent signing calls both pass', async () => {
    const { kv, store } = await openStore();
    const pv = new PrivValidator(keys[1]!, chainId, store);
    const mk = (h: Hex) =>
      ({ type: MsgType.Prevote, height: 1n, round: 0, valueHash: h, validator: validators[1]! }) as const;
    const results = await Promise.allSettled([
      pv.sign(mk(keccak(new Uint8Array([1])))),
      pv.sign(mk(keccak(new Uint8Array([2])))),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await store.loadWal(1n)).toHaveLength(1);
    await kv.close();
  });
});

describe('consensus WAL replay', () => {
  it('a validator that crashed after precommitting resumes locked, re-sending the same signature', async () => {
    const { path, kv, store } = await openStore();
    const value = new TextEncoder().encode('block-1');
    const hash = keccak(value);
    const app: ConsensusApp = {
      buildProposal: async () => null,
      validateProposal: async (_h, v) => keccak(v),
      commit: async () => {},
    };
    const sent: SignedMessage[] = [];
    const timers: (() => void)[] = [];
    const env: DriverEnv = {
      setTimer: (_ms, fn) => timers.push(fn),
      clearTimer: () => {},
      broadcast: (m) => sent.push(m),
    };
    // Validator 2 at height 1: the proposer of (1, 0) is validators[1].
    const d1 = new ConsensusDriver({
      validators,
      chainId,
      app,
      store,
      signer: new PrivValidator(keys[2]!, chainId, store),
      env,
    });
    await d1.start(1n);
    const proposal = signAs(1, {
      type: MsgType.Proposal,
      height: 1n,
      round: 0,
      validRound: -1,
      value,
      valueHash: hash,
      proposer: validators[1]!,
    });
    expect(d1.deliver(proposal)).toBe(true);
    for (const i of [0, 1])
      d1.deliver(
        signAs(i, {
          type: MsgType.Prevote,
          height: 1n,
          round: 0,
          valueHash: hash,
          validator: validators[i]!,
        }),
      );
    await d1.idle();
    const mine = sent.filter((m) => m.type !== MsgType.Proposal && m.validator === validators[2]);
    expect(mine.map((m) => m.type)).toEqual([MsgType.Prevote, MsgType.Precommit]);
    expect(d1.core.lockedRound).toBe(0);
    d1.stop();
    await kv.close();

    // Restart from disk only.
    const again = await openStore(path);
    sent.length = 0;
    const d2 = new ConsensusDriver({
      validators,
      chainId,
      app,
      store: again.store,
      signer: new PrivValidator(keys[2]!, chainId, again.store),
      env,
    });
    await d2.start(1n);
    await d2.idle();
    expect(d2.core.step).toBe('precommit');
    expect(d2.core.lockedRound).toBe(0);
    expect(d2.core.lockedHash).toBe(hash);
    expect(d2.core.validValue).toEqual(value);
    expect(d2.stats.signed).toBe(0);
    // The polka behind the lock came back from the WAL too, so the node can prove its lock.
    const polka = (d2.core as unknown as { prevotes: Map<number, Map<string, unknown[]>> }).prevotes.get(0);
    expect([...(polka?.keys() ?? [])].sort()).toEqual([validators[0], validators[1], validators[2]].sort());
    // The periodic re-broadcast repeats the persisted precommit byte for byte.
    (d2 as unknown as { enqueue(t: unknown): void }).enqueue({
      kind: 'input',
      input: { kind: 'rebroadcast' },
    });
    await d2.idle();
    const resent = sent.find((m) => m.type === MsgType.Precommit);
    expect(resent?.signature).toBe(mine[1]!.signature);
    // Two more precommits complete the certificate; the node decides the value it was locked on.
    for (const i of [0, 1])
      d2.deliver(
        signAs(i, {
          type: MsgType.Precommit,
          height: 1n,
          round: 0,
          valueHash: hash,
          validator: validators[i]!,
        }),
      );
    await d2.idle();
    expect(d2.stats.decided).toBe(1);
    expect(d2.core.height).toBe(2n);
    d2.stop();
    await again.kv.close();
  });
});
