import { TxType, signTransfer } from '@tessera/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExplorer, startExplorer } from '../src/index.ts';
import type { BlockRecord, HistoryEntry, TxSummary } from '../src/store/records.ts';
import { FakeChain, FakeNode } from './support/fakeSequencer.ts';
import { buildScenario, privateTransferJson, testParams, transfer, user } from './support/scenario.ts';
import { tempDirs, waitFor } from './support/util.ts';

const tmp = tempDirs();
let chain: FakeChain;
let node: FakeNode;
let explorer: RunningExplorer;
const get = (path: string, init?: RequestInit) => fetch(`${explorer.url}${path}`, init);
const json = async <T = any>(path: string, status = 200): Promise<T> => {
  const res = await get(path);
  expect(res.status, `${path}`).toBe(status);
  return (await res.json()) as T;
};

beforeAll(async () => {
  chain = new FakeChain(testParams());
  await buildScenario(chain, 30);
  chain.produce([transfer(chain, 2, 2, 1, 10n ** 16n)], [privateTransferJson()]);
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

  it('shows private transfers with ring and key image, never a sender', async () => {
    const hash = chain.blocks[chain.blocks.length - 2]!.txHashes.at(-1)!;
    const body = await page(`/tx/${hash}`);
    expect(body).toContain('Key image');
    expect(body).toContain('0x1234567890abcdef');
    expect(body).toContain('hidden');
    expect(body).toContain('href="/account/3"');
    expect(body).not.toContain('00000000000000000000000000000000000000ff');
    expect(body).not.toMatch(/<dt>From<\/dt>/);
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
