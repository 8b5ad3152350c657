import type { Hex } from '@tessera/core';
import { BadRequestError, NotFoundError, PageOutOfRangeError } from '../errors.ts';
import type { Indexer } from '../indexer/indexer.ts';
import { publicTxFields, txTypeName } from '../indexer/ledger.ts';
import { type ExplorerDb, type Page, decodeJson } from '../store/db.ts';
import { Keys, U32_WIDTH } from '../store/keys.ts';
import type {
  AccountRecord,
  AssetRecord,
  BatchRecord,
  BlockRecord,
  DepositRecord,
  ExitRecord,
  HistoryEntry,
  IndexMeta,
  KeyImageRecord,
  ObserverKeyRecord,
  TxRecord,
  TxSummary,
} from '../store/records.ts';

export type TxStage = 'pending' | 'committed' | 'l1-committed' | 'verified';
export const TX_STAGES: { stage: TxStage; label: string }[] = [
  { stage: 'pending', label: 'Pending in mempool' },
  { stage: 'committed', label: 'Committed on L2' },
  { stage: 'l1-committed', label: 'Committed on L1' },
  { stage: 'verified', label: 'Proven on L1' },
];
export const stageLabel = (s: TxStage) => TX_STAGES.find((x) => x.stage === s)!.label;

export type BatchStatus = 'pending' | 'committed' | 'verified';
export const BATCH_LABELS: Record<BatchStatus, string> = {
  pending: 'Awaiting L1 commit',
  committed: 'Committed, awaiting proof',
  verified: 'Verified on L1',
};

export type BatchView = BatchRecord & { status: BatchStatus; statusLabel: string };
export type TxView = {
  tx: TxRecord | null;
  /** Sequencer's answer for a transaction not in an indexed block yet. */
  pending: { hash: Hex; tx: Record<string, unknown>; status: string; blockHeight?: string } | null;
  status: TxStage;
  statusLabel: string;
  batch: BatchView | null;
  exit: ExitView | null;
};
export type DepositView = DepositRecord & {
  status: 'in flight' | 'credited' | 'refunded' | 'reclaimed';
  statusLabel: string;
};
export type ExitView = ExitRecord & {
  status: 'awaiting proof' | 'claimable' | 'claimed';
  statusLabel: string;
};

export type SearchResult =
  | { kind: 'redirect'; url: string }
  | { kind: 'choices'; query: string; choices: { label: string; url: string }[] };

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HEIGHT_RE = /^(0|[1-9][0-9]{0,19})$/;
const INDEX_RE = /^(0|[1-9][0-9]{0,9})$/;

export function parseHeight(raw: string): bigint {
  if (!HEIGHT_RE.test(raw) || BigInt(raw) >= 1n << 64n)
    throw new BadRequestError(`"${raw}" is not a block number`);
  return BigInt(raw);
}
export function parseIndex(raw: string, what = 'account index'): number {
  if (!INDEX_RE.test(raw) || Number(raw) > 0xffffffff)
    throw new BadRequestError(`"${raw}" is not a valid ${what}`);
  return Number(raw);
}
export function parseHash(raw: string): Hex {
  if (!HASH_RE.test(raw)) throw new BadRequestError(`"${raw}" is not a 32-byte 0x-hex hash`);
  return raw.toLowerCase() as Hex;
}
export function parseAddress(raw: string): Hex {
  if (!ADDRESS_RE.test(raw)) throw new BadRequestError(`"${raw}" is not a 20-byte 0x-hex Ethereum address`);
  return raw.toLowerCase() as Hex;
}

/** Read side of the explorer: everything the pages and the JSON API show. */
export class Queries {
  constructor(
    readonly db: ExplorerDb,
    readonly indexer: Indexer,
  ) {}

  status() {
    return this.indexer.status();
  }

  async assets(): Promise<AssetRecord[]> {
    const out: AssetRecord[] = [];
    for await (const [, a] of this.db.all<AssetRecord>(Keys.assets)) out.push(a);
    return out;
  }

  async asset(assetId: number): Promise<AssetRecord | undefined> {
    return this.db.get<AssetRecord>(Keys.asset(assetId));
  }

