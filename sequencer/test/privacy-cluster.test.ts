import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUnshield, fromHex, keyImageTag, tryDecodeRingSignature, txToJson } from '@tessera/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SEED } from '../src/node/config.ts';
import { InProcessCluster, rpc } from '../src/node/devnet.ts';
import { devAccounts } from '../src/node/genesis.ts';
import {
  ETH,
  type NoteView,
  alice,
  bob,
  carol,
  noteFromView,
  observer1,
  privateTransfer,
  rotation,
  shield,
  spend,
} from './support/privacy.ts';

const ACCOUNTS = 16;
const chainId = 31_337n;
const accts = devAccounts(DEV_SEED, ACCOUNTS);
let cluster: InProcessCluster;
let dir: string;

type Status = { height: string; headHash: string; stateRoot: string };
type RpcFailure = { rpc: { code: number; message: string; data?: { code?: string } } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

async function rpcError(p: Promise<unknown>): Promise<RpcFailure['rpc']> {
  try {
    await p;
  } catch (err) {
    return (err as RpcFailure).rpc;
  }
  throw new Error('expected a JSON-RPC error');
}

const send = (node: number, tx: Parameters<typeof txToJson>[0], wait = false) =>
  rpc<{ hash: string; status?: string; receipt?: Record<string, unknown> }>(
    cluster.port(node),
    'tessera_sendTransaction',
    wait ? [txToJson(tx), { wait: true }] : [txToJson(tx)],
  );

async function committedEverywhere(hashes: string[], nodes: number[]) {
  await waitFor(
    async () => {
      for (const n of nodes)
        for (const h of hashes) {
          const r = await rpc<{ status: string } | null>(cluster.port(n), 'tessera_getTransactionReceipt', [
            h,
          ]);
          if (r?.status !== 'committed') return false;
        }
      return true;
    },
    30_000,
    `${hashes.length} txs committed on ${nodes}`,
  );
}

async function allNotes(node: number): Promise<NoteView[]> {
  const out: NoteView[] = [];
  for (;;) {
    const page = await rpc<{ total: number; notes: NoteView[] }>(cluster.port(node), 'tessera_getNotes', [
      out.length,
      3,
    ]);
    out.push(...page.notes);
    if (out.length >= page.total || page.notes.length === 0) return out;
  }
}

async function converged(nodes: number[]) {
  await waitFor(
    async () => {
      const s = await Promise.all(nodes.map((n) => rpc<Status>(cluster.port(n), 'tessera_status')));
      return s.every((x) => x.headHash === s[0]!.headHash);
    },
    30_000,
    `nodes ${nodes} converge`,
  );
  const s = await Promise.all(nodes.map((n) => rpc<Status>(cluster.port(n), 'tessera_status')));
  expect(new Set(s.map((x) => x.stateRoot)).size).toBe(1);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-privacy-cluster-'));
  cluster = await InProcessCluster.start(dir, {
    genesisAccounts: ACCOUNTS,
    sealMs: 80,
    timeouts: { propose: 1_500, prevote: 500, precommit: 500, delta: 250, max: 3_000 },
    rebroadcastMs: 300,
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('privacy transactions through a 4-node cluster', () => {
  const tags: bigint[] = [];
  const spentHashes: string[] = [];
  /** A note of the first block that pays Carol (the decoy owner). */
  let carolNote = -1;

  it('shields, spends and unshields over JSON-RPC; every node serves the same notes and key images', async () => {
    const params = await rpc<{
      minRingSize: number;
      maxRingSize: number;
      denominations: Record<string, string[]>;
      observerKeys: { epoch: string; key: [string, string] }[];
    }>(cluster.port(1), 'tessera_getPrivacyParams');
    expect(params.minRingSize).toBe(8);
    expect(params.denominations['1']).toContain(ETH.toString());
    expect(params.observerKeys).toEqual([{ epoch: '1', key: observer1.publicKey.key.map(String) }]);
    expect(await rpc(cluster.port(2), 'tessera_getObserverKey')).toEqual(params.observerKeys[0]);

    // Ten shields sent to different nodes (gossip brings them to the proposer).
    const shields = accts.slice(0, 10).map((a, i) => shield(a, 0n, chainId, i === 0 ? alice : carol));
    const hashes: string[] = [];
    for (const [i, tx] of shields.entries()) hashes.push((await send(i % 4, tx)).hash);
    await committedEverywhere(hashes, [0, 1, 2, 3]);
    const notes = await allNotes(3);
    expect(notes).toHaveLength(10);
    expect(notes.map((n) => n.index)).toEqual([...Array(10).keys()]);
    expect(new Set(notes.map((n) => n.origin))).toEqual(new Set(hashes));
    expect(BigInt((await rpc<{ balance: string }>(cluster.port(0), 'tessera_getAccount', [1])).balance)).toBe(
      accts[0]!.account.balance - ETH,
    );

    // Alice's note → Bob, submitted to node 0, waiting for the receipt.
    const aliceNote = notes.find((n) => n.origin === hashes[0])!.index;
    carolNote = notes.find((n) => n.index !== aliceNote)!.index;
    const local = notes.map(noteFromView);
    const pt = privateTransfer(local, aliceNote, alice, accts[0]!, chainId, bob);
    const tag = keyImageTag(tryDecodeRingSignature(fromHex(pt.ringSignature))!.keyImage);
    const done = await send(0, pt, true);
    expect(done.status).toBe('committed');
    expect(done.receipt).toMatchObject({ type: 6, noteIndex: 10, keyImageTag: tag.toString() });
    expect(typeof done.receipt!.binding).toBe('string');
    tags.push(tag);
    spentHashes.push(done.hash);
    await committedEverywhere([done.hash], [0, 1, 2, 3]);

    // The same note again, through another node: refused as a double spend.
    const again = privateTransfer(local, aliceNote, alice, accts[0]!, chainId, carol, { ringSize: 9 });
    const err = await rpcError(send(3, again));
    expect(err.code).toBe(-32000);
    expect(err.data?.code).toBe('KEY_IMAGE_SPENT');

    // Every node: the transaction in txToJson form, the receipt with decimal strings, the spend.
    for (const n of [0, 1, 2, 3]) {
      const got = await rpc<{ tx: unknown; status: string }>(cluster.port(n), 'tessera_getTransaction', [
        done.hash,
      ]);
      expect(got.status).toBe('committed');
      expect(got.tx).toEqual(txToJson(pt));
      const receipt = await rpc<{ receipt: Record<string, unknown> }>(
        cluster.port(n),
        'tessera_getTransactionReceipt',
        [done.hash],
      );
      expect(receipt.receipt).toMatchObject({ type: 6, keyImageTag: tag.toString(), noteIndex: 10 });
      expect(await rpc(cluster.port(n), 'tessera_getKeyImage', [tag.toString()])).toEqual({
        spent: true,
        txHash: done.hash,
      });
    }
    expect(await rpc(cluster.port(1), 'tessera_getKeyImage', ['12345'])).toEqual({ spent: false });

    // Bob unshields the new note to account 12.
    const withBob = (await allNotes(2)).map(noteFromView);
    const before = BigInt(
      (await rpc<{ balance: string }>(cluster.port(2), 'tessera_getAccount', [12])).balance,
    );
    const un = buildUnshield({ ...spend(withBob, 10, bob, accts[1]!, chainId), to: 12 });
    const unDone = await send(2, un, true);
    expect(unDone.receipt).toMatchObject({ type: 7 });
    tags.push(BigInt(unDone.receipt!.keyImageTag as string));
    spentHashes.push(unDone.hash);
    await committedEverywhere([unDone.hash], [0, 1, 2, 3]);
    const after = BigInt(
      (await rpc<{ balance: string }>(cluster.port(1), 'tessera_getAccount', [12])).balance,
    );
    expect(after).toBe(before + ETH);

    // The explorer's view never needs the sender: nothing in the unshield names account 2.
    const unTx = await rpc<{ tx: Record<string, unknown> }>(cluster.port(3), 'tessera_getTransaction', [
      unDone.hash,
    ]);
    expect(Object.keys(unTx.tx).sort()).toEqual(
      ['amount', 'assetId', 'memo', 'observerEpoch', 'ring', 'ringSignature', 'to', 'type'].sort(),
    );

    const metrics = await (await fetch(`http://127.0.0.1:${cluster.port(3)}/metrics`)).text();
    expect(metrics).toMatch(/tessera_privacy_txs_committed_total\{type="shield"\} 10/);
    expect(metrics).toMatch(/tessera_privacy_txs_committed_total\{type="private_transfer"\} 1/);
    expect(metrics).toMatch(/tessera_privacy_txs_committed_total\{type="unshield"\} 1/);
    expect(metrics).toMatch(/tessera_double_spends_rejected_total\{stage="admission"\} 1/);
  });

  it('validates the new methods and rotates the observer key', async () => {
    const bad = await rpcError(rpc(cluster.port(0), 'tessera_getNotes', [0, 1001]));
    expect(bad.code).toBe(-32602);
    expect((await rpcError(rpc(cluster.port(0), 'tessera_getNotes', [-1, 5]))).code).toBe(-32602);
    expect((await rpcError(rpc(cluster.port(0), 'tessera_getKeyImage', ['0x12']))).code).toBe(-32602);
    // accounts by L2 key (the regulator maps a memo's sender key to accounts with it)
    const owner = accts[0]!;
    const byKey = await rpc<{ index: number }[]>(cluster.port(0), 'tessera_getAccountsByPublicKey', [
      owner.account.publicKey.map(String),
    ]);
    expect(byKey.map((a) => a.index)).toEqual([owner.index]);
    expect(await rpc(cluster.port(0), 'tessera_getAccountsByPublicKey', [['1', '2']])).toEqual([]);
    expect((await rpcError(rpc(cluster.port(0), 'tessera_getAccountsByPublicKey', [['x', '2']]))).code).toBe(
      -32602,
    );
    const past = await rpc<{ total: number; notes: unknown[] }>(
      cluster.port(0),
      'tessera_getNotes',
      [500, 10],
    );
    expect(past).toEqual({ total: 11, notes: [] });

    const rot = rotation(2n, chainId);
    const r = await send(1, rot.tx, true);
    expect(r.receipt).toEqual({ type: 16, epoch: '2' });
    await committedEverywhere([r.hash], [0, 1, 2, 3]);
    for (const n of [0, 1, 2, 3])
      expect(await rpc(cluster.port(n), 'tessera_getObserverKey')).toEqual({
        epoch: '2',
        key: rot.pair.publicKey.key.map(String),
      });
    // A spend still encrypted to epoch 1 is stale; the same spend to epoch 2 goes through.
    const notes = (await allNotes(0)).map(noteFromView);
    const stale = privateTransfer(notes, carolNote, carol, accts[3]!, chainId, bob);
    const err = await rpcError(send(0, stale));
    expect(err.data?.code).toBe('STALE_OBSERVER_EPOCH');
    const ok = await send(
      0,
      privateTransfer(notes, carolNote, carol, accts[3]!, chainId, bob, { observer: rot.pair.publicKey }),
      true,
    );
    expect(ok.status).toBe('committed');
    spentHashes.push(ok.hash);
    tags.push(BigInt((ok.receipt as { keyImageTag: string }).keyImageTag));
  });

  it('a restarted node and a wiped node that catches up serve the same notes and key images', async () => {
    const reference = await allNotes(0);
    await cluster.stopNode(1);
    await cluster.startNode(1);
    await cluster.stopNode(2, { wipe: true });
    // One more shield while node 2 is away, so it has to catch up a privacy block.
    const s = await send(
      3,
      shield(accts[12]!, 0n, chainId, carol, ETH, (await currentObserver()).publicKey),
      true,
    );
    expect(s.status).toBe('committed');
    await cluster.startNode(2);
    await converged([0, 1, 2, 3]);
    const expected = await allNotes(0);
    expect(expected).toHaveLength(reference.length + 1);
    for (const n of [1, 2, 3]) {
      expect(await allNotes(n)).toEqual(expected);
      for (const [i, tag] of tags.entries())
        expect(await rpc(cluster.port(n), 'tessera_getKeyImage', [tag.toString()])).toEqual({
          spent: true,
          txHash: spentHashes[i],
        });
      expect((await rpc<{ epoch: string }>(cluster.port(n), 'tessera_getObserverKey')).epoch).toBe('2');
    }
    // The restored nodes still refuse a spent key image.
    const notes = expected.map(noteFromView);
    const replay = privateTransfer(notes, carolNote, carol, accts[3]!, chainId, alice, {
      observer: (await currentObserver()).publicKey,
      ringSize: 9,
    });
    expect((await rpcError(send(2, replay))).data?.code).toBe('KEY_IMAGE_SPENT');
  });
});

/** The epoch-2 observer key as served by the cluster (the tests rotated to it). */
async function currentObserver() {
  const k = await rpc<{ epoch: string; key: [string, string] }>(cluster.port(0), 'tessera_getObserverKey');
  return {
    publicKey: { epoch: BigInt(k.epoch), key: [BigInt(k.key[0]), BigInt(k.key[1])] as [bigint, bigint] },
  };
}
