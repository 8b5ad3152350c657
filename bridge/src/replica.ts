import { type ContractHeader, encodeExits, encodeRegistrations, exitTree } from '@tessera/contracts';
// The poster's own copy of the L2 state. Every certified block is re-executed with core before its
// batch is posted: the batch data (records, registrations, exits) is derived here, never trusted
// from the sequencer, and a block that does not replay is refused. State, head and the prepared
// batches are written to the store in one atomic batch per block, so a restart resumes exactly.
import {
  type Account,
  type ChainParams,
  GENESIS_PARENT_HASH,
  type KVStore,
  L2State,
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
};

const HEAD_KEY = 'r/head';
const ACCOUNT_PREFIX = 'r/a/';
const BATCH_PREFIX = 'r/b/';

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
    this.head = {
      height: h.height,
      hash: executed.hash,
      stateRoot: h.stateRoot,
      nextIndex: this.state.nextIndex,
      nextDepositIndex: this.state.nextDepositIndex,
    };
    const ops = touchedAccounts(block.txs, executed.receipts)
      .map((i) => this.state.account(i))
      .filter((a): a is Account => a !== undefined)
      .map((a) => putJson(accountKey(a.index), accountToJson(a)));
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

function touchedAccounts(txs: readonly Tx[], receipts: readonly Receipt[]): number[] {
  const out = new Set<number>();
  txs.forEach((tx, i) => {
    if (tx.type === TxType.TRANSFER) out.add(tx.from).add(tx.to);
    else if (tx.type === TxType.WITHDRAW) out.add(tx.from);
    else if (tx.type === TxType.DEPOSIT) out.add(tx.to);
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
