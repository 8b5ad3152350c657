import { TxType } from '@tessera/core';
import type { IndexerStatus } from '../indexer/indexer.ts';
import { txTypeName } from '../indexer/ledger.ts';
import type { Page } from '../store/db.ts';
import type {
  AccountRecord,
  AssetRecord,
  BlockRecord,
  HistoryEntry,
  L1Ref,
  TxSummary,
} from '../store/records.ts';
import { ACCOUNT_TYPES, formatAmount, formatTime, shortHash, timeAgo } from './format.ts';
import { type Html, type Interpolation, html } from './html.ts';
import { type BatchView, type DepositView, type ExitView, TX_STAGES, type TxView } from './queries.ts';

export type Assets = Map<number, AssetRecord>;
export type PageContext = { assets: Assets; l1TxUrl?: string; l1Enabled: boolean; query?: string };

// ---------------------------------------------------------------- shell

export function layout(
  title: string,
  page: string,
  content: Html,
  ctx: Pick<PageContext, 'query'> = {},
): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Tessera Explorer</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body data-page="${page}">
<header class="top">
  <a class="brand" href="/">Tessera<span>explorer</span></a>
  <nav class="main">
    <a href="/blocks">Blocks</a><a href="/txs">Transactions</a><a href="/tokens">Tokens</a><a href="/batches">Batches</a><a href="/bridge">Bridge</a>
  </nav>
  <form class="search" action="/search" method="get" role="search">
    <input name="q" type="search" placeholder="Block, hash, account #, 0x address" aria-label="Search" value="${ctx.query ?? ''}" autocomplete="off">
    <button type="submit">Search</button>
  </form>
</header>
<main>
${content}
</main>
<footer><span data-live="sync"></span> · <a href="/api">JSON API</a></footer>
<script src="/static/app.js" defer></script>
</body>
</html>`;
}

export function errorPage(
  status: number,
  title: string,
  message: string,
  code: string,
  ctx: Pick<PageContext, 'query'> = {},
): Html {
  return layout(
    title,
    'error',
    html`<div class="error-page" role="alert">
  <h1>${title}</h1>
  <p>${message}</p>
  <p class="code">HTTP ${status} · ${code}</p>
  <p>Search accepts a block number, a block or transaction hash (0x + 64 hex digits), an account index (<span class="mono">#12</span>) or an Ethereum address (0x + 40 hex digits).</p>
  <p><a href="/">Back to the latest blocks</a></p>
</div>`,
    ctx,
  );
}

// ---------------------------------------------------------------- pieces

const blockLink = (h: string) => html`<a href="/block/${h}">${h}</a>`;
const txLink = (hash: string, full = false) =>
  html`<a class="mono" href="/tx/${hash}">${full ? hash : shortHash(hash, 6)}</a>`;
const acctLink = (i: number | undefined) =>
  i === undefined ? html`<span class="muted">–</span>` : html`<a href="/account/${i}">#${i}</a>`;
const addrLink = (a: string | undefined, full = false) =>
  a
    ? html`<a class="mono" href="/address/${a}">${full ? a : shortHash(a, 6)}</a>`
    : html`<span class="muted">–</span>`;
const tokenLink = (assetId: number | undefined, assets: Assets) =>
  assetId === undefined
    ? html`–`
    : html`<a href="/token/${assetId}">${assets.get(assetId)?.symbol ?? `asset ${assetId}`}</a>`;

function l1Link(ref: L1Ref | undefined, ctx: PageContext, field: string): Html {
  if (!ref) return html`<span class="muted" data-field="${field}">not yet</span>`;
  const text = html`<span class="mono" data-field="${field}">${ref.tx}</span>`;
  const link = ctx.l1TxUrl
    ? html`<a href="${ctx.l1TxUrl.replace('{hash}', ref.tx)}" rel="noopener">${text}</a>`
    : text;
  return html`${link} <span class="muted">(L1 block ${ref.block})</span>`;
}

function badge(label: string, tone: 'ok' | 'warn' | 'bad' | '' = ''): Html {
  return html`<span class="badge ${tone}" data-live="status">${label}</span>`;
}

function panel(title: Interpolation, body: Interpolation, extra?: Interpolation): Html {
  return html`<section class="panel"><h2><span>${title}</span>${extra ? html`<small>${extra}</small>` : ''}</h2>${body}</section>`;
}

function table(
  headers: (string | [string, string])[],
  rows: Html[],
  id?: string,
  empty = 'Nothing here yet.',
): Html {
  const th = headers.map((h) =>
    Array.isArray(h) ? html`<th class="${h[1]}">${h[0]}</th>` : html`<th>${h}</th>`,
  );
  return html`<div class="table-wrap"><table ${id ? html`id="${id}"` : ''} ${rows.length ? '' : html`hidden`}><thead><tr>${th}</tr></thead><tbody>${rows}</tbody></table>${rows.length ? '' : html`<div class="empty">${empty}</div>`}</div>`;
}

function pager(next: string | null, base: string, hadCursor: boolean): Html {
  if (!next && !hadCursor) return html``;
  const sep = base.includes('?') ? '&' : '?';
  return html`<div class="pager">${hadCursor ? html`<a href="${base}">« First page</a>` : ''}${next ? html`<a href="${base}${sep}cursor=${next}" rel="next">Next page »</a>` : html`<span class="muted">End of list</span>`}</div>`;
}

function kv(rows: [string, Interpolation][]): Html {
  return html`<dl class="kv">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** "#1 → #2", "0xab…cd → #3", "#4 → L1"; private spends show their ring of notes, never a sender. */
export function parties(t: TxSummary): string {
  switch (t.type) {
    case TxType.REGISTER:
      return `new account #${t.to ?? '?'}`;
    case TxType.TRANSFER:
      return `#${t.from} → #${t.to}`;
    case TxType.DEPOSIT:
      return `${shortHash(t.depositor ?? '', 4)} (L1) → #${t.to}`;
    case TxType.WITHDRAW:
      return `#${t.from} → L1`;
    case TxType.SHIELD:
      return `#${t.from} → private note`;
    case TxType.PRIVATE_TRANSFER:
      return `${hiddenSender(t.ringSize)} → private note`;
    case TxType.UNSHIELD:
      return `${hiddenSender(t.ringSize)} → #${t.to}`;
    case TxType.OBSERVER_KEY:
      return `observer key, epoch ${t.epoch ?? '?'}`;
    default:
      return '–';
  }
}

