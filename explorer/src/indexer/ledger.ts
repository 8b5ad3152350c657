import {
  type Account,
  type BatchOp,
  type ChainParams,
  type Hex,
  L2State,
  type Receipt,
  type Tx,
  TxType,
  accountFromJson,
  accountToJson,
  applyTx,
  blockHash,
  chainParams,
  txFromJson,
  txHash,
} from '@tessera/core';
import type { Logger } from 'pino';
import { BlockRejectedError } from '../errors.ts';
import { type ExplorerDb, del, putJson, putMarker } from '../store/db.ts';
import { Keys } from '../store/keys.ts';
import type {
  AccountRecord,
  AssetRecord,
  BatchRecord,
  BlockRecord,
  DepositRecord,
  ExitRecord,
  HistoryEntry,
  IndexMeta,
  L1Ref,
  TxOutcome,
  TxRecord,
  TxSummary,
} from '../store/records.ts';
import { isGenesisParent, parseRpcBlock } from './blockJson.ts';

export const TX_TYPE_NAMES: Record<number, string> = {
  0: 'noop',
  1: 'register',
  2: 'transfer',
  3: 'deposit',
  4: 'withdraw',
  5: 'shield',
  6: 'private transfer',
  7: 'unshield',
};

export function txTypeName(type: number): string {
  return TX_TYPE_NAMES[type] ?? (type >= 16 ? `admin (${type})` : `type ${type}`);
}

/** The only fields of a private transfer the explorer keeps: who *might* have sent it, never who did. */
const PRIVATE_PUBLIC_FIELDS = ['type', 'ring', 'keyImage', 'outputs', 'commitments'] as const;

export function publicTxFields(raw: Record<string, unknown>): Record<string, unknown> {
  if (raw.type !== TxType.PRIVATE_TRANSFER) return raw;
  return Object.fromEntries(PRIVATE_PUBLIC_FIELDS.filter((k) => k in raw).map((k) => [k, raw[k]]));
}

export type LedgerOptions = {
  /** Tree shape and asset list of the chain; chainId always comes from the blocks. */
  params?: Partial<Omit<ChainParams, 'chainId'>>;
  /** Recompute every state root (needs the exact tree shape of the chain). */
  verifyStateRoots?: boolean;
};

export type IndexedBlock = { block: BlockRecord; txs: TxSummary[]; exits: ExitRecord[] };

type AccountMeta = { createdHeight: string; createdTx: Hex; txCount: number };

/**
 * The explorer's replica of the ledger. It re-applies every committed block with core's
 * `applyTx` (signatures were already checked by the cluster, whose certificate the block
 * carries), which yields what the RPC does not send: registered indexes, credited or refunded
 * deposits, exits, balances after each transaction. Each block lands in the store in one atomic
 * write together with the new height, so a restart resumes exactly after the last stored block.
 */
export class Ledger {
  private state: L2State | undefined;
  private meta: IndexMeta | undefined;
  private readonly accountMeta = new Map<number, AccountMeta>();
  private assets = new Map<number, AssetRecord>();
  /** Balance each account has in the holders index (the store), to move its holder key. */
  private readonly storedBalance = new Map<number, bigint>();

  constructor(
    private readonly db: ExplorerDb,
    private readonly options: LedgerOptions = {},
    private readonly log?: Logger,
  ) {}

  get height(): bigint | undefined {
    return this.meta ? BigInt(this.meta.height) : undefined;
  }

  get indexMeta(): IndexMeta | undefined {
    return this.meta;
  }

  async load(): Promise<void> {
    this.meta = await this.db.get<IndexMeta>(Keys.meta);
    if (!this.meta) return;
    const state = this.newState(BigInt(this.meta.chainId));
    for await (const [, rec] of this.db.all<AccountRecord>(Keys.accounts)) {
      const { createdHeight, createdTx, txCount, ...json } = rec;
      state.putAccount(accountFromJson(json));
      this.accountMeta.set(rec.index, { createdHeight, createdTx, txCount });
      this.storedBalance.set(rec.index, BigInt(rec.balance));
    }
    state.nextIndex = this.meta.nextIndex;
    state.nextDepositIndex = BigInt(this.meta.nextDepositIndex);
    for await (const [, rec] of this.db.all<AssetRecord>(Keys.assets)) this.assets.set(rec.assetId, rec);
    if (this.options.verifyStateRoots) state.stateRoot();
    this.state = state;
  }

