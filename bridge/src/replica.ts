import { type ContractHeader, encodeExits, encodeRegistrations, exitTree } from '@tessera/contracts';
// The poster's own copy of the L2 state. Every certified block is re-executed with core before its
// batch is posted: the batch data (records, registrations, exits) is derived here, never trusted
// from the sequencer, and a block that does not replay is refused. State, head and the prepared
// batches are written to the store in one atomic batch per block, so a restart resumes exactly.
import {
  type Account,
  type BatchOp,
  type ChainParams,
  GENESIS_PARENT_HASH,
  type KVStore,
  type KeyImageRecord,
  L2State,
  type Note,
  type ObserverKeyRecord,
  ProtocolError,
  type Receipt,
  type Tx,
  TxType,
  accountFromJson,
  accountToJson,
  batchData,
  batchPublicInput,
  replayBlock,
} from '@tessera/core';
import { type Address, type Hex, bytesToHex, concatHex, numberToHex } from 'viem';
import type { BlockCertificate, CertifiedBlock } from './blockSource.ts';
import { ReplayError } from './errors.ts';
import { decodeJson, getJson, padHeight, putJson } from './store.ts';

/** Everything `commitBatch` needs for one block, derived by replay. */
export type PreparedCommit = {
  height: bigint;
  blockHash: Hex;
  header: ContractHeader;
  depositCount: number;
  records: Hex;
  registrations: Hex;
  exits: Hex;
  exitCount: number;
  exitRoot: Hex;
  publicInput: bigint;
  certificate: BlockCertificate;
};

type ReplicaHead = {
  height: bigint;
  hash: Hex;
  stateRoot: bigint;
  nextIndex: number;
  nextDepositIndex: bigint;
  /** Privacy ledger sizes and accumulators (absent: nothing private happened yet). */
  privacy?: PrivacyHead;
};

type PrivacyHead = { notesRoot: bigint; keyImagesRoot: bigint; notes: number; observerKeys: number };

const HEAD_KEY = 'r/head';
const ACCOUNT_PREFIX = 'r/a/';
const BATCH_PREFIX = 'r/b/';
/** Notes, spent key images and observer keys: replaying a ring spend needs the ring's notes. */
const NOTE_PREFIX = 'r/n/';
const KEY_IMAGE_PREFIX = 'r/i/';
const OBSERVER_PREFIX = 'r/o/';

export class L2Replica {
  /** Set when a write failed after the in-memory state advanced; reopen from the store. */
  broken = false;

  private constructor(
    readonly state: L2State,
    private head: ReplicaHead,
    private readonly store: KVStore,
    readonly slots: number,
  ) {}

  /** Loads the persisted replica, or starts from genesis (`genesis` = accounts present at height 0). */
  static async open(
    store: KVStore,
    params: ChainParams,
    slots: number,
    genesis: readonly Account[] = [],
  ): Promise<L2Replica> {
    const state = new L2State(params);
    const saved = await getJson<ReplicaHead>(store, HEAD_KEY);
    if (!saved) {
      for (const a of genesis) state.putAccount(a);
      state.nextIndex = genesis.reduce((m, a) => Math.max(m, a.index + 1), 1);
      const head: ReplicaHead = {
        height: 0n,
        hash: GENESIS_PARENT_HASH,
        stateRoot: state.stateRoot(),
        nextIndex: state.nextIndex,
        nextDepositIndex: 0n,
      };
      const replica = new L2Replica(state, head, store, slots);
      await store.write(
        [...genesis.map((a) => putJson(accountKey(a.index), accountToJson(a))), putJson(HEAD_KEY, head)],
        { sync: true },
      );
      return replica;
    }
    for await (const [, value] of store.entries(ACCOUNT_PREFIX))
      state.putAccount(accountFromJson(decodeJson(value)));
    state.nextIndex = saved.nextIndex;
    state.nextDepositIndex = saved.nextDepositIndex;
    if (saved.privacy) await loadPrivacy(store, state, saved.privacy);
    const root = state.stateRoot();
    if (root !== saved.stateRoot) {
      throw new ReplayError(
        `stored replica state root ${root} does not match its head ${saved.height} (${saved.stateRoot}); delete the data directory to rebuild from genesis`,
      );
    }
    return new L2Replica(state, saved, store, slots);
  }