export function txDisplay(t: TxSummary, assets: Assets) {
  return {
    hash: t.hash,
    typeName: t.typeName,
    parties: parties(t),
    amountText: t.amount ? formatAmount(t.amount, assets.get(t.assetId ?? -1)) : '',
    height: t.height,
  };
}

function txRows(txs: TxSummary[], assets: Assets, withBlock = true): Html[] {
  return txs.map((t) => {
    const d = txDisplay(t, assets);
    return html`<tr data-hash="${t.hash}"><td>${txLink(t.hash)}</td><td>${t.typeName}</td><td class="hide-sm">${d.parties}</td><td class="num">${d.amountText}</td>${withBlock ? html`<td class="hide-sm">${blockLink(t.height)}</td>` : ''}</tr>`;
  });
}
const TX_HEADERS: (string | [string, string])[] = [
  'Hash',
  'Type',
  ['From → to', 'hide-sm'],
  ['Amount', 'num'],
  ['Block', 'hide-sm'],
];

function blockRows(blocks: BlockRecord[]): Html[] {
  return blocks.map(
    (b) =>
      html`<tr data-height="${b.height}"><td>${blockLink(b.height)}</td><td class="mono hide-sm"><a href="/block/${b.hash}">${shortHash(b.hash, 6)}</a></td><td class="num">${b.txCount}</td><td data-ts="${b.timestamp}">${timeAgo(b.timestamp)}</td></tr>`,
  );
}

function nodeList(status: IndexerStatus): Html {
  return html`<ul class="nodes">${status.cluster.map((n, i) => {
    const tone = n.healthy ? 'ok' : n.up ? 'warn' : 'down';
    const state = n.healthy ? 'healthy' : n.up ? (n.status?.syncing ? 'syncing' : 'behind') : 'down';
    return html`<li class="node ${tone}" data-node="${i}"><strong>${n.status?.node ?? `node ${i + 1}`}</strong> · <span class="node-state">${state}</span><div class="node-height muted">${n.status?.height !== undefined ? `height ${n.status.height} · ${n.status.peers ?? '?'} peers` : n.up ? '' : 'unreachable'}</div><div class="node-url">${n.url}</div></li>`;
  })}</ul>`;
}

