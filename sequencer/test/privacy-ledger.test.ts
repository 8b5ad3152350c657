import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MalformedError,
  ProtocolError,
  type Tx,
  TxType,
  buildUnshield,
  chainParams,
  encodeTx,
  fromHex,
  keyImageTag,
  tryDecodeRingSignature,
  txFromJson,
  txToJson,
} from '@tessera/core';
import { RocksKV } from '@tessera/core/storage/rocksKV';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from '../src/consensus/types.ts';
import { devAccounts } from '../src/node/genesis.ts';
import { Ledger } from '../src/node/ledger.ts';
import {
  DEFAULT_MEMPOOL,
  Mempool,
  MempoolError,
  admissionSliceEnd,
  countRingTxs,
} from '../src/node/mempool.ts';
import {
  type WireTx,
  decodeTxBatch,
  decodeWithHint,
  encodeTxBatch,
  parseBlockValue,
  wireFromTx,
} from '../src/node/txwire.ts';
import { ETH, alice, bob, carol, privateTransfer, rotation, shield, spend } from './support/privacy.ts';

const log = pino({ level: 'silent' });
const chainId = 31_337n;
const params = chainParams({ chainId, tree: { arity: 4, depth: 4 } });
const SLOTS = 16;
const accts = devAccounts('privacy-ledger-test', 14);
const genesis = accts.map((a) => a.account);

let dir: string;
const open: { kv: RocksKV; ledger: Ledger }[] = [];

async function openLedger(name: string) {
  const kv = await RocksKV.open(join(dir, name));
  const ledger = await Ledger.open(kv, params, SLOTS, genesis, log);
  const node = { kv, ledger };
  open.push(node);
  return node;
}

async function close(node: { kv: RocksKV }) {
  await node.kv.close();
  open.splice(open.indexOf(node as (typeof open)[number]), 1);
}

function pool(ledger: Ledger, cfg: Partial<typeof DEFAULT_MEMPOOL> = {}) {
  return new Mempool(
    { ...DEFAULT_MEMPOOL, ...cfg },
    chainId,
    (i) => ledger.committedAccount(i),
    ledger.privacy,
  );
}

const cert = (height: bigint, valueHash: Hex) => ({ height, round: 0, valueHash, signatures: [] });

/** Builds the next block from the pool's candidates and commits it; returns what was rejected. */
async function commitFromPool(ledger: Ledger, mempool: Mempool) {
  const height = ledger.head.height + 1n;
  const built = ledger.build(mempool.candidates(SLOTS), BigInt(Math.floor(Date.now() / 1000)));
  for (const r of built.rejected) mempool.evict(r.wire.hash);
  const block = await ledger.commit(
    height,
    built.value,
    cert(height, built.hash),
    (h) => mempool.get(h)?.wire.tx,
  );
  mempool.onCommitted(block.txHashes, []);
  return { block, value: built.value, rejected: built.rejected };
}

function expectCode(fn: () => unknown, code: string): Error {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code);
    return err as Error;
  }
  throw new Error(`expected ${code}`);
}

const nonces = new Map<number, bigint>();
const nextNonce = (i: number) => {
  const n = nonces.get(i) ?? 0n;
  nonces.set(i, n + 1n);
  return n;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-privacy-ledger-'));
});
afterAll(async () => {
  for (const n of open.splice(0)) await n.kv.close();
  await rm(dir, { recursive: true, force: true });
});

