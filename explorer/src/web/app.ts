import type { Hex } from '@tessera/core';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ExplorerError } from '../errors.ts';
import { NotFoundError } from '../errors.ts';
import type { BlockEvent, Indexer } from '../indexer/indexer.ts';
import { parseLimit } from '../store/db.ts';
import type { HistoryEntry } from '../store/records.ts';
import { APP_JS, STYLE_CSS } from './assets.ts';
import { escapeHtml } from './html.ts';
import {
  type Assets,
  type PageContext,
  accountPage,
  addressPage,
  batchPage,
  batchesPage,
  blockPage,
  blocksPage,
  bridgePage,
  choicesPage,
  errorPage,
  homePage,
  tokenPage,
  tokensPage,
  txDisplay,
  txPage,
  txsPage,
} from './pages.ts';
import { type Queries, parseAddress, parseHeight, parseIndex } from './queries.ts';

export type AppOptions = { l1TxUrl?: string; log?: Logger; metrics?: Registry };

const PAGE_SIZE = 25;

const API_INDEX = {
  description:
    'Tessera explorer JSON API (docs/EXPLORER.md). Lists take ?cursor= and ?limit= (1-100) and return { items, nextCursor }.',
  endpoints: [
    'GET /api/status',
    'GET /api/cluster',
    'GET /api/blocks',
    'GET /api/blocks/:heightOrHash',
    'GET /api/txs',
    'GET /api/txs/:hash',
    'GET /api/accounts/:index',
    'GET /api/accounts/:index/history',
    'GET /api/accounts/:index/history.csv',
    'GET /api/addresses/:address',
    'GET /api/tokens',
    'GET /api/tokens/:assetId',
    'GET /api/tokens/:assetId/holders',
    'GET /api/batches',
    'GET /api/batches/:height',
    'GET /api/deposits?inflight=1',
    'GET /api/withdrawals?inflight=1',
    'GET /api/privacy',
    'GET /api/keyimages/:tag',
    'GET /api/search?q=',
    'GET /api/events (Server-Sent Events)',
  ],
};

