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
  fromHex,
  keyImageTag,
  noteToJson,
  tryDecodeRingSignature,
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
  KeyImageRecord,
  L1Ref,
  NoteRecord,
  ObserverKeyRecord,
  PrivacyMeta,
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
  16: 'observer key',
};

export function txTypeName(type: number): string {
  return TX_TYPE_NAMES[type] ?? (type >= 16 ? `admin (${type})` : `type ${type}`);
}

/**
 * What the explorer keeps of a private transfer or unshield: the ring of notes the spent one hides
 * in, the output or recipient, and the key-image tag. The ring signature and the observer memo
 * (only the regulator can open them) are dropped; nothing names a sender.
 */
const RING_PUBLIC_FIELDS = ['type', 'assetId', 'amount', 'ring', 'output', 'to', 'observerEpoch'] as const;

export const isRingType = (type: unknown) => type === TxType.PRIVATE_TRANSFER || type === TxType.UNSHIELD;

export function publicTxFields(raw: Record<string, unknown>): Record<string, unknown> {
  if (!isRingType(raw.type)) return raw;
  const out: Record<string, unknown> = Object.fromEntries(
    RING_PUBLIC_FIELDS.filter((k) => k in raw).map((k) => [k, raw[k]]),
  );
  const tag = ringKeyImageTag(raw.ringSignature);
  if (tag !== undefined) out.keyImageTag = tag;
  return out;
}

/** The key-image tag H(Ix, Iy) of an encoded ring signature (what L1 and the accumulator see). */
export function ringKeyImageTag(ringSignature: unknown): string | undefined {
  if (typeof ringSignature !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(ringSignature)) return undefined;
  const sig = tryDecodeRingSignature(fromHex(ringSignature as Hex));
  return sig ? keyImageTag(sig.keyImage).toString() : undefined;
}