  blocks(cursor: string | undefined, limit: number): Promise<Page<BlockRecord>> {
    return this.db.page<BlockRecord>(Keys.blocks, cursor, limit);
  }

  /** By height or hash. */
  async block(id: string): Promise<BlockRecord> {
    let height: bigint;
    if (id.startsWith('0x')) {
      const h = await this.db.get<string>(Keys.blockByHash(parseHash(id)));
      if (h === undefined) throw new NotFoundError(`No block with hash ${id} has been indexed.`);
      height = BigInt(h);
    } else {
      height = parseHeight(id);
    }
    const block = await this.db.get<BlockRecord>(Keys.block(height));
    if (!block) {
      const indexed = this.indexer.ledger.height;
      throw new NotFoundError(
        indexed === undefined
          ? `Block ${height} is not indexed yet (nothing indexed so far).`
          : `Block ${height} does not exist yet: the latest indexed block is ${indexed}.`,
      );
    }
    return block;
  }

  /** A block's transactions, paged by position (cursor = index of the next transaction). */
  async blockTxs(block: BlockRecord, cursor: string | undefined, limit: number): Promise<Page<TxSummary>> {
    let start = 0;
    if (cursor !== undefined) {
      if (!/^[0-9]{1,6}$/.test(cursor))
        throw new BadRequestError(`"${cursor}" is not a valid page cursor`, 'INVALID_CURSOR');
      start = Number(cursor);
      if (start >= block.txHashes.length)
        throw new PageOutOfRangeError(
          `Block ${block.height} has ${block.txHashes.length} transactions; this page starts after them.`,
        );
    }
    const hashes = block.txHashes.slice(start, start + limit);
    const items = await Promise.all(
      hashes.map(async (h) => summaryOf((await this.db.get<TxRecord>(Keys.tx(h)))!)),
    );
    const next = start + limit < block.txHashes.length ? String(start + limit) : null;
    return { items, nextCursor: next };
  }

  txs(cursor: string | undefined, limit: number): Promise<Page<TxSummary>> {
    return this.db.page<TxSummary>(Keys.txs, cursor, limit);
  }

  async batch(height: bigint): Promise<BatchView> {
    const rec = await this.db.get<BatchRecord>(Keys.batch(height));
    if (!rec)
      throw new NotFoundError(
        `No batch ${height}: every L2 block is one L1 batch, and block ${height} is not indexed.`,
      );
    return batchView(rec);
  }

  async batches(cursor: string | undefined, limit: number): Promise<Page<BatchView>> {
    return this.db.page(Keys.batches, cursor, limit, (_k, v) => batchView(decodeJson<BatchRecord>(v)));
  }

  async tx(hashRaw: string): Promise<TxView> {
    const hash = parseHash(hashRaw);
    const rec = await this.db.get<TxRecord>(Keys.tx(hash));
    if (rec) {
      const batchRec = await this.db.get<BatchRecord>(Keys.batch(BigInt(rec.height)));
      const batch = batchRec ? batchView(batchRec) : null;
      const status: TxStage =
        batch?.status === 'verified'
          ? 'verified'
          : batch?.status === 'committed'
            ? 'l1-committed'
            : 'committed';
      const exitIndex = 'exitIndex' in rec.outcome ? rec.outcome.exitIndex : undefined;
      const exit = exitIndex !== undefined ? await this.exit(BigInt(rec.height), exitIndex) : null;
      return { tx: rec, pending: null, status, statusLabel: stageLabel(status), batch, exit };
    }
    let remote: {
      hash: Hex;
      tx: Record<string, unknown>;
      status: string;
      blockHeight?: string | number;
    } | null = null;
    try {
      remote = await this.indexer.pool.call('tessera_getTransaction', [hash]);
    } catch {
      remote = null; // sequencer unreachable: answer from the index alone
    }
    if (!remote)
      throw new NotFoundError(`No transaction with hash ${hash} is known to the explorer or the sequencer.`);
    return {
      tx: null,
      pending: {
        hash,
        tx: publicTxFields(remote.tx ?? {}),
        status: String(remote.status),
        blockHeight: remote.blockHeight?.toString(),
      },
      status: 'pending',
      statusLabel: remote.status === 'pending' ? stageLabel('pending') : 'Committed on L2 (indexing…)',
      batch: null,
      exit: null,
    };
  }

