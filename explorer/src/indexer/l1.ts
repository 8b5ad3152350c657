import type { Logger } from 'pino';
import { http, type Abi, type Hex, type Log, createPublicClient, decodeEventLog } from 'viem';
import { type ExplorerDb, del, putJson, putMarker } from '../store/db.ts';
import { Keys } from '../store/keys.ts';
import type { BatchRecord, DepositRecord, ExitRecord, L1Meta, L1Ref } from '../store/records.ts';
import { type L1Abis, type L1Event, normalizeL1Event, resolveL1Abis } from './l1Abi.ts';

export type L1Options = {
  rpcUrl: string;
  rollup: Hex;
  bridge: Hex;
  rollupAbi?: Abi;
  bridgeAbi?: Abi;
  /** First L1 block to scan (the contracts' deployment block). */
  fromBlock?: bigint;
  pollMs?: number;
  /** Blocks per eth_getLogs request. */
  chunk?: bigint;
  /** Link template for L1 transactions, `{hash}` replaced (e.g. an Etherscan URL). */
  txUrl?: string;
};

export type L1Status = {
  enabled: true;
  lastBlock: string | null;
  committedHead: string | null;
  verifiedHead: string | null;
  abiSource: string;
  error?: string;
};

/** Buffer of records touched while applying one chunk of logs, written in one batch. */
class Staged {
  private readonly values = new Map<string, unknown>();
  private readonly ops = new Map<string, 'put' | 'marker' | 'del'>();
  constructor(private readonly db: ExplorerDb) {}
  async get<T>(key: string): Promise<T | undefined> {
    if (this.values.has(key)) return this.values.get(key) as T | undefined;
    return this.db.get<T>(key);
  }
  put(key: string, value: unknown) {
    this.values.set(key, value);
    this.ops.set(key, 'put');
  }
  marker(key: string) {
    this.ops.set(key, 'marker');
  }
  del(key: string) {
    this.values.set(key, undefined);
    this.ops.set(key, 'del');
  }
  toOps() {
    return [...this.ops].map(([key, kind]) =>
      kind === 'put' ? putJson(key, this.values.get(key)) : kind === 'marker' ? putMarker(key) : del(key),
    );
  }
}

/**
 * Follows the rollup and bridge contracts with eth_getLogs: batch commit/verify transactions,
 * L1 deposits (in flight until an L2 block includes them) and claims of exits. Progress is
 * stored with the records it produced, so a restart neither skips nor double-applies logs.
 */
export class L1Watcher {
  private readonly client;
  private abis: L1Abis | undefined;
  private meta: L1Meta = { lastBlock: '', committedHead: null, verifiedHead: null };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  error: string | undefined;

  constructor(
    private readonly db: ExplorerDb,
    private readonly options: L1Options,
    private readonly onEvents: (events: L1Event[]) => void = () => {},
    private readonly log?: Logger,
  ) {
    // cacheTime 0: viem otherwise reuses eth_blockNumber for 4 s and new logs wait that long.
    this.client = createPublicClient({
      transport: http(options.rpcUrl, { retryCount: 0, timeout: 5_000 }),
      cacheTime: 0,
    });
  }

  get status(): L1Status {
    return {
      enabled: true,
      lastBlock: this.meta.lastBlock === '' ? null : this.meta.lastBlock,
      committedHead: this.meta.committedHead,
      verifiedHead: this.meta.verifiedHead,
      abiSource: this.abis?.source ?? 'loading',
      error: this.error,
    };
  }