  get height(): bigint {
    return this.head.height;
  }

  get headHash(): Hex {
    return this.head.hash;
  }

  get stateRoot(): bigint {
    return this.head.stateRoot;
  }

  /** Genesis state root of this replica (height 0 only) — must equal the rollup's genesis root. */
  async genesisRoot(): Promise<bigint | undefined> {
    return this.head.height === 0n ? this.head.stateRoot : undefined;
  }

  /** Re-executes the next certified block and stores its prepared batch. */
  async apply(block: CertifiedBlock): Promise<PreparedCommit> {
    const h = block.header;
    if (h.height !== this.head.height + 1n)
      throw new ReplayError(`replica is at ${this.head.height}, got block ${h.height}`);
    if (h.parentHash !== this.head.hash) {
      throw new ReplayError(
        `block ${h.height} has parent ${h.parentHash}, the replica's head is ${this.head.hash}`,
      );
    }
    let executed: ReturnType<typeof replayBlock>;
    try {
      // Signatures were checked by the cluster that certified the block; the certificate is
      // checked against the L1 sequencer set before posting.
      executed = replayBlock(this.state, { header: h, txs: block.txs }, this.slots, () => true);
    } catch (err) {
      if (err instanceof ProtocolError)
        throw new ReplayError(`certified block ${h.height} does not replay: ${err.message}`, { cause: err });
      throw err;
    }
    if (executed.hash !== block.hash)
      throw new ReplayError(`block ${h.height} replays to ${executed.hash}, certified ${block.hash}`);
    const prepared = prepareCommit(block, executed.receipts, executed.commitment);
    const privacyOps = this.privacyOps(executed.receipts);
    this.head = {
      height: h.height,
      hash: executed.hash,
      stateRoot: h.stateRoot,
      nextIndex: this.state.nextIndex,
      nextDepositIndex: this.state.nextDepositIndex,
      privacy: privacyHead(this.state),
    };
    const ops = touchedAccounts(block.txs, executed.receipts)
      .map((i) => this.state.account(i))
      .filter((a): a is Account => a !== undefined)
      .map((a) => putJson(accountKey(a.index), accountToJson(a)));
    ops.push(...privacyOps);
    ops.push(putJson(BATCH_PREFIX + padHeight(h.height), prepared), putJson(HEAD_KEY, this.head));
    try {
      await this.store.write(ops, { sync: true });
    } catch (err) {
      // Memory is now ahead of disk: the owner must reopen the replica from the store.
      this.broken = true;
      throw err;
    }
    return prepared;
  }

  /** The block's new notes, spent key images and observer keys (written with its batch). */
  private privacyOps(receipts: readonly Receipt[]): BatchOp[] {
    const before = this.head.privacy ?? { notes: 0, observerKeys: genesisObserverKeys(this.state) };
    const ops: BatchOp[] = [];
    for (let i = before.notes; i < this.state.notes.length; i++)
      ops.push(putJson(NOTE_PREFIX + i.toString().padStart(10, '0'), this.state.notes[i]));
    for (const r of receipts) {
      if (r.type !== TxType.PRIVATE_TRANSFER && r.type !== TxType.UNSHIELD) continue;
      ops.push(
        putJson(KEY_IMAGE_PREFIX + r.keyImageTag.toString(16).padStart(64, '0'), {
          tag: r.keyImageTag,
          record: this.state.keyImages.get(r.keyImageTag) ?? {},
        }),
      );
    }
    const keys = this.state.observerKeys;
    for (let i = before.observerKeys; i < keys.length; i++)
      ops.push(putJson(OBSERVER_PREFIX + keys[i]!.epoch.toString().padStart(20, '0'), keys[i]));
    return ops;
  }

  async prepared(height: bigint): Promise<PreparedCommit | undefined> {
    return getJson<PreparedCommit>(this.store, BATCH_PREFIX + padHeight(height));
  }

