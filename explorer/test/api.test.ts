import { TxType, signTransfer } from '@tessera/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExplorer, startExplorer } from '../src/index.ts';
import type { BlockRecord, HistoryEntry, TxSummary } from '../src/store/records.ts';
import { FakeChain, FakeNode } from './support/fakeSequencer.ts';
import {
  NOTE_VALUE,
  type PrivacyScenario,
  buildScenario,
  privacyScenario,
  testParams,
  transfer,
  user,
} from './support/scenario.ts';
import { tempDirs, waitFor } from './support/util.ts';

const tmp = tempDirs();
let chain: FakeChain;
let node: FakeNode;
let explorer: RunningExplorer;
let privacy: PrivacyScenario;
/** Heights of the shield, private transfer (+ rotation) and unshield blocks. */
let privacyHeights: number[];
const get = (path: string, init?: RequestInit) => fetch(`${explorer.url}${path}`, init);
const json = async <T = any>(path: string, status = 200): Promise<T> => {
  const res = await get(path);
  expect(res.status, `${path}`).toBe(status);
  return (await res.json()) as T;
};

beforeAll(async () => {
  chain = new FakeChain(testParams());
  await buildScenario(chain, 30);
  chain.produce([transfer(chain, 2, 2, 1, 10n ** 16n)]);
  privacy = privacyScenario(chain);
  privacyHeights = [chain.height - 2, chain.height - 1, chain.height];
  chain.produce([transfer(chain, 1, 1, 2, 10n ** 15n)]);
  node = new FakeNode(chain, { name: 'node-1' });
  await node.start();
  explorer = await startExplorer({
    rpcUrls: [node.url],
    dataDir: tmp.make(),
    port: 0,
    pollMs: 50,
    clusterPollMs: 200,
    ledger: { params: { tree: testParams().tree }, verifyStateRoots: true },
    logger: pino({ level: 'silent' }),
  });
  await waitFor(async () => (await json('/api/status')).indexedHeight === String(chain.height), 'index');
});
afterAll(async () => {
  await explorer?.close();
  await node?.stop();
  tmp.cleanup();
});

