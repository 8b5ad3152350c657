import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { BlockRejectedError, RpcCallError } from '../errors.ts';
import type { ExplorerDb } from '../store/db.ts';
import { Keys } from '../store/keys.ts';
import type { BlockRecord, TxSummary } from '../store/records.ts';
import { ClusterMonitor, type NodeHealth } from './cluster.ts';
import { type L1Options, type L1Status, L1Watcher } from './l1.ts';
import type { L1Event } from './l1Abi.ts';
import { type IndexedBlock, Ledger, type LedgerOptions } from './ledger.ts';
import { RpcPool } from './rpc.ts';
import { BlockSubscription } from './subscription.ts';

export type IndexerOptions = {
  rpcUrls: string[];
  /** Defaults to each RPC endpoint's `/ws`. */
  wsUrls?: string[];
  /** Poll interval; WebSocket notifications wake the indexer earlier. */
  pollMs?: number;
  /** Blocks fetched in parallel while catching up. */
  fetchConcurrency?: number;
  clusterPollMs?: number;
  ledger?: LedgerOptions;
  l1?: L1Options;
  log?: Logger;
};

export type IndexerStatus = {
  chainId: string | null;
  indexedHeight: string | null;
  headHeight: string | null;
  /** head − indexed, in blocks. */
  lag: string | null;
  tps: number;
  endpoint: string;
  subscribedTo: string | null;
  failovers: number;
  lastError: string | null;
  cluster: NodeHealth[];
  l1: L1Status | { enabled: false };
};

export type BlockEvent = {
  block: Pick<BlockRecord, 'height' | 'hash' | 'timestamp' | 'txCount'>;
  txs: TxSummary[];
};

const TPS_WINDOW_MS = 10_000;

/** Block timestamps are milliseconds (core); accept seconds too. */
export function timestampMs(ts: string | bigint): number {
  const n = Number(ts);
  return n < 1e12 ? n * 1000 : n;
}

/**
 * Follows the sequencer cluster: polls `tessera_blockNumber`, fetches and indexes blocks in
 * order (parallel fetch, sequential apply), wakes up on `newBlocks` notifications, and keeps
 * the cluster monitor and L1 watcher running beside it. Emits `block`, `status` and `l1`.
 */
export class Indexer extends EventEmitter {
  readonly pool: RpcPool;
  readonly ledger: Ledger;
  readonly cluster: ClusterMonitor;
  readonly l1: L1Watcher | undefined;
  private readonly subscription: BlockSubscription;
  private head: bigint | undefined;
  private firstHeight: bigint | undefined;
  private heightAsNumber = false;
  private lastError: string | null = null;
  private readonly recent: { ts: number; txs: number }[] = [];
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private loopDone: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  blocksIndexed = 0;

  constructor(
    private readonly db: ExplorerDb,
    private readonly options: IndexerOptions,
  ) {
    super();
    this.setMaxListeners(0);
    const log = options.log;
    this.pool = new RpcPool(options.rpcUrls, log);
    this.ledger = new Ledger(db, options.ledger, log);
    this.cluster = new ClusterMonitor(this.pool.endpoints, options.clusterPollMs ?? 2_000);
    this.subscription = new BlockSubscription(
      options.wsUrls ?? this.pool.endpoints.map((e) => e.ws),
      (notice) => {
        if (notice.height !== undefined && (this.head === undefined || notice.height > this.head))
          this.head = notice.height;
        this.wake();
      },
      log,
    );
    this.l1 = options.l1 ? new L1Watcher(db, options.l1, (events) => this.onL1(events), log) : undefined;
  }

  async start(): Promise<void> {
    await this.ledger.load();
    for await (const [, b] of this.db.all<BlockRecord>(Keys.blocks)) {
      this.recent.push({ ts: timestampMs(b.timestamp), txs: b.txCount });
      if (this.recent.length >= 200) break;
    }
    this.recent.reverse();
    this.cluster.start();
    this.subscription.start();
    await this.l1?.start();
    this.loopDone = this.loop();
    this.statusTimer = setInterval(() => this.emit('status', this.status()), 1_000);
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.syncOnce();
        this.lastError = null;
      } catch (err) {
        const message = (err as Error).message;
        // Once per distinct problem, not once per poll while a node is down.
        if (message !== this.lastError) this.options.log?.warn({ err: message }, 'indexing paused');
        this.lastError = message;
      }
      if (this.stopped) break;
      if (this.wakePending) {
        this.wakePending = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.options.pollMs ?? 1_000);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private heightParam(h: bigint): string | number {
    return this.heightAsNumber ? Number(h) : h.toString();
  }

