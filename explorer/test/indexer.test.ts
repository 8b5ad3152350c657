import { join } from 'node:path';
import { type Receipt, RocksKV, type Tx, TxType } from '@tessera/core';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Indexer } from '../src/indexer/indexer.ts';
import { ExplorerDb } from '../src/store/db.ts';
import { Keys } from '../src/store/keys.ts';
import type { AccountRecord, AssetRecord, BlockRecord, TxRecord } from '../src/store/records.ts';
import { Queries } from '../src/web/queries.ts';
import { FakeChain, FakeNode } from './support/fakeSequencer.ts';
import {
  ETH,
  NOTE_VALUE,
  type PrivacyScenario,
  buildScenario,
  privacyScenario,
  testParams,
  transfer,
  user,
} from './support/scenario.ts';
import { tempDirs, waitFor } from './support/util.ts';

const log = pino({ level: 'silent' });
const tmp = tempDirs();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});
afterAll(() => tmp.cleanup());

async function openIndexer(
  rpcUrls: string[],
  dataDir: string,
  extra: Partial<ConstructorParameters<typeof Indexer>[1]> = {},
) {
  const db = new ExplorerDb(await RocksKV.open(join(dataDir, 'index')));
  const indexer = new Indexer(db, {
    rpcUrls,
    pollMs: 50,
    clusterPollMs: 200,
    ledger: { params: { tree: testParams().tree }, verifyStateRoots: true },
    log,
    ...extra,
  });
  await indexer.start();
  const handle = {
    indexer,
    db,
    queries: new Queries(db, indexer),
    async stop() {
      await indexer.stop();
      await db.close();
    },
  };
  running.push(handle);
  return handle;
}

async function startNode(chain: FakeChain, name: string) {
  const node = new FakeNode(chain, { name });
  await node.start();
  running.push(node);
  return node;
}

/** Accounts a transaction changes, from the chain's own receipts. */
function touched(tx: Tx, receipt: Receipt): number[] {
  switch (tx.type) {
    case TxType.REGISTER:
      return [(receipt as { accountIndex: number }).accountIndex];
    case TxType.TRANSFER:
      return [tx.from, tx.to];
    case TxType.DEPOSIT:
      return 'credited' in receipt && receipt.credited ? [tx.to] : [];
    case TxType.WITHDRAW:
    case TxType.SHIELD:
      return [tx.from];
    case TxType.UNSHIELD:
      return [tx.to];
    case TxType.PRIVATE_TRANSFER:
    case TxType.OBSERVER_KEY:
      return [];
  }
}