describe('privacy transactions in the sequencer ledger and mempool', () => {
  it('admits, orders, persists and restores shields, private transfers, unshields and rotations', async () => {
    const a = await openLedger('a');
    const mempool = pool(a.ledger);
    const now = Date.now();

    // Ten shields: the first pays Alice, the rest pay decoy owners.
    const shields = accts
      .slice(0, 10)
      .map((acct, i) => shield(acct, nextNonce(acct.index), chainId, i === 0 ? alice : carol));
    for (const tx of shields) mempool.add(wireFromTx(tx), now, true);
    // Same account, next nonce, queued behind the first: nonce ordering as for transfers.
    mempool.add(wireFromTx(shield(accts[0]!, nextNonce(1), chainId, bob)), now, true);
    expect(mempool.size).toBe(11);
    const b1 = await commitFromPool(a.ledger, mempool);
    expect(b1.block.txs.map((t) => t.type)).toEqual(Array(11).fill(TxType.SHIELD));
    expect(b1.rejected).toEqual([]);
    expect(mempool.size).toBe(0);
    expect(a.ledger.privacy.noteCount).toBe(11);
    expect(a.ledger.committedAccount(1)!.nonce).toBe(2n);
    expect(a.ledger.committedAccount(1)!.balance).toBe(genesis[0]!.balance - 2n * ETH);
    expect(b1.block.receipts[0]).toMatchObject({ type: TxType.SHIELD, noteIndex: 0 });

    // A shield that breaks a privacy rule or is not the account's is refused at admission.
    expectCode(
      () => mempool.add(wireFromTx(shield(accts[11]!, 0n, chainId, carol, 3n * ETH)), now, true),
      'BAD_DENOMINATION',
    );
    const forged = { ...shield(accts[11]!, 0n, chainId), from: 13 };
    expectCode(() => mempool.add(wireFromTx(forged), now, true), 'BAD_SIGNATURE');

    // Alice pays Bob from note 0, in a ring of 8.
    const notes = a.ledger.state.notes;
    const pt = privateTransfer(notes, 0, alice, accts[0]!, chainId, bob);
    const tag = keyImageTag(tryDecodeRingSignature(fromHex(pt.ringSignature))!.keyImage);
    const ptWire = wireFromTx(pt);
    // Tampered body: the ring signature no longer verifies; nothing is admitted.
    const tampered = { ...privateTransfer(notes, 0, alice, accts[0]!, chainId, carol), memo: pt.memo };
    expectCode(() => mempool.add(wireFromTx(tampered), now, true), 'BAD_RING_SIGNATURE');
    expect(mempool.size).toBe(0);
    mempool.add(ptWire, now, true);
    expect(mempool.pendingSpend(tag)?.wire.hash).toBe(ptWire.hash);
    // The same note spent again (other ring, other recipient) while the first spend is pending.
    const again = privateTransfer(notes, 0, alice, accts[0]!, chainId, carol, { ringSize: 9 });
    const pendingErr = expectCode(() => mempool.add(wireFromTx(again), now, true), 'KEY_IMAGE_SPENT');
    expect(pendingErr).toBeInstanceOf(ProtocolError);
    expect(pendingErr.message).toContain(ptWire.hash);
    expect(mempool.size).toBe(1);
    expect(mempool.stats.doubleSpends).toBe(1);

    const b2 = await commitFromPool(a.ledger, mempool);
    expect(b2.block.txHashes).toEqual([ptWire.hash]);
    expect(b2.block.receipts[0]).toMatchObject({
      type: TxType.PRIVATE_TRANSFER,
      noteIndex: 11,
      keyImageTag: tag,
    });
    expect(mempool.pendingSpend(tag)).toBeUndefined();
    expect(await a.ledger.privacy.spentKeyImage(tag)).toEqual({ txHash: ptWire.hash });
    // Across blocks: the spent key image is refused against the chain.
    const chainErr = expectCode(() => mempool.add(wireFromTx(again), now, true), 'KEY_IMAGE_SPENT');
    expect(chainErr.message).toMatch(/already spent on chain/);

    // Bob unshields his note to account 12, and a rotation to epoch 2 goes in the same block.
    const unshield = buildUnshield({ ...spend(a.ledger.state.notes, 11, bob, accts[1]!, chainId), to: 12 });
    const rot = rotation(2n, chainId);
    mempool.add(wireFromTx(unshield), now, true);
    mempool.add(wireFromTx(rot.tx), now, true);
    // Only the regulator admin rotates, and only to the next epoch.
    const fake = { ...rotation(2n, chainId).tx, signature: shields[0]!.signature };
    expectCode(() => mempool.add(wireFromTx(fake), now, true), 'NOT_REGULATOR_ADMIN');
    expectCode(() => mempool.add(wireFromTx(rotation(3n, chainId).tx), now, true), 'STALE_OBSERVER_EPOCH');
    const before12 = a.ledger.committedAccount(12)!.balance;
    const b3 = await commitFromPool(a.ledger, mempool);
    expect(b3.block.txs.map((t) => t.type)).toEqual([TxType.UNSHIELD, TxType.OBSERVER_KEY]);
    expect(a.ledger.committedAccount(12)!.balance).toBe(before12 + ETH);
    expect(a.ledger.privacy.currentObserverKey()).toEqual({ epoch: 2n, key: rot.pair.publicKey.key });

    // Epoch-1 spends are stale now.
    // Shield order in block 1: account 1's two (notes 0, 1), then accounts 2..10 (carol's notes 2..10).
    const stale = privateTransfer(a.ledger.state.notes, 5, carol, accts[1]!, chainId, bob);
    expectCode(() => mempool.add(wireFromTx(stale), now, true), 'STALE_OBSERVER_EPOCH');

    // Restart: the same notes, key images, observer keys and state root.
    const root = a.ledger.head.stateRoot;
    const snapshot = {
      notes: a.ledger.state.notes.map((n) => ({ ...n })),
      keyImages: [...a.ledger.state.keyImages.entries()],
      observerKeys: [...a.ledger.state.observerKeys],
      notesRoot: a.ledger.state.notesRoot,
      keyImagesRoot: a.ledger.state.keyImagesRoot,
    };
    await close(a);
    const a2 = await openLedger('a');
    expect(a2.ledger.head.stateRoot).toBe(root);
    expect(a2.ledger.state.stateRoot()).toBe(root);
    expect(a2.ledger.state.notes).toEqual(snapshot.notes);
    expect(a2.ledger.state.keyImages).toEqual(new Map(snapshot.keyImages));
    expect(a2.ledger.state.observerKeys).toEqual(snapshot.observerKeys);
    expect(a2.ledger.state.notesRoot).toBe(snapshot.notesRoot);
    expect(a2.ledger.state.keyImagesRoot).toBe(snapshot.keyImagesRoot);
    expect(a2.ledger.committedAccount(12)!.balance).toBe(before12 + ETH);
    expect(a2.ledger.committedAccount(1)!.nonce).toBe(2n);
    expect(a2.ledger.state.eligibleNotes(1, ETH)).toBe(12);

    // The restored ledger keeps going: a spend in the new epoch, and the restored key images
    // still refuse the old spend.
    const m2 = pool(a2.ledger);
    expectCode(() => m2.add(wireFromTx(again), now, true), 'KEY_IMAGE_SPENT');
    const fresh = privateTransfer(a2.ledger.state.notes, 5, carol, accts[2]!, chainId, bob, {
      observer: rot.pair.publicKey,
    });
    m2.add(wireFromTx(fresh), now, true);
    const b4 = await commitFromPool(a2.ledger, m2);
    expect(b4.block.txs).toHaveLength(1);
    expect(a2.ledger.privacy.noteCount).toBe(13);
  });

  it('rolls a speculative privacy block back when another block is decided at its height', async () => {
    const a = await openLedger('spec-a');
    const b = await openLedger('spec-b');
    const ma = pool(a.ledger);
    const mb = pool(b.ledger);
    const now = Date.now();
    // Both nodes see the same first block of shields.
    for (const acct of accts.slice(0, 9))
      ma.add(wireFromTx(shield(acct, 0n, chainId, acct.index === 1 ? alice : carol)), now, true);
    const first = await commitFromPool(a.ledger, ma);
    await b.ledger.commit(1n, first.value, cert(1n, first.block.hash), () => undefined);
    expect(b.ledger.head.stateRoot).toBe(a.ledger.head.stateRoot);

    // Node A speculates on a private transfer of note 0; node B proposes a shield instead.
    const notes = a.ledger.state.notes;
    const pt = privateTransfer(notes, 0, alice, accts[0]!, chainId, bob);
    ma.add(wireFromTx(pt), now, true);
    const specA = a.ledger.build(ma.candidates(SLOTS), BigInt(Math.floor(now / 1000)));
    expect(a.ledger.state.notes).toHaveLength(10);
    expect(a.ledger.state.keyImages.size).toBe(1);
    mb.add(wireFromTx(shield(accts[10]!, 0n, chainId, carol)), now, true);
    const builtB = b.ledger.build(mb.candidates(SLOTS), BigInt(Math.floor(now / 1000)));
    expect(builtB.hash).not.toBe(specA.hash);

    // B's block is decided: A drops its speculation and executes B's block instead.
    const committed = await a.ledger.commit(
      2n,
      builtB.value,
      cert(2n, builtB.hash),
      (h) => ma.get(h)?.wire.tx,
    );
    await b.ledger.commit(2n, builtB.value, cert(2n, builtB.hash), (h) => mb.get(h)?.wire.tx);
    expect(committed.txs.map((t) => t.type)).toEqual([TxType.SHIELD]);
    expect(a.ledger.state.keyImages.size).toBe(0);
    expect(a.ledger.state.notes).toHaveLength(10);
    expect(a.ledger.state.notes[9]!.origin).toBe(committed.txHashes[0]);
    expect(a.ledger.head.stateRoot).toBe(b.ledger.head.stateRoot);
    // The pending private transfer still applies on the new head and is built into block 3.
    ma.onCommitted(committed.txHashes, []);
    const third = await commitFromPool(a.ledger, ma);
    expect(third.block.txs.map((t) => t.type)).toEqual([TxType.PRIVATE_TRANSFER]);
    // B validates it without the transaction in its mempool (verifying the ring signature itself).
    await b.ledger.commit(3n, third.value, cert(3n, third.block.hash), () => undefined);
    expect(b.ledger.head.stateRoot).toBe(a.ledger.head.stateRoot);

    // Both restart to the same privacy state.
    const root = a.ledger.head.stateRoot;
    await close(a);
    await close(b);
    const [a2, b2] = [await openLedger('spec-a'), await openLedger('spec-b')];
    for (const n of [a2, b2]) {
      expect(n.ledger.head.stateRoot).toBe(root);
      expect(n.ledger.state.notes.map((x) => x.commitment)).toEqual(
        a2.ledger.state.notes.map((x) => x.commitment),
      );
      expect(n.ledger.state.keyImages).toEqual(a2.ledger.state.keyImages);
      expect(n.ledger.state.keyImages.size).toBe(1);
    }
  });

  it('bounds privacy transactions: pool cap, per-block ring cap, committed rings only, canonical JSON', async () => {
    const a = await openLedger('limits');
    const now = Date.now();
    const m = pool(a.ledger, { maxPrivacyPending: 2, maxRingTxsPerBlock: 1 });
    for (const acct of accts.slice(0, 12))
      m.add(wireFromTx(shield(acct, 0n, chainId, acct.index <= 4 ? alice : carol)), now, true);
    await commitFromPool(a.ledger, m);
    const notes = a.ledger.state.notes;
    const spends = [0, 1, 2].map((i) => privateTransfer(notes, i, alice, accts[i]!, chainId, bob));
    m.add(wireFromTx(spends[0]!), now, true);
    m.add(wireFromTx(spends[1]!), now, true);
    const full = expectCode(() => m.add(wireFromTx(spends[2]!), now, true), 'PRIVACY_QUOTA');
    expect(full).toBeInstanceOf(MempoolError);
    expect((full as MempoolError).retriable).toBe(true);
    expect(m.privacyPending).toBe(2);
    // One ring transaction per block here: the second waits for the next block.
    expect(m.candidates(SLOTS).map((w) => w.hash)).toEqual([wireFromTx(spends[0]!).hash]);
    // A faulty proposer ignoring the cap: its block shows two ring transactions, which the nodes'
    // proposal check (countRingTxs against the same cap) refuses before verifying any ring.
    const greedy = pool(a.ledger);
    for (const w of spends.slice(0, 2)) greedy.add(wireFromTx(w), now, true);
    greedy.add(wireFromTx(shield(accts[12]!, 0n, chainId, alice)), now, true);
    const stuffed = a.ledger.build(greedy.candidates(SLOTS), BigInt(Math.floor(now / 1000)));
    const parsedStuffed = parseBlockValue(stuffed.value, SLOTS);
    expect(parsedStuffed.txs).toHaveLength(3);
    expect(countRingTxs(parsedStuffed.txs)).toBe(2);
    expect(countRingTxs(parsedStuffed.txs.filter((t) => t.bytes[0] === TxType.SHIELD))).toBe(0);
    await commitFromPool(a.ledger, m);
    expect(m.privacyPending).toBe(1);
    await commitFromPool(a.ledger, m);
    expect(m.privacyPending).toBe(0);
    expect(a.ledger.state.keyImages.size).toBe(2);

    // A ring naming a note that exists only in a speculative block is refused (its key could change).
    m.add(wireFromTx(shield(accts[12]!, 0n, chainId, alice)), now, true);
    a.ledger.build(m.candidates(SLOTS), BigInt(Math.floor(now / 1000)));
    const specNote = a.ledger.state.notes.length - 1;
    expect(specNote).toBeGreaterThanOrEqual(a.ledger.privacy.noteCount);
    const early = privateTransfer(a.ledger.state.notes, specNote, alice, accts[12]!, chainId, bob);
    const err = expectCode(() => m.add(wireFromTx(early), now, true), 'BAD_RING');
    expect(err.message).toMatch(/not committed/);

    // JSON with an off-curve output key, or a ring signature of the wrong size, never gets a hash.
    const json = txToJson(spends[2]!) as Record<string, unknown>;
    const offCurve = txFromJson({ ...json, output: { ...(json.output as object), oneTimeKey: ['1', '2'] } });
    expect(() => wireFromTx(offCurve)).toThrow(MalformedError);
    const short = txFromJson({ ...json, ringSignature: (json.ringSignature as string).slice(0, -64) });
    expect(() => wireFromTx(short)).toThrow(MalformedError);
  });

  it('carries privacy transactions through gossip encoding and yields between ring-signature checks', () => {
    const notes = Array.from({ length: 9 }, (_, i) => {
      const out = shield(accts[i]!, 0n, chainId, i === 0 ? alice : carol).output;
      return { index: i, oneTimeKey: out.oneTimeKey, txPublicKey: out.txPublicKey, assetId: 1, amount: ETH };
    });
    const txs: Tx[] = [shield(accts[0]!, 0n, chainId), rotation(2n, chainId).tx];
    const ringTx = privateTransfer(notes, 0, alice, accts[0]!, chainId, bob);
    txs.push(ringTx);
    const wires: WireTx[] = txs.map(wireFromTx);
    const decoded = decodeTxBatch(encodeTxBatch(wires));
    expect(decoded.map((d) => d.hash)).toEqual(wires.map((w) => w.hash));
    decoded.forEach((d, i) => {
      expect(Buffer.from(d.bytes).equals(Buffer.from(encodeTx(txs[i]!)))).toBe(true);
      expect(decodeWithHint(d.bytes, d.hint)).toEqual(txs[i]);
    });
    // 30 transfers-worth of cheap txs go in slices of 20; a ring tx counts ten.
    const cheap = { bytes: Uint8Array.of(TxType.TRANSFER) };
    const ring = { bytes: Uint8Array.of(TxType.PRIVATE_TRANSFER) };
    expect(admissionSliceEnd(Array(30).fill(cheap), 0)).toBe(20);
    expect(admissionSliceEnd([ring, ring, ring, cheap], 0)).toBe(2);
    expect(admissionSliceEnd([ring, ring, ring, cheap], 2)).toBe(4);
  });
});