  private async getBlock(h: bigint): Promise<unknown> {
    try {
      return await this.pool.callAccepting<unknown>(
        'tessera_getBlockByNumber',
        [this.heightParam(h), true],
        (r) => r !== null,
      );
    } catch (err) {
      // Nodes that want a JSON number for heights below 2^53: switch once and retry.
      if (err instanceof RpcCallError && err.rpcCode === -32602 && !this.heightAsNumber) {
        this.heightAsNumber = true;
        return this.getBlock(h);
      }
      throw err;
    }
  }

  /** Index every block up to the current head. */
  async syncOnce(): Promise<void> {
    const reported = BigInt(await this.pool.call<string | number>('tessera_blockNumber'));
    const best = this.cluster.bestHeight;
    this.head = [reported, best ?? 0n, this.head ?? 0n].reduce((a, b) => (b > a ? b : a));
    let next = this.ledger.height !== undefined ? this.ledger.height + 1n : await this.startHeight(reported);
    const concurrency = BigInt(this.options.fetchConcurrency ?? 8);
    while (next <= reported && !this.stopped) {
      const count = reported - next + 1n < concurrency ? reported - next + 1n : concurrency;
      const heights = Array.from({ length: Number(count) }, (_, i) => next + BigInt(i));
      const blocks = await Promise.all(heights.map((h) => this.getBlock(h)));
      for (const raw of blocks) {
        if (raw === null || this.stopped) return;
        let indexed: IndexedBlock;
        try {
          indexed = await this.ledger.indexBlock(raw);
        } catch (err) {
          // A node serving a block that does not fit: ask another one next time.
          if (err instanceof BlockRejectedError) this.pool.benchCurrent();
          throw err;
        }
        this.blocksIndexed++;
        next++;
        this.recent.push({ ts: timestampMs(indexed.block.timestamp), txs: indexed.block.txCount });
        if (this.recent.length > 400) this.recent.splice(0, this.recent.length - 200);
        const { height, hash, timestamp, txCount } = indexed.block;
        this.emit('block', {
          block: { height, hash, timestamp, txCount },
          txs: indexed.txs.slice(-10).reverse(),
        } satisfies BlockEvent);
      }
    }
  }

  /**
   * The chain starts at block 0 or 1 depending on the node. Decided once the node has blocks,
   * so an explorer started before the first block cannot skip a block 0 that comes later.
   */
  private async startHeight(head: bigint): Promise<bigint> {
    if (this.firstHeight !== undefined) return this.firstHeight;
    const hasZero = (await this.getBlock(0n)) !== null;
    if (hasZero || head >= 1n) this.firstHeight = hasZero ? 0n : 1n;
    return hasZero ? 0n : 1n;
  }

  private onL1(events: L1Event[]): void {
    this.emit('l1', {
      events: events.map((e) => ({
        ...e,
        ...Object.fromEntries(
          Object.entries(e)
            .filter(([, v]) => typeof v === 'bigint')
            .map(([k, v]) => [k, String(v)]),
        ),
      })),
    });
  }

  /** Transactions per second over the last 10 s of block timestamps. */
  tps(now = Date.now()): number {
    let txs = 0;
    for (const r of this.recent) if (r.ts > now - TPS_WINDOW_MS && r.ts <= now + 1_000) txs += r.txs;
    return Math.round((txs / (TPS_WINDOW_MS / 1000)) * 10) / 10;
  }

  status(): IndexerStatus {
    const indexed = this.ledger.height;
    const head = this.head;
    const lag =
      head !== undefined
        ? indexed === undefined
          ? head + 1n - (this.firstHeight ?? 1n)
          : head - indexed
        : undefined;
    return {
      chainId: this.ledger.indexMeta?.chainId ?? null,
      indexedHeight: indexed?.toString() ?? null,
      headHeight: head?.toString() ?? null,
      lag: lag === undefined ? null : (lag < 0n ? 0n : lag).toString(),
      tps: this.tps(),
      endpoint: this.pool.current.base,
      subscribedTo: this.subscription.connectedTo ?? null,
      failovers: this.pool.failovers,
      lastError: this.lastError,
      cluster: this.cluster.nodes,
      l1: this.l1?.status ?? { enabled: false },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.wake();
    this.subscription.stop();
    await Promise.all([this.cluster.stop(), this.l1?.stop(), this.loopDone]);
  }
}