  /** Drops prepared batches below `height` (verified long enough ago that no reorg brings them back). */
  async prune(belowHeight: bigint): Promise<number> {
    const ops = [];
    for await (const [key] of this.store.entries(BATCH_PREFIX)) {
      if (BigInt(key.slice(BATCH_PREFIX.length)) >= belowHeight) break;
      ops.push({ type: 'del' as const, key });
    }
    if (ops.length) await this.store.write(ops, { sync: true });
    return ops.length;
  }
}

function accountKey(index: number): string {
  return ACCOUNT_PREFIX + index.toString().padStart(10, '0');
}

/** Observer keys the chain parameters put in the state at genesis (not stored). */
function genesisObserverKeys(state: L2State): number {
  return state.params.privacy?.genesisObserverKey ? 1 : 0;
}

function privacyHead(state: L2State): PrivacyHead {
  return {
    notesRoot: state.notesRoot,
    keyImagesRoot: state.keyImagesRoot,
    notes: state.notes.length,
    observerKeys: state.observerKeys.length,
  };
}

async function loadPrivacy(store: KVStore, state: L2State, head: PrivacyHead): Promise<void> {
  const notes: Note[] = [];
  for await (const [, value] of store.entries(NOTE_PREFIX)) notes.push(decodeJson<Note>(value));
  if (notes.length !== head.notes || notes.some((n, i) => n.index !== i)) {
    throw new ReplayError(
      `stored replica has ${notes.length} notes, its head ${head.notes}; delete the data directory to rebuild from genesis`,
    );
  }
  const keyImages: [bigint, KeyImageRecord][] = [];
  for await (const [, value] of store.entries(KEY_IMAGE_PREFIX)) {
    const { tag, record } = decodeJson<{ tag: bigint; record: KeyImageRecord }>(value);
    keyImages.push([tag, record]);
  }
  const observerKeys: ObserverKeyRecord[] = state.observerKeys.slice(0, genesisObserverKeys(state));
  for await (const [, value] of store.entries(OBSERVER_PREFIX))
    observerKeys.push(decodeJson<ObserverKeyRecord>(value));
  state.loadPrivacy({
    notes,
    keyImages,
    observerKeys,
    notesRoot: head.notesRoot,
    keyImagesRoot: head.keyImagesRoot,
  });
}

function touchedAccounts(txs: readonly Tx[], receipts: readonly Receipt[]): number[] {
  const out = new Set<number>();
  txs.forEach((tx, i) => {
    if (tx.type === TxType.TRANSFER) out.add(tx.from).add(tx.to);
    else if (tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD) out.add(tx.from);
    else if (tx.type === TxType.DEPOSIT || tx.type === TxType.UNSHIELD) out.add(tx.to);
    const r = receipts[i];
    if (r?.type === TxType.REGISTER) out.add(r.accountIndex);
  });
  return [...out];
}

/** The commitBatch arguments of an executed block, encoded as contracts/src/batch.ts does. */
export function prepareCommit(
  block: CertifiedBlock,
  receipts: readonly Receipt[],
  commitment: { dataHash: Hex; dataCommitment: bigint; y: bigint },
): PreparedCommit {
  const h = block.header;
  const data = batchData(block.txs, receipts);
  const exits = data.exits.map((e) => ({
    recipient: e.recipient as Address,
    assetId: e.assetId,
    amount: e.amount,
  }));
  return {
    height: h.height,
    blockHash: block.hash,
    header: {
      height: h.height,
      parentHash: h.parentHash,
      prevStateRoot: h.prevStateRoot,
      stateRoot: h.stateRoot,
      dataCommitment: h.dataCommitment,
      depositStart: h.depositStart,
      timestamp: h.timestamp,
    },
    depositCount: data.deposits.length,
    records: data.records.length ? concatHex(data.records.map((r) => bytesToHex(r))) : '0x',
    registrations: encodeRegistrations(
      data.registrations.map((r) => ({
        ax: r.ax,
        ay: r.ay,
        ethAddress: numberToHex(r.ethAddress, { size: 20 }) as Address,
      })),
    ),
    exits: encodeExits(exits),
    exitCount: exits.length,
    exitRoot: exitTree(exits, h.height).root,
    publicInput: batchPublicInput(h.prevStateRoot, h.stateRoot, commitment),
    certificate: block.certificate,
  };
}