  /** Notes and spends so far and the observer keys by epoch (none of it names an owner). */
  async privacy(): Promise<{ notes: number; spent: number; observerKeys: ObserverKeyRecord[] }> {
    const meta = await this.db.get<IndexMeta>(Keys.meta);
    const observerKeys: ObserverKeyRecord[] = [];
    for await (const [, o] of this.db.all<ObserverKeyRecord>(Keys.observerKeys)) observerKeys.push(o);
    return { notes: meta?.privacy?.notes ?? 0, spent: meta?.privacy?.spent ?? 0, observerKeys };
  }

  /** Whether a key-image tag (decimal) is spent, and by which transaction. */
  async keyImage(raw: string): Promise<{ tag: string; spent: boolean; txHash?: Hex; height?: string }> {
    if (!/^(0|[1-9][0-9]{0,76})$/.test(raw))
      throw new BadRequestError(`"${raw}" is not a decimal key-image tag`);
    const rec = await this.db.get<KeyImageRecord>(Keys.keyImage(raw));
    return rec
      ? { tag: raw, spent: true, ...(rec.txHash ? { txHash: rec.txHash } : {}), height: rec.height }
      : { tag: raw, spent: false };
  }

  async account(index: number): Promise<AccountRecord> {
    const rec = await this.db.get<AccountRecord>(Keys.account(index));
    if (!rec) throw new NotFoundError(`Account ${index} does not exist (or is not indexed yet).`);
    return rec;
  }

  history(index: number, cursor: string | undefined, limit: number): Promise<Page<HistoryEntry>> {
    return this.db.page<HistoryEntry>(Keys.history(index), cursor, limit);
  }

  async *allHistory(index: number): AsyncIterable<HistoryEntry> {
    for await (const [, e] of this.db.all<HistoryEntry>(Keys.history(index))) yield e;
  }

  async accountsOf(address: Hex): Promise<AccountRecord[]> {
    const out: AccountRecord[] = [];
    for await (const [key] of this.db.kv.entries(Keys.addressAccounts(address))) {
      const index = Number(key.slice(-U32_WIDTH));
      const rec = await this.db.get<AccountRecord>(Keys.account(index));
      if (rec) out.push(rec);
    }
    return out;
  }

  async holders(assetId: number, cursor: string | undefined, limit: number): Promise<Page<AccountRecord>> {
    return this.db.page(
      Keys.holders(assetId),
      cursor,
      limit,
      async (key) => (await this.db.get<AccountRecord>(Keys.account(Number(key.slice(-U32_WIDTH)))))!,
    );
  }

  private async exit(height: bigint, j: number): Promise<ExitView | null> {
    const rec = await this.db.get<ExitRecord>(Keys.exit(height, j));
    return rec ? this.exitView(rec) : null;
  }

  private async exitView(rec: ExitRecord): Promise<ExitView> {
    if (rec.claim) return { ...rec, status: 'claimed', statusLabel: 'Claimed on L1' };
    const batch = await this.db.get<BatchRecord>(Keys.batch(BigInt(rec.height)));
    return batch?.verify
      ? { ...rec, status: 'claimable', statusLabel: 'Claimable on L1' }
      : { ...rec, status: 'awaiting proof', statusLabel: 'Awaiting batch proof' };
  }

  async deposits(inflight: boolean, cursor: string | undefined, limit: number): Promise<Page<DepositView>> {
    if (inflight) {
      return this.db.page(Keys.depositsInFlight, cursor, limit, async (key) =>
        depositView(
          (await this.db.get<DepositRecord>(Keys.deposit(BigInt(key.slice(Keys.depositsInFlight.length)))))!,
        ),
      );
    }
    return this.db.page(Keys.deposits, cursor, limit, (_k, v) => depositView(decodeJson<DepositRecord>(v)));
  }

  async withdrawals(inflight: boolean, cursor: string | undefined, limit: number): Promise<Page<ExitView>> {
    if (inflight) {
      return this.db.page(Keys.exitsInFlight, cursor, limit, async (key) => {
        const [, h, j] = key.split(':');
        return this.exitView((await this.db.get<ExitRecord>(Keys.exit(BigInt(h!), Number(j))))!);
      });
    }
    return this.db.page(Keys.exits, cursor, limit, (_k, v) => this.exitView(decodeJson<ExitRecord>(v)));
  }