// ---------------------------------------------------------------- pages

export function homePage(
  status: IndexerStatus,
  blocks: BlockRecord[],
  txs: TxSummary[],
  ctx: PageContext,
): Html {
  const l1 = status.l1;
  const content = html`
<div class="cards">
  <div class="card"><div class="label">Latest block</div><div class="value" data-live="indexed">${status.indexedHeight ?? '–'}</div><div class="sub">head <span data-live="head">${status.headHeight ?? '–'}</span> · lag <span data-live="lag">${status.lag ?? '–'}</span></div></div>
  <div class="card"><div class="label">Live TPS</div><div class="value" data-live="tps">${status.tps.toFixed(1)}</div><div class="sub">last 10 s</div></div>
  <div class="card"><div class="label">L1 committed</div><div class="value" data-live="l1-committed">${l1.enabled ? (l1.committedHead ?? 'none') : 'n/a'}</div><div class="sub">highest batch on L1</div></div>
  <div class="card"><div class="label">L1 verified</div><div class="value" data-live="l1-verified">${l1.enabled ? (l1.verifiedHead ?? 'none') : 'n/a'}</div><div class="sub">highest proven batch</div></div>
</div>
${panel('Cluster health', nodeList(status), `${status.cluster.length} sequencer nodes`)}
<div class="grid2 home">
${panel('Latest blocks', table(['Block', ['Hash', 'hide-sm'], ['Txs', 'num'], 'Age'], blockRows(blocks), 'latest-blocks', 'No blocks indexed yet.'), html`<a href="/blocks">all blocks</a>`)}
${panel('Latest transactions', table(TX_HEADERS.slice(0, 4), txRows(txs, ctx.assets, false), 'latest-txs', 'No transactions yet.'), html`<a href="/txs">all transactions</a>`)}
</div>`;
  return layout('Home', 'home', content, ctx);
}

export function blocksPage(page: Page<BlockRecord>, hadCursor: boolean, ctx: PageContext): Html {
  return layout(
    'Blocks',
    'blocks',
    html`<h1>Blocks</h1>${panel('Newest first', html`${table(['Block', ['Hash', 'hide-sm'], ['Txs', 'num'], 'Age'], blockRows(page.items), 'blocks')}${pager(page.nextCursor, '/blocks', hadCursor)}`)}`,
    ctx,
  );
}

export function txsPage(page: Page<TxSummary>, hadCursor: boolean, ctx: PageContext): Html {
  return layout(
    'Transactions',
    'txs',
    html`<h1>Transactions</h1>${panel('Newest first', html`${table(TX_HEADERS, txRows(page.items, ctx.assets), 'txs')}${pager(page.nextCursor, '/txs', hadCursor)}`)}`,
    ctx,
  );
}

function batchBadge(b: BatchView | null, ctx: PageContext): Html {
  if (!ctx.l1Enabled) return html`<span class="badge">L1 not tracked</span>`;
  if (!b) return badge('Awaiting L1 commit', 'warn');
  return badge(b.statusLabel, b.status === 'verified' ? 'ok' : b.status === 'pending' ? 'warn' : '');
}

export function blockPage(
  b: BlockRecord,
  txs: Page<TxSummary>,
  hadCursor: boolean,
  batch: BatchView | null,
  ctx: PageContext,
): Html {
  const cert = b.certificate;
  const details = kv([
    ['Height', b.height],
    ['Hash', html`<span class="mono">${b.hash}</span>`],
    [
      'Parent',
      b.height === '0' || /^0x0+$/.test(b.parentHash)
        ? html`<span class="mono muted">genesis</span>`
        : html`<a class="mono" href="/block/${b.parentHash}">${b.parentHash}</a>`,
    ],
    ['Time', html`${formatTime(b.timestamp)} <span class="muted">(${timeAgo(b.timestamp)})</span>`],
    ['Transactions', `${b.txCount} (${b.depositCount} L1 deposits)`],
    [
      'State root',
      html`<span class="mono">${b.stateRoot}</span> ${b.stateRootCheck === 'ok' ? html`<span class="badge ok">recomputed ✓</span>` : b.stateRootCheck === 'mismatch' ? html`<span class="badge bad">recomputed root differs</span>` : ''}`,
    ],
    ['Data hash', html`<span class="mono">${String(b.header.dataHash)}</span>`],
    [
      'Commit certificate',
      cert
        ? html`round ${cert.round}, ${cert.signers.length} validator signatures<br><span class="mono muted">${cert.signers.join(', ')}</span>`
        : html`<span class="muted">not provided</span>`,
    ],
    ['L1 batch', html`<a href="/batch/${b.height}">batch ${b.height}</a> ${batchBadge(batch, ctx)}`],
  ]);
  return layout(
    `Block ${b.height}`,
    'block',
    html`<h1>Block ${b.height}</h1>${panel('Overview', details)}${panel(`Transactions (${b.txCount})`, html`${table(['Hash', 'Type', ['From → to', 'hide-sm'], ['Amount', 'num']], txRows(txs.items, ctx.assets, false), 'block-txs', 'This block has no transactions.')}${pager(txs.nextCursor, `/block/${b.height}`, hadCursor)}`)}`,
    ctx,
  );
}