  async start(): Promise<void> {
    this.abis = await resolveL1Abis(this.options);
    this.meta = (await this.db.get<L1Meta>(Keys.l1Meta)) ?? this.meta;
    this.log?.info(
      { abi: this.abis.source, from: this.meta.lastBlock || String(this.options.fromBlock ?? 0n) },
      'following L1 contracts',
    );
    const tick = () => {
      this.running = this.poll()
        .catch((err) => {
          this.error = (err as Error).message.split('\n')[0];
          this.log?.warn({ err: this.error }, 'L1 poll failed');
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs ?? 1_000);
        });
    };
    tick();
  }

  /** Scan every new L1 block once. */
  async poll(): Promise<void> {
    const latest = await this.client.getBlockNumber();
    const chunk = this.options.chunk ?? 2_000n;
    let from = this.meta.lastBlock === '' ? (this.options.fromBlock ?? 0n) : BigInt(this.meta.lastBlock) + 1n;
    while (from <= latest && !this.stopped) {
      const to = from + chunk - 1n < latest ? from + chunk - 1n : latest;
      const logs = await this.client.getLogs({
        address: [this.options.rollup, this.options.bridge],
        fromBlock: from,
        toBlock: to,
      });
      const events = await this.db.exclusive(() => this.apply(logs, to));
      this.error = undefined;
      if (events.length) this.onEvents(events);
      from = to + 1n;
    }
  }

  private decode(log: Log): L1Event | undefined {
    const abi =
      log.address.toLowerCase() === this.options.rollup.toLowerCase() ? this.abis!.rollup : this.abis!.bridge;
    try {
      const decoded = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
      return normalizeL1Event(String(decoded.eventName), decoded.args);
    } catch {
      return undefined; // an event the explorer does not follow
    }
  }

  private async apply(logs: Log[], toBlock: bigint): Promise<L1Event[]> {
    const staged = new Staged(this.db);
    const meta: L1Meta = { ...this.meta, lastBlock: toBlock.toString() };
    const events: L1Event[] = [];
    for (const log of logs) {
      const ev = this.decode(log);
      if (!ev || !log.transactionHash || log.blockNumber === null) continue;
      const ref: L1Ref = { tx: log.transactionHash, block: log.blockNumber.toString() };
      events.push(ev);
      switch (ev.kind) {
        case 'commit':
        case 'verify': {
          const key = Keys.batch(ev.height);
          const batch = (await staged.get<BatchRecord>(key)) ?? { height: ev.height.toString() };
          staged.put(key, ev.kind === 'commit' ? { ...batch, commit: ref } : { ...batch, verify: ref });
          const field = ev.kind === 'commit' ? 'committedHead' : 'verifiedHead';
          if (meta[field] === null || BigInt(meta[field]!) < ev.height) meta[field] = ev.height.toString();
          break;
        }
        case 'deposit': {
          const key = Keys.deposit(ev.queueIndex);
          const existing = await staged.get<DepositRecord>(key);
          const rec: DepositRecord = {
            queueIndex: ev.queueIndex.toString(),
            depositor: ev.depositor as Hex | undefined,
            to: ev.to,
            assetId: ev.assetId,
            amount: ev.amount?.toString(),
            ...existing,
            l1: ref,
          };
          staged.put(key, rec);
          if (!existing?.l2) staged.marker(Keys.depositInFlight(ev.queueIndex));
          break;
        }
        case 'claim':
          await this.applyClaim(staged, ev, ref);
          break;
        case 'revert': {
          for (let h = ev.fromHeight; h > ev.toHeight; h--) {
            const key = Keys.batch(h);
            const batch = await staged.get<BatchRecord>(key);
            if (batch?.commit && !batch.verify) {
              const { commit: _dropped, ...rest } = batch;
              staged.put(key, rest);
            }
          }
          if (meta.committedHead !== null && BigInt(meta.committedHead) > ev.toHeight)
            meta.committedHead = ev.toHeight.toString();
          break;
        }
        case 'reclaim': {
          const key = Keys.deposit(ev.queueIndex);
          const existing = await staged.get<DepositRecord>(key);
          staged.put(key, { queueIndex: ev.queueIndex.toString(), ...existing, reclaimed: ref });
          staged.del(Keys.depositInFlight(ev.queueIndex));
          break;
        }
      }
    }
    staged.put(Keys.l1Meta, meta);
    await this.db.write(staged.toOps());
    this.meta = meta;
    return events;
  }

  private async applyClaim(
    staged: Staged,
    ev: Extract<L1Event, { kind: 'claim' }>,
    ref: L1Ref,
  ): Promise<void> {
    if (ev.height !== undefined && ev.j !== undefined) {
      const key = Keys.exit(ev.height, ev.j);
      const exit = await staged.get<ExitRecord>(key);
      if (exit) {
        staged.put(key, { ...exit, claim: ref });
        staged.del(Keys.exitInFlight(ev.height, ev.j));
      } else {
        staged.put(Keys.earlyClaim(ev.height, ev.j), ref);
      }
      return;
    }
    // No (height, index) in the event: pay the oldest matching exit still in flight.
    for await (const [key] of this.db.kv.entries(Keys.exitsInFlight)) {
      const [, h, j] = key.split(':');
      const exitKey = Keys.exit(BigInt(h!), Number(j));
      const exit = await staged.get<ExitRecord>(exitKey);
      if (!exit || exit.claim) continue;
      if (ev.recipient && exit.recipient.toLowerCase() !== ev.recipient) continue;
      if (ev.assetId !== undefined && exit.assetId !== ev.assetId) continue;
      if (ev.amount !== undefined && BigInt(exit.amount) !== ev.amount) continue;
      staged.put(exitKey, { ...exit, claim: ref });
      staged.del(key);
      return;
    }
    this.log?.warn({ claim: ev }, 'claim on L1 matches no exit in flight');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