describe('indexer against a sequencer double serving executeBlock blocks', () => {
  let chain: FakeChain;
  let privacy: PrivacyScenario;
  beforeAll(async () => {
    chain = new FakeChain(testParams());
    await buildScenario(chain, 3);
    chain.produce([transfer(chain, 2, 2, 1, 10n ** 16n)]);
    privacy = privacyScenario(chain);
  });

  it('replays every block: balances, roots, supplies, holders, history and exits match the chain', async () => {
    const node = await startNode(chain, 'node-1');
    const { indexer, db, queries } = await openIndexer([node.url], tmp.make());
    await waitFor(() => indexer.ledger.height === BigInt(chain.height), 'full index');

    for (const acct of chain.state.accounts.values()) {
      const rec = await db.get<AccountRecord>(Keys.account(acct.index));
      expect(rec, `account ${acct.index}`).toBeDefined();
      expect(rec!.balance).toBe(acct.balance.toString());
      expect(rec!.nonce).toBe(acct.nonce.toString());
      expect(rec!.ethAddress).toBe(acct.ethAddress);
    }
    for (let h = 1; h <= chain.height; h++) {
      const b = await db.get<BlockRecord>(Keys.block(BigInt(h)));
      expect(b!.hash).toBe(chain.blocks[h - 1]!.hash);
      // Privacy blocks included: notes and key images are replayed, so every root is rechecked.
      expect(b!.stateRootCheck).toBe('ok');
    }
    // Seven notes shielded, one unshielded.
    expect((await db.get<AssetRecord>(Keys.asset(1)))!.inNotes).toBe((6n * NOTE_VALUE).toString());

    for (const assetId of [1, 2]) {
      const accounts = [...chain.state.accounts.values()].filter((a) => a.assetId === assetId);
      const asset = (await db.get<AssetRecord>(Keys.asset(assetId)))!;
      expect(asset.supply).toBe(accounts.reduce((s, a) => s + a.balance, 0n).toString());
      expect(asset.holders).toBe(accounts.filter((a) => a.balance > 0n).length);
      expect(asset.accounts).toBe(accounts.length);
      const holders = await queries.holders(assetId, undefined, 100);
      const balances = holders.items.map((h) => BigInt(h.balance));
      expect(balances).toEqual(
        [...accounts.map((a) => a.balance).filter((b) => b > 0n)].sort((a, b) =>
          a > b ? -1 : a < b ? 1 : 0,
        ),
      );
    }

    // Every account's history lists exactly the transactions that touched it, newest first.
    for (const acct of chain.state.accounts.values()) {
      const expected: string[] = [];
      chain.executed.forEach((ex, bi) =>
        ex.block.txs.forEach(
          (tx, i) =>
            touched(tx, ex.receipts[i]!).includes(acct.index) &&
            expected.push(chain.blocks[bi]!.txHashes[i]!),
        ),
      );
      const page = await queries.history(acct.index, undefined, 100);
      expect(page.items.map((e) => e.txHash)).toEqual(expected.reverse());
      expect(page.items[0]!.balanceAfter).toBe(acct.balance.toString());
    }

    // Exits (the refunded deposit and the withdrawal) in block order, awaiting proof without L1.
    const exits = (await queries.withdrawals(true, undefined, 100)).items;
    const expectedExits = chain.executed.flatMap((ex) => ex.exits);
    expect(exits.map((e) => [e.recipient, e.amount]).sort()).toEqual(
      expectedExits.map((e) => [e.recipient, e.amount.toString()]).sort(),
    );
    expect(exits.every((e) => e.status === 'awaiting proof')).toBe(true);
    expect(exits.find((e) => e.kind === 'refund')!.recipient).toBe(user(9).address);

    const register = (await db.get<TxRecord>(Keys.tx(chain.blocks[0]!.txHashes[4]!)))!;
    expect(register.outcome).toEqual({ kind: 'applied', accountIndex: 5 });
    const refunded = (await db.get<TxRecord>(Keys.tx(chain.blocks[1]!.txHashes[5]!)))!;
    expect(refunded.outcome.kind).toBe('refunded');
    const deposits = (await queries.deposits(false, undefined, 100)).items;
    expect(deposits.map((d) => d.status).sort()).toEqual([
      'credited',
      'credited',
      'credited',
      'credited',
      'credited',
      'refunded',
    ]);
  });

  it('stores shields with their account, private spends with ring and key-image tag only', async () => {
    const node = await startNode(chain, 'node-1');
    const { indexer, db } = await openIndexer([node.url], tmp.make());
    await waitFor(() => indexer.ledger.height === BigInt(chain.height), 'full index');
    const [shieldBlock, spendBlock, unshieldBlock] = chain.blocks.slice(-3).map((b, i) => ({
      block: b,
      receipts: chain.executed[chain.height - 3 + i]!.receipts,
    }));

    const shield = (await db.get<TxRecord>(Keys.tx(shieldBlock!.block.txHashes[0]!)))!;
    expect(shield).toMatchObject({
      type: TxType.SHIELD,
      typeName: 'shield',
      from: 1,
      assetId: 1,
      noteIndex: 0,
    });
    expect(shield.amount).toBe(NOTE_VALUE.toString());

    const pt = (await db.get<TxRecord>(Keys.tx(spendBlock!.block.txHashes[0]!)))!;
    const ptReceipt = spendBlock!.receipts[0]!;
    if (ptReceipt.type !== TxType.PRIVATE_TRANSFER) throw new Error('private transfer receipt expected');
    expect(pt).toMatchObject({
      type: TxType.PRIVATE_TRANSFER,
      ringSize: 7,
      keyImageTag: ptReceipt.keyImageTag.toString(),
      noteIndex: 7,
      noteCommitment: ptReceipt.noteCommitment.toString(),
      outcome: { kind: 'applied' },
    });
    expect(pt.from).toBeUndefined();
    expect(pt.to).toBeUndefined();
    expect(Object.keys(pt.tx).sort()).toEqual(
      ['amount', 'assetId', 'keyImageTag', 'observerEpoch', 'output', 'ring', 'type'].sort(),
    );
    expect(pt.tx.keyImageTag).toBe(ptReceipt.keyImageTag.toString());
    // Neither the ring signature nor the memo is kept, nor any key or address of the ring's owners.
    const stored = JSON.stringify(pt);
    expect(stored).not.toContain(privacy.privateTransfer.memo.slice(2, 40));
    for (const seed of [1, 2, 3]) {
      expect(stored).not.toContain(user(seed).address.slice(2));
      expect(stored).not.toContain(user(seed).publicKey[0].toString());
    }
    // Nobody's history shows the private transfer.
    for (const index of [1, 2, 3]) {
      const history = await db.get<unknown>(Keys.historyEntry(index, BigInt(pt.seq)));
      expect(history).toBeUndefined();
    }

    const rot = (await db.get<TxRecord>(Keys.tx(spendBlock!.block.txHashes[1]!)))!;
    expect(rot).toMatchObject({ type: TxType.OBSERVER_KEY, typeName: 'observer key', epoch: '2' });

    const un = (await db.get<TxRecord>(Keys.tx(unshieldBlock!.block.txHashes[0]!)))!;
    expect(un).toMatchObject({ type: TxType.UNSHIELD, to: 3, ringSize: 8, amount: NOTE_VALUE.toString() });
    expect(un.from).toBeUndefined();
    const credited = await db.get<{ role: string; delta: string }>(Keys.historyEntry(3, BigInt(un.seq)));
    expect(credited).toMatchObject({ role: 'recipient', delta: NOTE_VALUE.toString() });
  });

  it('restores notes and key images after a restart and keeps replaying private spends', async () => {
    const local = new FakeChain(testParams());
    await buildScenario(local, 0);
    const s = privacyScenario(local);
    const node = await startNode(local, 'node-1');
    const dir = tmp.make();
    // The explorer sees the shields (block 4), stops, and the ring spends arrive while it is down.
    node.servedHeight = 4;
    const first = await openIndexer([node.url], dir);
    await waitFor(() => first.indexer.ledger.height === 4n, 'shields indexed');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    node.servedHeight = undefined;
    // Replaying the spends needs the ring's notes (checked against the restored list) ...
    const second = await openIndexer([node.url], dir);
    await waitFor(() => second.indexer.ledger.height === BigInt(local.height), 'ring spends indexed');
    await second.stop();
    running.splice(running.indexOf(second), 1);
    // ... and the root of a later block needs the restored key images and rotated observer key.
    local.produce([transfer(local, 1, 1, 2, 10n ** 15n)]);
    const third = await openIndexer([node.url], dir);
    await waitFor(() => third.indexer.ledger.height === BigInt(local.height), 'after restart');
    for (let h = 4n; h <= BigInt(local.height); h++)
      expect((await third.db.get<BlockRecord>(Keys.block(h)))!.stateRootCheck).toBe('ok');
    const [pt, un] = [local.blocks.at(-3)!, local.blocks.at(-2)!].map((b) => b.txHashes[0]!);
    expect((await third.db.get<TxRecord>(Keys.tx(pt!)))!.outcome).toEqual({ kind: 'applied' });
    expect((await third.db.get<TxRecord>(Keys.tx(un!)))!.type).toBe(s.unshield.type);
    const privacy = await third.queries.privacy();
    expect(privacy.notes).toBe(8);
    expect(privacy.spent).toBe(2);
    expect(privacy.observerKeys.map((k) => k.epoch)).toEqual(['1', '2']);
    expect((await third.db.get<AccountRecord>(Keys.account(3)))!.balance).toBe(
      local.state.account(3)!.balance.toString(),
    );
    expect(local.state.account(3)!.balance).toBe(ETH + ETH / 2n - ETH / 5n - 2n * NOTE_VALUE + NOTE_VALUE);
  });

  it('resumes after a restart from the stored height without refetching', async () => {
    const local = new FakeChain(testParams());
    await buildScenario(local, 1);
    const node = await startNode(local, 'node-1');
    const dir = tmp.make();
    const first = await openIndexer([node.url], dir);
    await waitFor(() => first.indexer.ledger.height === 4n, 'first pass');
    await first.stop();
    running.splice(running.indexOf(first), 1);

    local.produce([transfer(local, 1, 1, 2, 10n ** 15n)]);
    local.produce([transfer(local, 2, 2, 3, 10n ** 15n), transfer(local, 1, 1, 3, 10n ** 15n)]);
    node.requested.length = 0;
    const second = await openIndexer([node.url], dir);
    expect(second.indexer.ledger.height).toBe(4n);
    await waitFor(() => second.indexer.ledger.height === 6n, 'resume');
    expect(Math.min(...node.requested)).toBe(5);
    for (const acct of local.state.accounts.values()) {
      expect((await second.db.get<AccountRecord>(Keys.account(acct.index)))!.balance).toBe(
        acct.balance.toString(),
      );
    }
    const txs = await second.queries.txs(undefined, 100);
    expect(txs.items.length).toBe(local.blocks.reduce((n, b) => n + b.txHashes.length, 0));
    expect(new Set(txs.items.map((t) => t.hash)).size).toBe(txs.items.length);
  });

  it('wakes up on newBlocks and fails over when a node goes down', async () => {
    const local = new FakeChain(testParams());
    await buildScenario(local, 0);
    const a = await startNode(local, 'node-a');
    const b = await startNode(local, 'node-b');
    // Polling every minute: only the WebSocket notification can make indexing fast.
    const { indexer } = await openIndexer([a.url, b.url], tmp.make(), { pollMs: 60_000 });
    await waitFor(
      () => indexer.ledger.height === 3n && indexer.status().subscribedTo,
      'initial sync and subscription',
    );

    const t0 = Date.now();
    local.produce([transfer(local, 1, 1, 2, 10n ** 15n)]);
    await waitFor(() => indexer.ledger.height === 4n, 'block via notification', 10_000, 5);
    // A poll would take a minute; seconds (with room for a loaded machine) means the notification did it.
    expect(Date.now() - t0).toBeLessThan(10_000);

    await a.stop();
    await waitFor(
      () => indexer.status().subscribedTo?.includes(String(b.port)),
      'resubscribe to node b',
      5_000,
    );
    local.produce([transfer(local, 2, 2, 1, 10n ** 15n)]);
    await waitFor(() => indexer.ledger.height === 5n, 'block from node b after failover', 5_000);
    expect(indexer.status().endpoint).toBe(b.url);
    expect(indexer.pool.failovers).toBeGreaterThanOrEqual(1);
  });

  it('rejects a block that does not match its hash, reports the lag and cluster health', async () => {
    const local = new FakeChain(testParams());
    await buildScenario(local, 2);
    const nodes = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((n) => startNode(local, n)));
    // Every node serves a forged block 4 (state root changed, hash kept).
    for (const n of nodes)
      n.tamper = (blk) =>
        blk.header.height === '4' ? { ...blk, header: { ...blk.header, stateRoot: '1' } } : blk;
    const { indexer } = await openIndexer(
      nodes.map((n) => n.url),
      tmp.make(),
    );
    await waitFor(() => indexer.status().lastError?.includes('does not match'), 'rejection');
    expect(indexer.ledger.height).toBe(3n);
    await waitFor(() => indexer.status().lag === '2', 'lag of two blocks');

    await nodes[3]!.stop();
    const cluster = await waitFor(() => {
      const c = indexer.status().cluster;
      return c.filter((n) => !n.up).length === 1 ? c : undefined;
    }, 'one node down');
    expect(cluster.filter((n) => n.healthy).map((n) => n.status?.node)).toEqual(['n1', 'n2', 'n3']);
    expect(cluster[3]!.up).toBe(false);

    for (const n of nodes) n.tamper = undefined;
    await waitFor(
      () => indexer.ledger.height === 5n && indexer.status().lag === '0',
      'recovery once the node serves the real block',
    );
    expect(indexer.status().lastError).toBeNull();
  });
});