function steps(current: string, order: { stage: string; label: string }[]): Html {
  const at = order.findIndex((s) => s.stage === current);
  return html`<ol class="steps">${order.map((s, i) => html`<li data-step="${s.stage}" class="${i <= at ? 'done' : ''}">${s.label}</li>`)}</ol>`;
}

const hiddenSender = (ringSize: number | undefined) => `hidden (ring of ${ringSize ?? '?'} notes)`;

/**
 * The sender of a private transfer or unshield: a ring of notes, none singled out. Ring members
 * are shown as note indices only (never the accounts that once shielded them).
 */
function ringDetails(
  tx: Record<string, unknown>,
  keyImageTag: string | undefined,
): [string, Interpolation][] {
  const ring = Array.isArray(tx.ring) ? tx.ring.filter((m): m is number => typeof m === 'number') : [];
  return [
    [
      'Sender',
      html`<span class="badge" data-field="sender">${hiddenSender(ring.length)}</span> the spent note is one of these ${ring.length} notes of the same asset and value; only the regulator can tell which`,
    ],
    ['Ring (note indices)', html`<span class="mono" data-field="ring">${ring.join(', ')}</span>`],
    [
      'Key-image tag',
      html`<span class="mono" data-field="key-image">${keyImageTag ?? '–'}</span> <span class="muted">(a second spend of the same note would repeat it)</span>`,
    ],
  ];
}

function noteLine(index: number | undefined, commitment: string | undefined): Html {
  return index === undefined
    ? html`<span class="muted">–</span>`
    : html`note ${index} <span class="muted">· commitment</span> <span class="mono">${commitment ?? ''}</span>`;
}

function pointText(p: unknown): Html {
  return Array.isArray(p)
    ? html`<span class="mono">${String(p[0])}<br>${String(p[1])}</span>`
    : html`<span class="muted">–</span>`;
}