const CSV_COLUMNS = [
  'seq',
  'tx_hash',
  'block',
  'position',
  'timestamp_ms',
  'time_utc',
  'type',
  'role',
  'counterparty',
  'asset_id',
  'symbol',
  'decimals',
  'delta',
  'balance_after',
];

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The hono app: HTML pages, the JSON API and the live-update stream, all over `Queries`. */
export function createApp(indexer: Indexer, queries: Queries, options: AppOptions = {}) {
  const app = new Hono();
  const closers = new Set<() => void>();
  let assets: Assets = new Map();
  const loadAssets = async () => {
    assets = new Map((await queries.assets()).map((a) => [a.assetId, a]));
  };
  const ctx = (c: Context): PageContext => ({
    assets,
    l1TxUrl: options.l1TxUrl,
    l1Enabled: indexer.l1 !== undefined,
    query: c.req.query('q'),
  });
  const cursorOf = (c: Context) => {
    const v = c.req.query('cursor');
    return v === undefined || v === '' ? undefined : v;
  };
  const isApi = (c: Context) => c.req.path.startsWith('/api/') || c.req.path === '/api';

  app.use('*', async (c, next) => {
    if (assets.size === 0) await loadAssets();
    await next();
    c.header('x-content-type-options', 'nosniff');
    if (!isApi(c) && c.res.headers.get('content-type')?.startsWith('text/html')) {
      c.header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      );
    }
  });

  app.onError((err, c) => {
    const known = err instanceof ExplorerError;
    const status = (known ? err.status : 500) as 400 | 404 | 500 | 502 | 503;
    const code = known ? err.code : 'INTERNAL';
    const message = known
      ? err.message
      : 'Something went wrong while building this page. The problem has been logged.';
    if (!known || status >= 500) options.log?.error({ err: err.message, path: c.req.path }, 'request failed');
    if (isApi(c)) return c.json({ error: { code, message } }, status);
    const title =
      status === 404
        ? code === 'PAGE_OUT_OF_RANGE'
          ? 'Page out of range'
          : 'Not found'
        : status === 400
          ? code === 'MALFORMED_SEARCH'
            ? 'Search not understood'
            : 'Bad request'
          : 'Temporarily unavailable';
    return c.html(errorPage(status, title, message, code, { query: c.req.query('q') }).value, status);
  });

  app.notFound((c) => {
    if (isApi(c)) return c.json({ error: { code: 'NOT_FOUND', message: `no API route ${c.req.path}` } }, 404);
    return c.html(errorPage(404, 'Not found', `There is no page at ${c.req.path}.`, 'NOT_FOUND').value, 404);
  });

  indexer.on('block', () => {
    loadAssets().catch(() => {});
  });

  // ---------------------------------------------------------------- static, health, metrics
  app.get('/static/style.css', (c) =>
    c.body(STYLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  app.get('/static/app.js', (c) =>
    c.body(APP_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  app.get('/health', (c) => {
    const s = indexer.status();
    return c.json({ ok: s.lastError === null, indexedHeight: s.indexedHeight, lag: s.lag });
  });
  app.get('/metrics', async (c) =>
    options.metrics
      ? c.body(await options.metrics.metrics(), 200, { 'content-type': options.metrics.contentType })
      : c.notFound(),
  );

  // ---------------------------------------------------------------- pages
  app.get('/', async (c) => {
    const [blocks, txs] = await Promise.all([queries.blocks(undefined, 10), queries.txs(undefined, 10)]);
    return c.html(homePage(queries.status(), blocks.items, txs.items, ctx(c)).value);
  });
  app.get('/blocks', async (c) =>
    c.html(blocksPage(await queries.blocks(cursorOf(c), PAGE_SIZE), cursorOf(c) !== undefined, ctx(c)).value),
  );
  app.get('/block/:id', async (c) => {
    const block = await queries.block(c.req.param('id'));
    const txs = await queries.blockTxs(block, cursorOf(c), PAGE_SIZE);
    const batch = await queries.batch(BigInt(block.height)).catch(() => null);
    return c.html(blockPage(block, txs, cursorOf(c) !== undefined, batch, ctx(c)).value);
  });
  app.get('/txs', async (c) =>
    c.html(txsPage(await queries.txs(cursorOf(c), PAGE_SIZE), cursorOf(c) !== undefined, ctx(c)).value),
  );
  app.get('/tx/:hash', async (c) => c.html(txPage(await queries.tx(c.req.param('hash')), ctx(c)).value));
  app.get('/account/:index', async (c) => {
    const account = await queries.account(parseIndex(c.req.param('index')));
    const [history, siblings] = await Promise.all([
      queries.history(account.index, cursorOf(c), PAGE_SIZE),
      queries.accountsOf(account.ethAddress),
    ]);
    return c.html(accountPage(account, history, cursorOf(c) !== undefined, siblings, ctx(c)).value);
  });
  app.get('/address/:address', async (c) => {
    const address = parseAddress(c.req.param('address'));
    const [accounts, bridge] = await Promise.all([
      queries.accountsOf(address),
      queries.bridgeActivity(address),
    ]);
    if (accounts.length === 0 && bridge.deposits.length === 0 && bridge.exits.length === 0) {
      throw new NotFoundError(`The address ${address} has no L2 account, deposit or withdrawal.`);
    }
    return c.html(addressPage(address, accounts, bridge, ctx(c)).value);
  });
  app.get('/tokens', async (c) => c.html(tokensPage(await queries.assets(), ctx(c)).value));
  app.get('/token/:id', async (c) => {
    const id = parseIndex(c.req.param('id'), 'asset id');
    const asset = await queries.asset(id);
    if (!asset) throw new NotFoundError(`There is no token with asset id ${id}.`);
    return c.html(
      tokenPage(asset, await queries.holders(id, cursorOf(c), PAGE_SIZE), cursorOf(c) !== undefined, ctx(c))
        .value,
    );
  });
  app.get('/batches', async (c) =>
    c.html(
      batchesPage(await queries.batches(cursorOf(c), PAGE_SIZE), cursorOf(c) !== undefined, ctx(c)).value,
    ),
  );
  app.get('/batch/:height', async (c) =>
    c.html(batchPage(await queries.batch(parseHeight(c.req.param('height'))), ctx(c)).value),
  );
  app.get('/bridge', async (c) => {
    const [di, wi, dr, wr] = await Promise.all([
      queries.deposits(true, undefined, PAGE_SIZE),
      queries.withdrawals(true, undefined, PAGE_SIZE),
      queries.deposits(false, undefined, 10),
      queries.withdrawals(false, undefined, 10),
    ]);
    return c.html(bridgePage(di, wi, dr, wr, ctx(c)).value);
  });
  app.get('/search', async (c) => {
    const result = await queries.search(c.req.query('q'));
    if (result.kind === 'redirect') return c.redirect(result.url, 302);
    return c.html(choicesPage(result.query, result.choices, ctx(c)).value);
  });

  // ---------------------------------------------------------------- JSON API
  const limitOf = (c: Context) => parseLimit(c.req.query('limit'));
  app.get('/api', (c) => c.json(API_INDEX));
  app.get('/api/status', (c) => c.json(queries.status()));
  app.get('/api/cluster', (c) => c.json(queries.status().cluster));
  app.get('/api/blocks', async (c) => c.json(await queries.blocks(cursorOf(c), limitOf(c))));
  app.get('/api/blocks/:id', async (c) => {
    const block = await queries.block(c.req.param('id'));
    const [txs, batch] = await Promise.all([
      queries.blockTxs(block, cursorOf(c), limitOf(c)),
      queries.batch(BigInt(block.height)).catch(() => null),
    ]);
    return c.json({ ...block, batch, txs });
  });
  app.get('/api/txs', async (c) => c.json(await queries.txs(cursorOf(c), limitOf(c))));
  app.get('/api/txs/:hash', async (c) => c.json(await queries.tx(c.req.param('hash'))));
  app.get('/api/accounts/:index', async (c) =>
    c.json(await queries.account(parseIndex(c.req.param('index')))),
  );
  app.get('/api/accounts/:index/history', async (c) => {
    const account = await queries.account(parseIndex(c.req.param('index')));
    return c.json(await queries.history(account.index, cursorOf(c), limitOf(c)));
  });
  app.get('/api/accounts/:index/history.csv', async (c) => {
    const account = await queries.account(parseIndex(c.req.param('index')));
    const encoder = new TextEncoder();
    const rows = queries.allHistory(account.index)[Symbol.asyncIterator]();
    const line = (e: HistoryEntry) => {
      const a = assets.get(e.assetId);
      const ms = Number(e.timestamp) < 1e12 ? Number(e.timestamp) * 1000 : Number(e.timestamp);
      return `${[e.seq, e.txHash, e.height, e.index, ms, new Date(ms).toISOString(), e.typeName, e.role, e.counterparty ?? '', e.assetId, a?.symbol ?? '', a?.decimals ?? '', e.delta, e.balanceAfter].map(csvField).join(',')}\n`;
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(',')}\n`));
      },
      async pull(controller) {
        const { value, done } = await rows.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(line(value)));
      },
    });
    return new Response(body, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="tessera-account-${account.index}-history.csv"`,
      },
    });
  });
  app.get('/api/addresses/:address', async (c) => {
    const address = parseAddress(c.req.param('address')) as Hex;
    const [accounts, bridge] = await Promise.all([
      queries.accountsOf(address),
      queries.bridgeActivity(address),
    ]);
    return c.json({ address, accounts, ...bridge });
  });
  app.get('/api/tokens', async (c) => c.json({ items: await queries.assets(), nextCursor: null }));
  app.get('/api/tokens/:id', async (c) => {
    const id = parseIndex(c.req.param('id'), 'asset id');
    const asset = await queries.asset(id);
    if (!asset) throw new NotFoundError(`There is no token with asset id ${id}.`);
    return c.json(asset);
  });
  app.get('/api/tokens/:id/holders', async (c) => {
    const id = parseIndex(c.req.param('id'), 'asset id');
    if (!(await queries.asset(id))) throw new NotFoundError(`There is no token with asset id ${id}.`);
    return c.json(await queries.holders(id, cursorOf(c), limitOf(c)));
  });
  app.get('/api/batches', async (c) => c.json(await queries.batches(cursorOf(c), limitOf(c))));
  app.get('/api/batches/:height', async (c) =>
    c.json(await queries.batch(parseHeight(c.req.param('height')))),
  );
  app.get('/api/deposits', async (c) =>
    c.json(await queries.deposits(c.req.query('inflight') === '1', cursorOf(c), limitOf(c))),
  );
  app.get('/api/withdrawals', async (c) =>
    c.json(await queries.withdrawals(c.req.query('inflight') === '1', cursorOf(c), limitOf(c))),
  );
  app.get('/api/privacy', async (c) => c.json(await queries.privacy()));
  app.get('/api/keyimages/:tag', async (c) => c.json(await queries.keyImage(c.req.param('tag'))));
  app.get('/api/search', async (c) => c.json(await queries.search(c.req.query('q'))));

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const send = (event: string, data: unknown) =>
        stream.writeSSE({ event, data: JSON.stringify(data) }).catch(() => {});
      const onBlock = (e: BlockEvent) =>
        send('block', { block: e.block, txs: e.txs.map((t) => txDisplay(t, assets)) });
      const onStatus = (s: unknown) => send('status', s);
      const onL1 = (e: unknown) => send('l1', e);
      indexer.on('block', onBlock);
      indexer.on('status', onStatus);
      indexer.on('l1', onL1);
      await send('status', queries.status());
      const ping = setInterval(() => stream.writeSSE({ event: 'ping', data: '' }).catch(() => {}), 15_000);
      await new Promise<void>((resolve) => {
        closers.add(resolve);
        stream.onAbort(resolve);
      });
      clearInterval(ping);
      indexer.off('block', onBlock);
      indexer.off('status', onStatus);
      indexer.off('l1', onL1);
    }),
  );

  return {
    app,
    /** End every open event stream (server shutdown). */
    closeStreams() {
      for (const close of closers) close();
      closers.clear();
    },
  };
}

export { escapeHtml };