async function collect<T>(path: string, limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { items: T[]; nextCursor: string | null } = await json(
      `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

describe('JSON API', () => {
  it('pages through blocks and transactions with cursors, each item exactly once', async () => {
    const blocks = await collect<BlockRecord>('/api/blocks', 7);
    expect(blocks.items.map((b) => Number(b.height))).toEqual(
      Array.from({ length: chain.height }, (_, i) => chain.height - i),
    );
    expect(blocks.pages).toBe(Math.ceil(chain.height / 7));
    const txs = await collect<TxSummary>('/api/txs', 9);
    const all = chain.blocks.flatMap((b) => b.txHashes);
    expect(txs.items.map((t) => t.hash)).toEqual([...all].reverse());
  });

  it('answers bad cursors and limits with 400, pages past the end with 404', async () => {
    expect((await json('/api/blocks?cursor=abc', 400)).error.code).toBe('INVALID_CURSOR');
    expect((await json('/api/blocks?cursor=99999999999999999999', 404)).error.code).toBe('PAGE_OUT_OF_RANGE');
    expect((await json('/api/blocks?limit=0', 400)).error.code).toBe('BAD_REQUEST');
    expect((await json('/api/blocks?limit=101', 400)).error.code).toBe('BAD_REQUEST');
    expect((await json('/api/blocks/3?cursor=999', 404)).error.code).toBe('PAGE_OUT_OF_RANGE');
  });

  it('serves a block by height and by hash, and its transactions', async () => {
    const b3 = chain.blocks[2]!;
    const byHeight = await json('/api/blocks/3');
    const byHash = await json(`/api/blocks/${b3.hash}`);
    expect(byHash).toEqual(byHeight);
    expect(byHeight.hash).toBe(b3.hash);
    expect(byHeight.txs.items.map((t: TxSummary) => t.hash)).toEqual(b3.txHashes);
    expect(byHeight.stateRootCheck).toBe('ok');
    expect(byHeight.certificate.signers).toHaveLength(3);
    expect((await json('/api/blocks/999', 404)).error.message).toContain(
      `latest indexed block is ${chain.height}`,
    );
    expect((await json('/api/blocks/0xzz', 400)).error.code).toBe('BAD_REQUEST');
  });

  it('shows a transaction committed on L2, a pending one from the sequencer, and 404 for unknown hashes', async () => {
    const hash = chain.blocks[2]!.txHashes[0]!;
    const tx = await json(`/api/txs/${hash}`);
    expect(tx.status).toBe('committed');
    expect(tx.tx).toMatchObject({
      from: 1,
      to: 2,
      amount: (10n ** 18n).toString(),
      type: TxType.TRANSFER,
      height: '3',
    });
    expect(tx.batch.status).toBe('pending');

    const pendingTx = signTransfer(user(1).l2Key, chain.params.chainId, {
      from: 1,
      to: 3,
      amount: 10n ** 15n,
      nonce: 999n,
    });
    const pendingHash = `0x${'ab'.repeat(32)}`;
    chain.pending.set(pendingHash, { type: pendingTx.type, from: 1, to: 3 });
    const pending = await json(`/api/txs/${pendingHash}`);
    expect(pending.status).toBe('pending');
    expect(pending.pending.status).toBe('pending');

    expect((await json(`/api/txs/0x${'00'.repeat(32)}`, 404)).error.code).toBe('NOT_FOUND');
    expect((await json('/api/txs/0x1234', 400)).error.code).toBe('BAD_REQUEST');
  });

  it('serves privacy transactions, key images and observer keys without naming a sender', async () => {
    const spendBlock = chain.blocks[privacyHeights[1]! - 1]!;
    const receipt = chain.executed[privacyHeights[1]! - 1]!.receipts[0]!;
    if (receipt.type !== TxType.PRIVATE_TRANSFER) throw new Error('private transfer receipt expected');
    const pt = await json(`/api/txs/${spendBlock.txHashes[0]}`);
    expect(pt.tx).toMatchObject({
      type: TxType.PRIVATE_TRANSFER,
      typeName: 'private transfer',
      ringSize: 7,
      keyImageTag: receipt.keyImageTag.toString(),
      noteIndex: 7,
      amount: NOTE_VALUE.toString(),
      assetId: 1,
    });
    expect(pt.tx.from).toBeUndefined();
    expect(pt.tx.tx.ring).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pt.tx.tx.ringSignature).toBeUndefined();
    expect(pt.tx.tx.memo).toBeUndefined();
    expect(await json(`/api/keyimages/${receipt.keyImageTag}`)).toEqual({
      tag: receipt.keyImageTag.toString(),
      spent: true,
      txHash: spendBlock.txHashes[0],
      height: String(privacyHeights[1]),
    });
    expect(await json('/api/keyimages/42')).toEqual({ tag: '42', spent: false });
    expect((await json('/api/keyimages/0x42', 400)).error.code).toBe('BAD_REQUEST');
    const p = await json('/api/privacy');
    expect(p.notes).toBe(8);
    expect(p.spent).toBe(2);
    expect(p.observerKeys.map((k: { epoch: string; txHash?: string }) => [k.epoch, k.txHash])).toEqual([
      ['1', undefined],
      ['2', spendBlock.txHashes[1]],
    ]);

    // A pending private transfer from the sequencer: its key-image tag, never a sender.
    const pendingHash = `0x${'cd'.repeat(32)}`;
    const raw = JSON.parse(
      JSON.stringify(privacy.privateTransfer, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    chain.pending.set(pendingHash, raw);
    const pending = await json(`/api/txs/${pendingHash}`);
    expect(pending.status).toBe('pending');
    expect(pending.pending.tx.keyImageTag).toBe(receipt.keyImageTag.toString());
    expect(pending.pending.tx.ringSignature).toBeUndefined();
    const pendingPage = await (await get(`/tx/${pendingHash}`)).text();
    expect(pendingPage).toContain('hidden (ring of 7 notes)');
    expect(pendingPage).not.toContain('href="/account/');
    chain.pending.delete(pendingHash);
  });

  it('pages account history and exports it as CSV whose deltas add up to the balance', async () => {
    const acct = chain.state.account(2)!;
    const history = await collect<HistoryEntry>('/api/accounts/2/history', 4);
    expect(history.items.length).toBeGreaterThan(30);
    expect(history.items[0]!.balanceAfter).toBe(acct.balance.toString());
    const res = await get('/api/accounts/2/history.csv');
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('tessera-account-2-history.csv');
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'seq,tx_hash,block,position,timestamp_ms,time_utc,type,role,counterparty,asset_id,symbol,decimals,delta,balance_after',
    );
    expect(lines.length - 1).toBe(history.items.length);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[1])).toEqual(history.items.map((h) => h.txHash));
    expect(rows.reduce((s, r) => s + BigInt(r[12]!), 0n)).toBe(acct.balance);
    expect(rows.every((r) => r[10] === 'ETH' && r[11] === '18')).toBe(true);
    expect((await json('/api/accounts/777', 404)).error.code).toBe('NOT_FOUND');
    expect((await json('/api/accounts/-1', 400)).error.code).toBe('BAD_REQUEST');
  });

  it('lists tokens with supply and holders largest first', async () => {
    const tokens = await json('/api/tokens');
    const eth = tokens.items.find((t: { symbol: string }) => t.symbol === 'ETH');
    const ethAccounts = [...chain.state.accounts.values()].filter((a) => a.assetId === 1);
    expect(eth.supply).toBe(ethAccounts.reduce((s, a) => s + a.balance, 0n).toString());
    const holders = await collect<{ index: number; balance: string }>('/api/tokens/1/holders', 2);
    expect(holders.items.map((h) => h.index)).toEqual(
      [...ethAccounts].sort((a, b) => (b.balance > a.balance ? 1 : -1)).map((a) => a.index),
    );
    expect((await json('/api/tokens/42', 404)).error.code).toBe('NOT_FOUND');
  });

  it('resolves searches and explains malformed ones', async () => {
    expect(await json('/api/search?q=%20%2030%20')).toEqual({ kind: 'redirect', url: '/block/30' });
    expect((await json('/api/search?q=%2310', 404)).error.message).toContain('Account 10 does not exist');
    expect((await json('/api/search?q=%235')).url).toBe('/account/5');
    expect((await json('/api/search?q=20')).url).toBe('/block/20');
    expect((await json('/api/search?q=2')).kind).toBe('choices');
    const txHash = chain.blocks[1]!.txHashes[0]!;
    expect((await json(`/api/search?q=${txHash.toUpperCase().replace('0X', '0x')}`)).url).toBe(
      `/tx/${txHash}`,
    );
    expect((await json(`/api/search?q=${chain.blocks[4]!.hash}`)).url).toBe(
      `/block/${chain.blocks[4]!.hash}`,
    );
    expect((await json(`/api/search?q=${user(1).address}`)).url).toBe(`/address/${user(1).address}`);
    expect((await json('/api/search?q=hello', 400)).error.code).toBe('MALFORMED_SEARCH');
    expect((await json('/api/search?q=', 400)).error.code).toBe('MALFORMED_SEARCH');
    expect((await json(`/api/search?q=0x${'11'.repeat(32)}`, 404)).error.code).toBe('NOT_FOUND');
    expect((await json('/api/search?q=123456', 404)).error.code).toBe('NOT_FOUND');
  });

  it('reports status, address activity and metrics', async () => {
    const status = await json('/api/status');
    expect(status).toMatchObject({
      indexedHeight: String(chain.height),
      headHeight: String(chain.height),
      lag: '0',
      lastError: null,
      l1: { enabled: false },
    });
    expect(status.cluster[0]).toMatchObject({ up: true, healthy: true });
    const addr = await json(`/api/addresses/${user(1).address}`);
    expect(addr.accounts.map((a: { index: number }) => a.index).sort()).toEqual([1, 5]);
    expect(addr.deposits.length).toBe(2);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain(`explorer_indexed_height ${chain.height}`);
    expect(metrics).toContain('explorer_lag_blocks 0');
  });

  it('streams new blocks as Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await get('/api/events', { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read();
    text += decoder.decode(first.value);
    expect(text).toContain('event: status');
    chain.produce([transfer(chain, 1, 1, 3, 10n ** 15n)]);
    const expectHeight = `"height":"${chain.height}"`;
    const deadline = Date.now() + 5_000;
    while (!(text.includes('event: block') && text.includes(expectHeight)) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toContain(expectHeight);
    expect(text).toContain('"parties":"#1 → #3"');
  });
});

describe('HTML pages', () => {
  const page = async (path: string, status = 200) => {
    const res = await get(path, { redirect: 'manual' });
    expect(res.status, path).toBe(status);
    const body = await res.text();
    expect(body).not.toMatch(/at .*\.ts:\d+|Error: /);
    return body;
  };

  it('renders every page kind', async () => {
    expect(await page('/')).toContain('id="latest-blocks"');
    expect(await page('/blocks')).toContain('rel="next"');
    expect(await page('/block/3')).toContain('Block 3');
    expect(await page(`/tx/${chain.blocks[2]!.txHashes[2]!}`)).toContain('withdraw');
    const account = await page('/account/1');
    expect(account).toContain('Other balances of this address');
    expect(account).toContain('350 USDT');
    expect(await page('/tokens')).toContain('USDT');
    expect(await page('/token/1')).toContain('id="holders"');
    expect(await page('/batches')).toContain('L1 tracking is not configured');
    expect(await page('/batch/2')).toContain('Batch 2');
    expect(await page('/bridge')).toContain('Withdrawals in flight');
    expect(await page(`/address/${user(1).address}`)).toContain('#5');
  });

  it('shows a shield with its account, private spends with a ring of notes and never a sender', async () => {
    const [shieldBlock, spendBlock, unshieldBlock] = privacyHeights.map((h) => chain.blocks[h - 1]!);
    const receipts = privacyHeights.map((h) => chain.executed[h - 1]!.receipts);
    const ptReceipt = receipts[1]![0]!;
    const unReceipt = receipts[2]![0]!;
    if (ptReceipt.type !== TxType.PRIVATE_TRANSFER || unReceipt.type !== TxType.UNSHIELD)
      throw new Error('privacy receipts expected');

    const shield = await page(`/tx/${shieldBlock!.txHashes[0]}`);
    expect(shield).toContain('<dt>From</dt><dd><a href="/account/1">#1</a>');
    expect(shield).toContain('0.1 ETH');
    expect(shield).toContain('note 0');

    // The private transfer: ring size, key-image tag and output note; no account at all.
    const pt = await page(`/tx/${spendBlock!.txHashes[0]}`);
    expect(pt).toContain('hidden (ring of 7 notes)');
    expect(pt).toContain(ptReceipt.keyImageTag.toString());
    expect(pt).toContain('note 7');
    expect(pt).toContain(ptReceipt.noteCommitment.toString());
    expect(pt).not.toContain('href="/account/');
    expect(pt).not.toMatch(/<dt>From<\/dt>/);
    for (const seed of [1, 2, 3]) {
      expect(pt).not.toContain(user(seed).address);
      expect(pt).not.toContain(user(seed).publicKey[0].toString());
    }
    expect(pt).not.toContain(privacy.privateTransfer.memo.slice(2, 40));

    // The unshield names its recipient only.
    const un = await page(`/tx/${unshieldBlock!.txHashes[0]}`);
    expect(un).toContain('hidden (ring of 8 notes)');
    expect(un).toContain(unReceipt.keyImageTag.toString());
    expect(un.match(/href="\/account\/\d+"/g)).toEqual(['href="/account/3"']);
    expect(un).not.toMatch(/<dt>From<\/dt>/);

    const rot = await page(`/tx/${spendBlock!.txHashes[1]}`);
    expect(rot).toContain('observer key');
    expect(rot).toContain(privacy.rotation.key[0].toString());

    // Lists show parties without a sender for the ring spends.
    const block = await page(`/block/${privacyHeights[1]}`);
    expect(block).toContain('hidden (ring of 7 notes) → private note');
    expect(block).toContain('observer key, epoch 2');
    expect(await page(`/block/${privacyHeights[2]}`)).toContain('hidden (ring of 8 notes) → #3');
    expect(await page('/token/1')).toContain('In private notes');
  });

  it('redirects searches and answers bad input with friendly, escaped error pages', async () => {
    const res = await get(`/search?q=${chain.blocks[0]!.txHashes[0]}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/tx/${chain.blocks[0]!.txHashes[0]}`);
    expect(await page('/search?q=3', 200)).toContain('matches more than one thing');

    const evil = '<script>alert(1)</script>';
    const malformed = await page(`/search?q=${encodeURIComponent(evil)}`, 400);
    expect(malformed).toContain('Search not understood');
    expect(malformed).not.toContain(evil);
    expect(malformed).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const unknown = await page(`/tx/0x${'00'.repeat(32)}`, 404);
    expect(unknown).toContain('No transaction with hash');
    expect(await page('/blocks?cursor=99999999999999999999', 404)).toContain('Page out of range');
    expect(await page('/block/5?cursor=50', 404)).toContain('Page out of range');
    expect(await page(`/account/${encodeURIComponent('"><img src=x onerror=alert(1)>')}`, 400)).not.toContain(
      '<img src=x',
    );
    expect(await page('/no/such/page', 404)).toContain('There is no page at /no/such/page');
    expect(await page(`/address/0x${'77'.repeat(20)}`, 404)).toContain('has no L2 account');
  });

  it('sets a content security policy that only allows its own script', async () => {
    const res = await get('/');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const js = await get('/static/app.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain("new EventSource('/api/events')");
  });
});