const pointJson = (p: readonly [bigint, bigint]): [string, string] => [p[0].toString(), p[1].toString()];
const pointOf = (p: [string, string]): [bigint, bigint] => [BigInt(p[0]), BigInt(p[1])];

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
    if (this.meta.privacy) await this.loadPrivacy(state, this.meta.privacy);
    for await (const [, rec] of this.db.all<AssetRecord>(Keys.assets)) this.assets.set(rec.assetId, rec);
    if (this.options.verifyStateRoots) state.stateRoot();
    this.state = state;
  }

  /** Notes, spent key images and rotated observer keys, as the last indexed block left them. */
  private async loadPrivacy(state: L2State, meta: PrivacyMeta): Promise<void> {
    const notes = [];
    for await (const [, n] of this.db.all<NoteRecord>(Keys.notes)) {
      notes.push({
        index: n.index,
        oneTimeKey: pointOf(n.oneTimeKey),
        txPublicKey: pointOf(n.txPublicKey),
        assetId: n.assetId,
        amount: BigInt(n.amount),
        commitment: BigInt(n.commitment),
        origin: n.origin,
      });
    }
    if (notes.length !== meta.notes || notes.some((n, i) => n.index !== i))
      throw new Error(`the index holds ${notes.length} notes, its metadata ${meta.notes}: rebuild the index`);
    const keyImages: [bigint, { keyImage?: [bigint, bigint]; txHash?: Hex }][] = [];
    for await (const [, k] of this.db.all<KeyImageRecord>(Keys.keyImages)) {
      keyImages.push([
        BigInt(k.tag),
        {
          ...(k.keyImage ? { keyImage: pointOf(k.keyImage) } : {}),
          ...(k.txHash ? { txHash: k.txHash } : {}),
        },
      ]);
    }
    const observerKeys = [...state.observerKeys];
    for await (const [, o] of this.db.all<ObserverKeyRecord>(Keys.observerKeys))
      if (!observerKeys.some((k) => k.epoch === BigInt(o.epoch)))
        observerKeys.push({ epoch: BigInt(o.epoch), key: pointOf(o.key) });
    state.loadPrivacy({
      notes,
      keyImages,
      observerKeys,
      notesRoot: BigInt(meta.notesRoot),
      keyImagesRoot: BigInt(meta.keyImagesRoot),
    });
  }

  /** Store the notes, spends and rotations a block added (`before`: sizes before the block). */
  private privacyOps(
    state: L2State,
    before: { notes: number; observerKeys: number },
    receipts: { receipt: Receipt; hash: Hex }[],
    height: string,
  ): BatchOp[] {
    const ops: BatchOp[] = [];
    for (let i = before.notes; i < state.notes.length; i++) {
      const n = state.notes[i]!;
      const rec: NoteRecord = { ...noteToJson(n), height };
      ops.push(putJson(Keys.note(i), rec));
    }
    for (const { receipt, hash } of receipts) {
      if (receipt.type === TxType.PRIVATE_TRANSFER || receipt.type === TxType.UNSHIELD) {
        const k = state.keyImages.get(receipt.keyImageTag);
        const rec: KeyImageRecord = {
          tag: receipt.keyImageTag.toString(),
          ...(k?.keyImage ? { keyImage: pointJson(k.keyImage) } : {}),
          txHash: hash,
          height,
        };
        ops.push(putJson(Keys.keyImage(receipt.keyImageTag), rec));
      }
    }
    // Rotations of this block (and, with the first block, the genesis key of the chain parameters).
    for (let i = before.observerKeys; i < state.observerKeys.length; i++) {
      const k = state.observerKeys[i]!;
      const by = receipts.find((r) => r.receipt.type === TxType.OBSERVER_KEY && r.receipt.epoch === k.epoch);
      const rec: ObserverKeyRecord = {
        epoch: k.epoch.toString(),
        key: pointJson(k.key),
        ...(by ? { txHash: by.hash } : {}),
        height: by ? height : '0',
      };
      ops.push(putJson(Keys.observerKey(k.epoch), rec));
    }
    return ops;
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
          inNotes: '0',
          privateTransfers: 0,
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
    const privacyBefore = { notes: state.notes.length, observerKeys: fresh ? 0 : state.observerKeys.length };
    const privacyReceipts: { receipt: Receipt; hash: Hex }[] = [];
    const addToNotes = (assetId: number, delta: bigint) => {
      const asset = assets.get(assetId);
      if (asset) asset.inNotes = (BigInt(asset.inNotes ?? '0') + delta).toString();
    };

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
          replayComplete = false;
          outcome = {
            kind: 'uninterpreted',
            reason: `transaction type ${type} is not understood by this explorer version`,
          };
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
            privacyReceipts.push({ receipt, hash });
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
              case TxType.SHIELD: {
                // The shielding account is public; the note's owner is not.
                const assetId = state.account(tx.from)?.assetId;
                Object.assign(summary, { from: tx.from, amount: tx.amount.toString(), assetId });
                if (receipt.type === TxType.SHIELD)
                  Object.assign(summary, {
                    noteIndex: receipt.noteIndex,
                    noteCommitment: receipt.noteCommitment.toString(),
                  });
                entry(tx.from, 'sender', -tx.amount, 'private note');
                if (assetId !== undefined) addToNotes(assetId, tx.amount);
                break;
              }
              case TxType.PRIVATE_TRANSFER: {
                // No `from`: the spent note hides among the ring's notes.
                Object.assign(summary, {
                  amount: tx.amount.toString(),
                  assetId: tx.assetId,
                  ringSize: tx.ring.length,
                });
                if (receipt.type === TxType.PRIVATE_TRANSFER)
                  Object.assign(summary, {
                    keyImageTag: receipt.keyImageTag.toString(),
                    noteIndex: receipt.noteIndex,
                    noteCommitment: receipt.noteCommitment.toString(),
                  });
                const asset = assets.get(tx.assetId);
                if (asset) asset.privateTransfers = (asset.privateTransfers ?? 0) + 1;
                break;
              }
              case TxType.UNSHIELD: {
                Object.assign(summary, {
                  to: tx.to,
                  amount: tx.amount.toString(),
                  assetId: tx.assetId,
                  ringSize: tx.ring.length,
                });
                if (receipt.type === TxType.UNSHIELD) summary.keyImageTag = receipt.keyImageTag.toString();
                entry(tx.to, 'recipient', tx.amount, 'private note');
                addToNotes(tx.assetId, -tx.amount);
                break;
              }
              case TxType.OBSERVER_KEY:
                summary.epoch = tx.epoch.toString();
                break;
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
      ops.push(...this.privacyOps(state, privacyBefore, privacyReceipts, height));

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
        privacy: {
          notesRoot: state.notesRoot.toString(),
          keyImagesRoot: state.keyImagesRoot.toString(),
          notes: state.notes.length,
          spent: state.keyImages.size,
          observerKeys: state.observerKeys.length,
        },
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