export function txPage(v: TxView, ctx: PageContext): Html {
  const stepsOrder = TX_STAGES;
  const tone = v.status === 'verified' ? 'ok' : v.status === 'pending' ? 'warn' : '';
  if (!v.tx) {
    const p = v.pending!;
    const body = kv([
      ['Hash', html`<span class="mono">${p.hash}</span>`],
      ['Status', badge(v.statusLabel, 'warn')],
      ['Type', typeof p.tx.type === 'number' ? txTypeName(p.tx.type) : '?'],
      ...(p.tx.type === TxType.PRIVATE_TRANSFER || p.tx.type === TxType.UNSHIELD
        ? ringDetails(p.tx, typeof p.tx.keyImageTag === 'string' ? p.tx.keyImageTag : undefined)
        : []),
      ...(p.tx.type === TxType.UNSHIELD
        ? ([['To', acctLink(Number(p.tx.to))]] as [string, Interpolation][])
        : []),
    ]);
    return layout(
      'Pending transaction',
      'tx',
      html`<h1>Transaction</h1><div data-refresh="/api/txs/${p.hash}" data-state="pending" data-steps="${stepsOrder.map((s) => s.stage).join(' ')}">${panel('Status', steps('pending', stepsOrder))}${panel('Overview', body)}</div>`,
      ctx,
    );
  }
  const t = v.tx;
  const asset = ctx.assets.get(t.assetId ?? -1);
  const rows: [string, Interpolation][] = [
    ['Hash', html`<span class="mono">${t.hash}</span>`],
    ['Status', badge(v.statusLabel, tone)],
    ['Type', t.typeName],
    [
      'Block',
      html`${blockLink(t.height)} · position ${t.index} · <span data-ts="${t.timestamp}">${timeAgo(t.timestamp)}</span>`,
    ],
  ];
  switch (t.type) {
    case TxType.REGISTER:
      rows.push(
        ['New account', acctLink(t.to)],
        ['Ethereum address', addrLink(String(t.tx.ethAddress ?? ''), true)],
        ['Token', tokenLink(t.assetId, ctx.assets)],
      );
      break;
    case TxType.TRANSFER:
      rows.push(
        ['From', acctLink(t.from)],
        ['To', acctLink(t.to)],
        ['Amount', formatAmount(t.amount, asset)],
        ['Nonce', String(t.tx.nonce ?? '')],
      );
      break;
    case TxType.DEPOSIT:
      rows.push(
        ['L1 depositor', addrLink(t.depositor, true)],
        ['To account', acctLink(t.to)],
        ['Amount', formatAmount(t.amount, asset)],
        ['L1 queue index', String(t.tx.queueIndex ?? '')],
      );
      break;
    case TxType.WITHDRAW:
      rows.push(
        ['From', acctLink(t.from)],
        ['Amount', formatAmount(t.amount, asset)],
        ['Nonce', String(t.tx.nonce ?? '')],
      );
      break;
    case TxType.SHIELD:
      rows.push(
        ['From', acctLink(t.from)],
        ['Amount', formatAmount(t.amount, asset)],
        ['Nonce', String(t.tx.nonce ?? '')],
        ['Note created', noteLine(t.noteIndex, t.noteCommitment)],
        ['Observer epoch', String(t.tx.observerEpoch ?? '')],
      );
      break;
    case TxType.PRIVATE_TRANSFER:
      rows.push(
        ...ringDetails(t.tx, t.keyImageTag),
        ['Amount', formatAmount(t.amount, asset)],
        ['Note created', noteLine(t.noteIndex, t.noteCommitment)],
        ['Observer epoch', String(t.tx.observerEpoch ?? '')],
      );
      break;
    case TxType.UNSHIELD:
      rows.push(
        ...ringDetails(t.tx, t.keyImageTag),
        ['To', acctLink(t.to)],
        ['Amount', formatAmount(t.amount, asset)],
        ['Observer epoch', String(t.tx.observerEpoch ?? '')],
      );
      break;
    case TxType.OBSERVER_KEY:
      rows.push(['Epoch', t.epoch ?? ''], ['Observer key', pointText(t.tx.key)]);
      break;
  }
  const o = t.outcome;
  if (o.kind === 'refunded')
    rows.push(['Outcome', html`<span class="badge warn">refunded on L1</span> ${o.reason}`]);
  if (o.kind === 'uninterpreted') rows.push(['Outcome', html`<span class="muted">${o.reason}</span>`]);
  if (v.exit)
    rows.push([
      'L1 exit',
      html`${formatAmount(v.exit.amount, ctx.assets.get(v.exit.assetId))} to ${addrLink(v.exit.recipient)} · <span class="badge ${v.exit.status === 'claimed' ? 'ok' : ''}">${v.exit.statusLabel}</span>`,
    ]);
  const l1 = ctx.l1Enabled
    ? kv([
        ['Batch', html`<a href="/batch/${t.height}">batch ${t.height}</a>`],
        ['L1 commit tx', l1Link(v.batch?.commit, ctx, 'commit-tx')],
        ['L1 verify tx', l1Link(v.batch?.verify, ctx, 'verify-tx')],
      ])
    : html`<div class="empty">L1 tracking is not configured for this explorer.</div>`;
  return layout(
    `Transaction ${shortHash(t.hash)}`,
    'tx',
    html`<h1>Transaction</h1><div data-refresh="/api/txs/${t.hash}" data-state="${v.status}" data-steps="${stepsOrder.map((s) => s.stage).join(' ')}">${panel('Status', steps(v.status, stepsOrder))}${panel('Overview', kv(rows))}${panel('On L1', l1)}</div>`,
    ctx,
  );
}