  private newState(chainId: bigint): L2State {
    return new L2State(chainParams({ ...this.options.params, chainId }));
  }

  private initialAssets(state: L2State): Map<number, AssetRecord> {
    return new Map(
      state.params.assets.map((a) => [
        a.assetId,
        {
          assetId: a.assetId,
          symbol: a.symbol,
          decimals: a.decimals,
          maxSupply: a.maxSupply.toString(),
          supply: '0',
          holders: 0,
          accounts: 0,
          deposited: '0',
          withdrawn: '0',
          transfers: 0,
        },
      ]),
    );
  }

  /** Check `raw` continues the indexed chain, apply it, and store it atomically. */
  indexBlock(raw: unknown): Promise<IndexedBlock> {
    return this.db.exclusive(() => this.indexBlockNow(raw));
  }

  private async indexBlockNow(raw: unknown): Promise<IndexedBlock> {
    const b = parseRpcBlock(raw);
    const h = b.header;
    const computed = blockHash(h);
    if (computed !== b.hash)
      throw new BlockRejectedError(
        `block ${h.height}: hash ${b.hash} does not match its header (${computed})`,
      );
    if (this.meta) {
      const expected = BigInt(this.meta.height) + 1n;
      if (h.height !== expected) throw new BlockRejectedError(`expected block ${expected}, got ${h.height}`);
      if (h.parentHash !== this.meta.hash)
        throw new BlockRejectedError(
          `block ${h.height}: parent ${h.parentHash} is not the indexed block ${this.meta.hash}`,
        );
      if (h.chainId.toString() !== this.meta.chainId)
        throw new BlockRejectedError(
          `block ${h.height} is for chain ${h.chainId}, indexing chain ${this.meta.chainId}`,
        );
    } else if (!isGenesisParent(h.parentHash)) {
      throw new BlockRejectedError(
        `the first indexed block must start the chain (block ${h.height} has parent ${h.parentHash})`,
      );
    }
    const fresh = !this.state;
    const state = this.state ?? this.newState(h.chainId);
    const assets = new Map(
      [...(fresh ? this.initialAssets(state) : this.assets)].map(([k, v]) => [k, { ...v }]),
    );
    const metaUpdates = new Map<number, AccountMeta>();
    const metaOf = (i: number) =>
      metaUpdates.get(i) ?? {
        ...(this.accountMeta.get(i) ?? { createdHeight: h.height.toString(), createdTx: b.hash, txCount: 0 }),
      };
    const touch = (i: number) => {
      const m = metaOf(i);
      m.txCount++;
      metaUpdates.set(i, m);
    };

    const height = h.height.toString();
    const timestamp = h.timestamp.toString();
    let seq = this.meta ? BigInt(this.meta.nextTxSeq) : 0n;
    const ops: BatchOp[] = [];
    const txSummaries: TxSummary[] = [];
    const exits: ExitRecord[] = [];
    const depositUpdates: DepositRecord[] = [];
    const changed = new Set<number>();
    const created = new Set<number>();
    let replayComplete = true;

    state.checkpoint();
    try {
      b.txs.forEach((rawTx, i) => {
        const hash = b.txHashes[i]!;
        const type = typeof rawTx.type === 'number' ? rawTx.type : -1;
        const summary: TxSummary = { hash, type, typeName: txTypeName(type), height, index: i, timestamp };
        let outcome: TxOutcome = { kind: 'applied' };
        let tx: Tx | undefined;
        try {
          tx = txFromJson(rawTx);
        } catch {
          tx = undefined;
        }
        const history: [number, HistoryEntry][] = [];
        const entry = (index: number, role: HistoryEntry['role'], delta: bigint, counterparty?: string) => {
          const acct = state.account(index);
          if (!acct) return;
          touch(index);
          changed.add(index);
          history.push([
            index,
            {
              seq: seq.toString(),
              txHash: hash,
              height,
              index: i,
              timestamp,
              type,
              typeName: summary.typeName,
              role,
              counterparty,
              delta: delta.toString(),
              balanceAfter: acct.balance.toString(),
              assetId: acct.assetId,
            },
          ]);
        };

        if (!tx) {
          if (type === TxType.PRIVATE_TRANSFER) {
            const ring = rawTx.ring;
            summary.ringSize = Array.isArray(ring) ? ring.length : undefined;
            summary.keyImage = rawTx.keyImage === undefined ? undefined : String(rawTx.keyImage);
            // Notes and key images live outside the public accounts: nothing public to replay,
            // but the notes and key-image roots change, so the state root cannot be rechecked.
            replayComplete = false;
          } else {
            replayComplete = false;
            outcome = {
              kind: 'uninterpreted',
              reason: `transaction type ${type} is not understood by this explorer version`,
            };
          }
        } else {
          if (txHash(tx) !== hash)
            this.log?.warn({ height, index: i, hash }, 'transaction hash from node differs from core txHash');
          let receipt: Receipt | undefined;
          try {
            receipt = applyTx(state, tx, { signatureVerified: true });
          } catch (err) {
            replayComplete = false;
            this.log?.warn(
              { height, index: i, err: (err as Error).message },
              'replay rejected a committed transaction',
            );
            outcome = { kind: 'uninterpreted', reason: `replay failed: ${(err as Error).message}` };
          }
          if (receipt) {
            switch (tx.type) {
              case TxType.REGISTER: {
                const index = (receipt as { accountIndex: number }).accountIndex;
                summary.to = index;
                summary.assetId = tx.assetId;
                outcome = { kind: 'applied', accountIndex: index };
                metaUpdates.set(index, { createdHeight: height, createdTx: hash, txCount: 0 });
                created.add(index);
                entry(index, 'owner', 0n, tx.ethAddress);
                assets.get(tx.assetId)!.accounts++;
                break;
              }
              case TxType.TRANSFER: {
                Object.assign(summary, {
                  from: tx.from,
                  to: tx.to,
                  amount: tx.amount.toString(),
                  assetId: state.account(tx.from)?.assetId,
                });
                entry(tx.from, 'sender', -tx.amount, String(tx.to));
                entry(tx.to, 'recipient', tx.amount, String(tx.from));
                const asset = assets.get(state.account(tx.from)?.assetId ?? -1);
                if (asset) asset.transfers++;
                break;
              }
              case TxType.DEPOSIT: {
                Object.assign(summary, {
                  to: tx.to,
                  depositor: tx.depositor,
                  amount: tx.amount.toString(),
                  assetId: tx.assetId,
                });
                const dep: DepositRecord = {
                  queueIndex: tx.queueIndex.toString(),
                  depositor: tx.depositor,
                  to: tx.to,
                  assetId: tx.assetId,
                  amount: tx.amount.toString(),
                  l2: { txHash: hash, height, credited: true },
                };
                if ('credited' in receipt && receipt.credited) {
                  entry(tx.to, 'recipient', tx.amount, tx.depositor);
                  const asset = assets.get(tx.assetId);
                  if (asset) asset.deposited = (BigInt(asset.deposited) + tx.amount).toString();
                } else if ('exit' in receipt) {
                  const reason = 'reason' in receipt ? receipt.reason : 'not credited';
                  dep.l2 = { txHash: hash, height, credited: false, reason };
                  outcome = { kind: 'refunded', reason, exitIndex: exits.length };
                  exits.push(exitRecord(receipt.exit, height, exits.length, 'refund', hash));
                }
                depositUpdates.push(dep);
                break;
              }
              case TxType.WITHDRAW: {
                Object.assign(summary, {
                  from: tx.from,
                  amount: tx.amount.toString(),
                  assetId: state.account(tx.from)?.assetId,
                });
                entry(tx.from, 'sender', -tx.amount, 'L1');
                const exit = (receipt as { exit: { recipient: Hex; assetId: number; amount: bigint } }).exit;
                outcome = { kind: 'exit', exitIndex: exits.length };
                exits.push({
                  ...exitRecord(exit, height, exits.length, 'withdrawal', hash),
                  fromAccount: tx.from,
                });
                const asset = assets.get(exit.assetId);
                if (asset) asset.withdrawn = (BigInt(asset.withdrawn) + tx.amount).toString();
                break;
              }
            }
          }
        }
        const record: TxRecord = {
          ...summary,
          seq: seq.toString(),
          blockHash: b.hash,
          tx: publicTxFields(rawTx),
          outcome,
        };
        ops.push(putJson(Keys.tx(hash), record), putJson(Keys.txSeq(seq), summary));
        for (const [index, e] of history) ops.push(putJson(Keys.historyEntry(index, seq), e));
        txSummaries.push(summary);
        seq++;
      });

      let stateRootCheck: BlockRecord['stateRootCheck'] = 'skipped';
      if (this.options.verifyStateRoots && replayComplete) {
        stateRootCheck = state.stateRoot() === h.stateRoot ? 'ok' : 'mismatch';
        if (stateRootCheck === 'mismatch')
          this.log?.error({ height }, 'recomputed state root differs from the block header');
      }

      // Accounts, holders and supplies after the block.
      for (const index of changed) {
        const acct = state.account(index)!;
        const m = metaOf(index);
        ops.push(putJson(Keys.account(index), accountRecord(acct, m)));
        if (created.has(index)) ops.push(putMarker(Keys.addressAccount(acct.ethAddress, index)));
        const before = this.storedBalance.get(index) ?? 0n;
        if (before !== acct.balance) {
          if (before > 0n) ops.push(del(Keys.holder(acct.assetId, before, index)));
          if (acct.balance > 0n) ops.push(putMarker(Keys.holder(acct.assetId, acct.balance, index)));
          const asset = assets.get(acct.assetId);
          if (asset) {
            asset.supply = (BigInt(asset.supply) + acct.balance - before).toString();
            if (before === 0n) asset.holders++;
            if (acct.balance === 0n) asset.holders--;
          }
        }
      }
      for (const asset of assets.values()) ops.push(putJson(Keys.asset(asset.assetId), asset));

      const block: BlockRecord = {
        height,
        hash: b.hash,
        parentHash: h.parentHash,
        stateRoot: h.stateRoot.toString(),
        timestamp,
        txCount: b.txs.length,
        depositCount: h.depositCount,
        txHashes: b.txHashes,
        header: b.headerJson,
        certificate: b.certificate,
        stateRootCheck,
      };
      ops.push(putJson(Keys.block(h.height), block), putJson(Keys.blockByHash(b.hash), height));

      const batch = (await this.db.get<BatchRecord>(Keys.batch(h.height))) ?? { height };
      ops.push(
        putJson(Keys.batch(h.height), { ...batch, blockHash: b.hash, txCount: b.txs.length, timestamp }),
      );

      for (const dep of depositUpdates) {
        const q = BigInt(dep.queueIndex);
        const existing = await this.db.get<DepositRecord>(Keys.deposit(q));
        ops.push(
          putJson(Keys.deposit(q), { ...existing, ...dep, l1: existing?.l1 }),
          del(Keys.depositInFlight(q)),
        );
      }
      for (const exit of exits) {
        const early = await this.db.get<L1Ref>(Keys.earlyClaim(h.height, exit.j));
        if (early) {
          exit.claim = early;
          ops.push(del(Keys.earlyClaim(h.height, exit.j)));
        } else {
          ops.push(putMarker(Keys.exitInFlight(h.height, exit.j)));
        }
        ops.push(putJson(Keys.exit(h.height, exit.j), exit));
      }

      const meta: IndexMeta = {
        chainId: h.chainId.toString(),
        height,
        hash: b.hash,
        nextIndex: state.nextIndex,
        nextDepositIndex: state.nextDepositIndex.toString(),
        nextTxSeq: seq.toString(),
      };
      ops.push(putJson(Keys.meta, meta));
      await this.db.write(ops);

      state.release();
      this.state = state;
      this.meta = meta;
      this.assets = assets;
      for (const [i, m] of metaUpdates) this.accountMeta.set(i, m);
      for (const index of changed) this.storedBalance.set(index, state.account(index)!.balance);
      return { block, txs: txSummaries, exits };
    } catch (err) {
      state.rollback();
      throw err;
    }
  }
}

function exitRecord(
  exit: { recipient: Hex; assetId: number; amount: bigint },
  height: string,
  j: number,
  kind: ExitRecord['kind'],
  txHash: Hex,
): ExitRecord {
  return {
    height,
    j,
    kind,
    recipient: exit.recipient,
    assetId: exit.assetId,
    amount: exit.amount.toString(),
    txHash,
  };
}

function accountRecord(a: Account, m: AccountMeta): AccountRecord {
  return { ...(accountToJson(a) as Omit<AccountRecord, 'createdHeight' | 'createdTx' | 'txCount'>), ...m };
}