  /** Deposits from and exits to one Ethereum address (scans; fine for an address page). */
  async bridgeActivity(address: Hex, max = 50): Promise<{ deposits: DepositView[]; exits: ExitView[] }> {
    const deposits: DepositView[] = [];
    for await (const [, d] of this.db.all<DepositRecord>(Keys.deposits)) {
      if (d.depositor?.toLowerCase() === address) deposits.push(depositView(d));
      if (deposits.length >= max) break;
    }
    const exits: ExitView[] = [];
    for await (const [, e] of this.db.all<ExitRecord>(Keys.exits)) {
      if (e.recipient.toLowerCase() === address) exits.push(await this.exitView(e));
      if (exits.length >= max) break;
    }
    return { deposits, exits };
  }

  /** Block number, block or transaction hash, account index (`#12` forces one) or address. */
  async search(raw: string | undefined): Promise<SearchResult> {
    const q = (raw ?? '').trim();
    const malformed = () =>
      new BadRequestError(
        q === ''
          ? 'Type a block number, a block or transaction hash, an account index or an Ethereum address.'
          : `"${q.slice(0, 120)}" is not a block number, a hash, an account index or an Ethereum address.`,
        'MALFORMED_SEARCH',
      );
    if (q === '' || q.length > 100) throw malformed();
    if (/^#[0-9]+$/.test(q)) {
      const index = parseIndex(q.slice(1));
      await this.account(index);
      return { kind: 'redirect', url: `/account/${index}` };
    }
    if (/^[0-9]+$/.test(q)) {
      if (!HEIGHT_RE.test(q)) throw malformed();
      const n = BigInt(q);
      const block = await this.db.has(Keys.block(n));
      const account = n <= 0xffffffffn && (await this.db.has(Keys.account(Number(n))));
      if (block && account) {
        return {
          kind: 'choices',
          query: q,
          choices: [
            { label: `Block ${n}`, url: `/block/${n}` },
            { label: `Account #${n}`, url: `/account/${n}` },
          ],
        };
      }
      if (block) return { kind: 'redirect', url: `/block/${n}` };
      if (account) return { kind: 'redirect', url: `/account/${n}` };
      throw new NotFoundError(
        `No block or account numbered ${n} yet (latest indexed block: ${this.indexer.ledger.height ?? 'none'}).`,
      );
    }
    if (HASH_RE.test(q)) {
      const hash = q.toLowerCase();
      if (await this.db.has(Keys.tx(hash))) return { kind: 'redirect', url: `/tx/${hash}` };
      if (await this.db.has(Keys.blockByHash(hash))) return { kind: 'redirect', url: `/block/${hash}` };
      await this.tx(hash); // pending on the sequencer, or NotFound
      return { kind: 'redirect', url: `/tx/${hash}` };
    }
    if (ADDRESS_RE.test(q)) return { kind: 'redirect', url: `/address/${q.toLowerCase()}` };
    throw malformed();
  }
}

export function summaryOf(rec: TxRecord): TxSummary {
  const { seq: _s, blockHash: _b, tx: _t, outcome: _o, ...summary } = rec;
  return summary;
}

function batchView(rec: BatchRecord): BatchView {
  const status: BatchStatus = rec.verify ? 'verified' : rec.commit ? 'committed' : 'pending';
  return { ...rec, status, statusLabel: BATCH_LABELS[status] };
}

function depositView(rec: DepositRecord): DepositView {
  if (rec.reclaimed && !rec.l2)
    return { ...rec, status: 'reclaimed', statusLabel: 'Reclaimed on L1 (never included)' };
  if (!rec.l2) return { ...rec, status: 'in flight', statusLabel: 'Queued on L1, not yet on L2' };
  return rec.l2.credited
    ? { ...rec, status: 'credited', statusLabel: 'Credited on L2' }
    : { ...rec, status: 'refunded', statusLabel: `Refunded: ${rec.l2.reason ?? ''}` };
}

export { txTypeName };