function historyRows(entries: HistoryEntry[], assets: Assets): Html[] {
  return entries.map((e) => {
    const asset = assets.get(e.assetId);
    const delta = BigInt(e.delta);
    return html`<tr><td>${txLink(e.txHash)}</td><td>${e.typeName}</td><td class="hide-sm">${e.role}${e.counterparty ? html` · <span class="muted">${/^[0-9]+$/.test(e.counterparty) ? `#${e.counterparty}` : shortHash(e.counterparty, 6)}</span>` : ''}</td><td class="num">${delta > 0n ? '+' : ''}${formatAmount(delta, asset)}</td><td class="num hide-sm">${formatAmount(e.balanceAfter, asset)}</td><td class="hide-sm">${blockLink(e.height)}</td></tr>`;
  });
}

export function accountPage(
  a: AccountRecord,
  history: Page<HistoryEntry>,
  hadCursor: boolean,
  siblings: AccountRecord[],
  ctx: PageContext,
): Html {
  const asset = ctx.assets.get(a.assetId);
  const details = kv([
    ['Account', `#${a.index}`],
    ['Balance', html`<strong data-field="balance">${formatAmount(a.balance, asset)}</strong>`],
    ['Token', tokenLink(a.assetId, ctx.assets)],
    ['Ethereum address', addrLink(a.ethAddress, true)],
    [
      'Type',
      html`${ACCOUNT_TYPES[a.accountType] ?? a.accountType} · KYC level ${a.kycLevel}${a.flags & 1 ? html` · <span class="badge bad">banned</span>` : ''}`,
    ],
    ['Nonce', a.nonce],
    ['Public key', html`<span class="mono">${a.publicKey[0]}<br>${a.publicKey[1]}</span>`],
    ['Created', html`block ${blockLink(a.createdHeight)} · ${txLink(a.createdTx)}`],
    ['Transactions', String(a.txCount)],
  ]);
  const others = siblings.filter((s) => s.index !== a.index);
  const balances = others.length
    ? panel(
        'Other balances of this address',
        table(
          ['Account', 'Token', ['Balance', 'num']],
          others.map(
            (s) =>
              html`<tr><td>${acctLink(s.index)}</td><td>${tokenLink(s.assetId, ctx.assets)}</td><td class="num">${formatAmount(s.balance, ctx.assets.get(s.assetId))}</td></tr>`,
          ),
        ),
      )
    : '';
  return layout(
    `Account #${a.index}`,
    'account',
    html`<h1>Account #${a.index}</h1>${panel('Overview', details)}${balances}${panel('History', html`${table(['Transaction', 'Type', ['Role', 'hide-sm'], ['Change', 'num'], ['Balance after', 'num hide-sm'], ['Block', 'hide-sm']], historyRows(history.items, ctx.assets), 'history', 'No transactions yet.')}${pager(history.nextCursor, `/account/${a.index}`, hadCursor)}`, html`<a href="/api/accounts/${a.index}/history.csv" download>CSV export</a>`)}`,
    ctx,
  );
}

function depositRows(ds: DepositView[], ctx: PageContext): Html[] {
  return ds.map(
    (d) =>
      html`<tr><td>${d.queueIndex}</td><td>${addrLink(d.depositor)}</td><td>${acctLink(d.to)}</td><td class="num">${formatAmount(d.amount, ctx.assets.get(d.assetId ?? -1))}</td><td><span class="badge ${d.status === 'in flight' ? 'warn' : d.status === 'credited' ? 'ok' : ''}">${d.statusLabel}</span></td><td class="hide-sm">${d.l2 ? txLink(d.l2.txHash) : d.l1 ? html`<span class="mono">${shortHash(d.l1.tx)}</span> (L1)` : ''}</td></tr>`,
  );
}
const DEPOSIT_HEADERS: (string | [string, string])[] = [
  'Queue #',
  'Depositor',
  'To',
  ['Amount', 'num'],
  'Status',
  ['Transaction', 'hide-sm'],
];

function exitRows(es: ExitView[], ctx: PageContext): Html[] {
  return es.map(
    (e) =>
      html`<tr><td>${blockLink(e.height)}·${e.j}</td><td>${e.kind}</td><td>${addrLink(e.recipient)}</td><td class="num">${formatAmount(e.amount, ctx.assets.get(e.assetId))}</td><td><span class="badge ${e.status === 'claimed' ? 'ok' : e.status === 'claimable' ? '' : 'warn'}">${e.statusLabel}</span></td><td class="hide-sm">${txLink(e.txHash)}</td></tr>`,
  );
}
const EXIT_HEADERS: (string | [string, string])[] = [
  'Batch·exit',
  'Kind',
  'Recipient',
  ['Amount', 'num'],
  'Status',
  ['L2 tx', 'hide-sm'],
];

export function addressPage(
  address: string,
  accounts: AccountRecord[],
  bridge: { deposits: DepositView[]; exits: ExitView[] },
  ctx: PageContext,
): Html {
  const rows = accounts.map(
    (a) =>
      html`<tr><td>${acctLink(a.index)}</td><td>${tokenLink(a.assetId, ctx.assets)}</td><td class="num">${formatAmount(a.balance, ctx.assets.get(a.assetId))}</td><td class="num hide-sm">${a.txCount}</td></tr>`,
  );
  return layout(
    `Address ${shortHash(address, 6)}`,
    'address',
    html`<h1>Address <span class="mono">${address}</span></h1>${panel('L2 accounts and balances', table(['Account', 'Token', ['Balance', 'num'], ['Txs', 'num hide-sm']], rows, 'address-accounts', 'No L2 account is bound to this address.'))}${panel('Deposits from this address', table(DEPOSIT_HEADERS, depositRows(bridge.deposits, ctx), undefined, 'None.'))}${panel('Withdrawals and refunds to this address', table(EXIT_HEADERS, exitRows(bridge.exits, ctx), undefined, 'None.'))}`,
    ctx,
  );
}

export function tokensPage(assets: AssetRecord[], ctx: PageContext): Html {
  const rows = assets.map(
    (a) =>
      html`<tr><td><a href="/token/${a.assetId}">${a.symbol}</a></td><td class="num">${a.assetId}</td><td class="num">${formatAmount(a.supply, a)}</td><td class="num">${a.holders}</td><td class="num hide-sm">${a.accounts}</td></tr>`,
  );
  return layout(
    'Tokens',
    'tokens',
    html`<h1>Tokens</h1>${panel('Assets on L2', table(['Token', ['Id', 'num'], ['Supply on L2', 'num'], ['Holders', 'num'], ['Accounts', 'num hide-sm']], rows, 'tokens', 'No assets.'))}`,
    ctx,
  );
}

export function tokenPage(
  a: AssetRecord,
  holders: Page<AccountRecord>,
  hadCursor: boolean,
  ctx: PageContext,
): Html {
  const supply = BigInt(a.supply);
  const details = kv([
    ['Symbol', a.symbol],
    ['Asset id', String(a.assetId)],
    ['Decimals', String(a.decimals)],
    ['Supply on L2', html`<strong>${formatAmount(a.supply, a)}</strong>`],
    ['Max supply', formatAmount(a.maxSupply, a)],
    ['Holders', String(a.holders)],
    ['Accounts', String(a.accounts)],
    ['Deposited from L1', formatAmount(a.deposited, a)],
    ['Withdrawn to L1', formatAmount(a.withdrawn, a)],
    ['Transfers', String(a.transfers)],
    ['In private notes', formatAmount(a.inNotes ?? '0', a)],
    ['Private transfers', String(a.privateTransfers ?? 0)],
  ]);
  const rows = holders.items.map((h) => {
    const share = supply > 0n ? Number((BigInt(h.balance) * 10000n) / supply) / 100 : 0;
    return html`<tr><td>${acctLink(h.index)}</td><td class="hide-sm">${addrLink(h.ethAddress)}</td><td class="num">${formatAmount(h.balance, a)}</td><td class="num">${share.toFixed(2)}%</td></tr>`;
  });
  return layout(
    a.symbol,
    'token',
    html`<h1>${a.symbol}</h1>${panel('Overview', details)}${panel('Holders', html`${table(['Account', ['Address', 'hide-sm'], ['Balance', 'num'], ['Share', 'num']], rows, 'holders', 'No holders yet.')}${pager(holders.nextCursor, `/token/${a.assetId}`, hadCursor)}`, 'largest first')}`,
    ctx,
  );
}

export function batchesPage(page: Page<BatchView>, hadCursor: boolean, ctx: PageContext): Html {
  const rows = page.items.map(
    (b) =>
      html`<tr><td><a href="/batch/${b.height}">${b.height}</a></td><td class="num">${b.txCount ?? '–'}</td><td>${batchBadge(b, ctx)}</td><td class="mono hide-sm">${b.commit ? shortHash(b.commit.tx) : '–'}</td><td class="mono hide-sm">${b.verify ? shortHash(b.verify.tx) : '–'}</td></tr>`,
  );
  return layout(
    'Batches',
    'batches',
    html`<h1>L1 batches</h1>${ctx.l1Enabled ? '' : html`<p class="notice">L1 tracking is not configured: batches show L2 data only.</p>`}${panel('One batch per L2 block, newest first', html`${table(['Batch', ['Txs', 'num'], 'Status', ['Commit tx', 'hide-sm'], ['Verify tx', 'hide-sm']], rows, 'batches')}${pager(page.nextCursor, '/batches', hadCursor)}`)}`,
    ctx,
  );
}

export function batchPage(b: BatchView, ctx: PageContext): Html {
  const order = [
    { stage: 'pending', label: 'Block committed on L2' },
    { stage: 'committed', label: 'Data committed on L1' },
    { stage: 'verified', label: 'Proof verified on L1' },
  ];
  const details = kv([
    ['Batch', b.height],
    ['Status', batchBadge(b, ctx)],
    [
      'L2 block',
      b.blockHash
        ? html`${blockLink(b.height)} · <span class="mono">${b.blockHash}</span>`
        : html`<span class="muted">not indexed yet</span>`,
    ],
    ['Transactions', b.txCount === undefined ? '–' : String(b.txCount)],
    ['L1 commit tx', l1Link(b.commit, ctx, 'commit-tx')],
    ['L1 verify tx', l1Link(b.verify, ctx, 'verify-tx')],
    [
      'Proof',
      b.verify
        ? 'Groth16 proof accepted by the rollup contract'
        : b.commit
          ? 'awaiting proof'
          : 'not submitted',
    ],
  ]);
  return layout(
    `Batch ${b.height}`,
    'batch',
    html`<h1>Batch ${b.height}</h1><div data-refresh="/api/batches/${b.height}" data-state="${b.status}" data-steps="pending committed verified">${panel('Status', steps(b.status, order))}${panel('Overview', details)}</div>`,
    ctx,
  );
}

export function bridgePage(
  depIn: Page<DepositView>,
  exitIn: Page<ExitView>,
  recentDeps: Page<DepositView>,
  recentExits: Page<ExitView>,
  ctx: PageContext,
): Html {
  return layout(
    'Bridge',
    'bridge',
    html`<h1>Deposits and withdrawals</h1>${ctx.l1Enabled ? '' : html`<p class="notice">L1 tracking is not configured: deposits appear once included on L2, withdrawals stay "awaiting proof".</p>`}
${panel('Deposits in flight', html`${table(DEPOSIT_HEADERS, depositRows(depIn.items, ctx), 'deposits-in-flight', 'No deposit waiting for L2.')}${depIn.nextCursor ? html`<div class="pager"><a href="/api/deposits?inflight=1&cursor=${depIn.nextCursor}">More (JSON)</a></div>` : ''}`)}
${panel('Withdrawals in flight', html`${table(EXIT_HEADERS, exitRows(exitIn.items, ctx), 'withdrawals-in-flight', 'No withdrawal waiting.')}${exitIn.nextCursor ? html`<div class="pager"><a href="/api/withdrawals?inflight=1&cursor=${exitIn.nextCursor}">More (JSON)</a></div>` : ''}`)}
<div class="grid2">
${panel('Recent deposits', table(DEPOSIT_HEADERS, depositRows(recentDeps.items, ctx), undefined, 'None yet.'))}
${panel('Recent withdrawals', table(EXIT_HEADERS, exitRows(recentExits.items, ctx), undefined, 'None yet.'))}
</div>`,
    ctx,
  );
}

export function choicesPage(
  query: string,
  choices: { label: string; url: string }[],
  ctx: PageContext,
): Html {
  return layout(
    'Search',
    'search',
    html`<div class="error-page"><h1>“${query}” matches more than one thing</h1><ul class="choices">${choices.map((c) => html`<li><a href="${c.url}">${c.label}</a></li>`)}</ul><p class="muted">Tip: <span class="mono">#${query}</span> always means the account.</p></div>`,
    { ...ctx, query },
  );
}
