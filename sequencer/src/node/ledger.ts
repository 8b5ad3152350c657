import {
  type Account,
  type BlockHeader,
  type ChainParams,
  type ExecutedBlock,
  GENESIS_PARENT_HASH,
  L2State,
  ProtocolError,
  type Receipt,
  type Signature,
  TrackingNodeStore,
  type Tx,
  TxType,
  accountFromJson,
  accountToJson,
  applyTx,
  blockHash,
  checkBlockShape,
  executeBlock,
  replayBlock,
  sealBlock,
} from '@tessera/core';
import type { BatchOp, KVStore } from '@tessera/core/storage/kv';
import { Reader, Writer, decodeCertificate, encodeCertificate } from '../consensus/codec.ts';
import type { Logger } from '../consensus/driver.ts';
import type { CommitCertificate, Hex } from '../consensus/types.ts';
import { applyGenesis } from './genesis.ts';
import { PrivacyLedger, privacyTouched } from './privacy.ts';
import {
  type ParsedBlockValue,
  type WireTx,
  be32,
  decodeWithHint,
  encodeBlockValue,
  parseBlockValue,
  wireFromTx,
} from './txwire.ts';

const HEAD_KEY = 'm/head';
const pad = (h: bigint) => h.toString().padStart(20, '0');

export interface Head {
  height: bigint;
  hash: Hex;
  stateRoot: bigint;
  timestamp: bigint;
}

export interface CommittedBlock {
  height: bigint;
  hash: Hex;
  header: BlockHeader;
  txHashes: Hex[];
  txs: Tx[];
  receipts: Receipt[];
  certificate: CommitCertificate;
}

export class LedgerError extends Error {
  readonly code = 'LEDGER';
}

/**
 * The node's chain and state. Proposals are executed speculatively on the live state (inside a
 * checkpoint) so that committing the value that was validated costs only the disk write; the
 * block, its certificate, the changed accounts and tree nodes and the indexes go to RocksDB in one
 * synced batch, so after a crash the node has either all of a block or none of it.
 */
export class Ledger {
  readonly state: L2State;
  /** Notes, key images and observer keys: persistence, committed view, admission checks. */
  readonly privacy: PrivacyLedger;
  head: Head;
  /** Accounts as of the head (the live state may hold a speculative block). */
  private readonly committed = new Map<number, Account>();
  private spec: { height: bigint; hash: Hex; executed: ExecutedBlock; wire: WireTx[] } | null = null;
  stats = { speculationHits: 0, speculationMisses: 0, replays: 0, unknownTxs: 0 };

  private constructor(
    private readonly kv: KVStore,
    readonly params: ChainParams,
    readonly slots: number,
    private readonly nodes: TrackingNodeStore,
    private readonly log: Logger,
  ) {
    this.state = new L2State(params, nodes);
    this.privacy = new PrivacyLedger(this.state, kv);
    this.head = { height: 0n, hash: GENESIS_PARENT_HASH, stateRoot: 0n, timestamp: 0n };
  }

  static async open(
    kv: KVStore,
    params: ChainParams,
    slots: number,
    genesis: Account[],
    log: Logger,
  ): Promise<Ledger> {
    const nodes = new TrackingNodeStore();
    const ledger = new Ledger(kv, params, slots, nodes, log);
    await ledger.load(genesis);
    return ledger;
  }

  private async load(genesis: Account[]): Promise<void> {
    const raw = await this.kv.get(HEAD_KEY);
    if (!raw) {
      applyGenesis(this.state, genesis);
      this.privacy.markCommitted();
      const root = this.state.stateRoot();
      this.head = { height: 0n, hash: GENESIS_PARENT_HASH, stateRoot: root, timestamp: 0n };
      for (const a of genesis) this.committed.set(a.index, a);
      const ops: BatchOp[] = genesis.map((a) => ({
        type: 'put',
        key: accountKey(a.index),
        value: encodeAccount(a),
      }));
      ops.push(...this.treeOps(), { type: 'put', key: HEAD_KEY, value: this.encodeHead() });
      await this.kv.write(ops, { sync: true });
      this.log.info({ accounts: genesis.length, stateRoot: root.toString() }, 'genesis written');
      return;
    }
    const r = new Reader(raw);
    this.head = { height: r.u64(), hash: r.hex(32), stateRoot: be(r.bytes(32)), timestamp: r.u64() };
    this.state.nextIndex = r.u32();
    this.state.nextDepositIndex = r.u64();
    for await (const [key, value] of this.kv.entries('t/')) this.nodes.load(key.slice(2), be(value));
    for await (const [, value] of this.kv.entries('a/')) {
      const a = decodeAccount(value);
      // Bypass putAccount: the tree nodes are already loaded, nothing needs rehashing.
      this.state.accounts.set(a.index, a);
      const key = a.ethAddress.toLowerCase();
      this.state.accountsByEthAddress.set(key, [
        ...(this.state.accountsByEthAddress.get(key) ?? []),
        a.index,
      ]);
      this.committed.set(a.index, a);
    }
    await this.privacy.load();
    const root = this.state.stateRoot();
    if (root !== this.head.stateRoot) {
      throw new LedgerError(
        `stored state root ${root} does not match head ${this.head.height} root ${this.head.stateRoot}`,
      );
    }
    this.log.info({ height: this.head.height.toString(), accounts: this.committed.size }, 'ledger recovered');
  }

  committedAccount(index: number): Account | undefined {
    return this.committed.get(index);
  }

  committedAccounts(): IterableIterator<Account> {
    return this.committed.values();
  }

  /** Queue index of the next L1 deposit after the head (ignores a speculative block). */
  nextDepositIndex(): bigint {
    return this.spec ? this.spec.executed.block.header.depositStart : this.state.nextDepositIndex;
  }

  private dropSpeculation(): void {
    if (this.spec) {
      this.state.rollback();
      this.spec = null;
    }
  }

  /**
   * Builds the next block from candidate transactions (already signature-checked), skipping any
   * that no longer apply. Leaves it applied speculatively. Candidates are applied one by one on the
   * live state and the block is sealed on the result, so each touched account is hashed once
   * (a trial run followed by a rollback would mark every touched leaf dirty and hash it twice).
   */
  build(
    candidates: WireTx[],
    timestamp: bigint,
  ): { value: Uint8Array; hash: Hex; included: WireTx[]; rejected: { wire: WireTx; err: ProtocolError }[] } {
    this.dropSpeculation();
    // Deposits must precede every L2 transaction (a block rule); callers list them first.
    const firstL2 = candidates.findIndex((w) => w.tx.type !== TxType.DEPOSIT);
    if (firstL2 >= 0 && candidates.slice(firstL2).some((w) => w.tx.type === TxType.DEPOSIT)) {
      return this.buildReordered(candidates, timestamp);
    }
    const height = this.head.height + 1n;
    const ts = timestamp > this.head.timestamp ? timestamp : this.head.timestamp;
    const included: WireTx[] = [];
    const receipts: Receipt[] = [];
    const rejected: { wire: WireTx; err: ProtocolError }[] = [];
    const prevStateRoot = this.state.stateRoot();
    const depositStart = this.state.nextDepositIndex;
    this.state.checkpoint();
    let executed: ExecutedBlock;
    try {
      for (const w of candidates) {
        if (included.length >= this.slots) break;
        try {
          // applyTx checks every rule before writing: a rejected transaction leaves no trace.
          receipts.push(applyTx(this.state, w.tx, { signatureVerified: true }));
          included.push(w);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          rejected.push({ wire: w, err });
        }
      }
      const txs = included.map((w) => w.tx);
      // The block-level rules executeBlock would check (validators replay through it).
      checkBlockShape(txs, this.slots);
      executed = sealBlock(
        this.state,
        txs,
        receipts,
        { height, parentHash: this.head.hash, timestamp: ts, slots: this.slots },
        prevStateRoot,
        depositStart,
      );
    } catch (err) {
      this.state.rollback();
      throw err;
    }
    this.spec = { height, hash: executed.hash, executed, wire: included };
    return {
      value: encodeBlockValue(executed.block.header, included),
      hash: executed.hash,
      included,
      rejected,
    };
  }

  /** build() for candidates that list a deposit after an L2 transaction: trial run, then deposits first. */
  private buildReordered(
    candidates: WireTx[],
    timestamp: bigint,
  ): { value: Uint8Array; hash: Hex; included: WireTx[]; rejected: { wire: WireTx; err: ProtocolError }[] } {
    const height = this.head.height + 1n;
    const included: WireTx[] = [];
    const rejected: { wire: WireTx; err: ProtocolError }[] = [];
    // Trial run without hashing: applyTx is cheap, the tree is only hashed by executeBlock.
    this.state.checkpoint();
    for (const w of candidates) {
      if (included.length >= this.slots) break;
      try {
        applyTx(this.state, w.tx, { signatureVerified: true });
        included.push(w);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        rejected.push({ wire: w, err });
      }
    }
    this.state.rollback();
    included.sort((a, b) => Number(b.tx.type === TxType.DEPOSIT) - Number(a.tx.type === TxType.DEPOSIT));
    const ts = timestamp > this.head.timestamp ? timestamp : this.head.timestamp;
    this.state.checkpoint();
    let executed: ExecutedBlock;
    try {
      executed = executeBlock(
        this.state,
        included.map((w) => w.tx),
        { height, parentHash: this.head.hash, timestamp: ts, slots: this.slots },
        () => true,
      );
    } catch (err) {
      this.state.rollback();
      throw err;
    }
    this.spec = { height, hash: executed.hash, executed, wire: included };
    return {
      value: encodeBlockValue(executed.block.header, included),
      hash: executed.hash,
      included,
      rejected,
    };
  }

  /**
   * Re-executes a proposed block on top of the head and returns its hash if it is exactly the block
   * this node computes. `known` supplies transactions whose signatures were already checked.
   */
  validate(
    height: bigint,
    value: Uint8Array,
    known: (hash: Hex) => Tx | undefined,
    maxFutureSeconds = 30n,
    /** `value` already parsed by the caller (with at most `slots` transactions). */
    preParsed?: ParsedBlockValue,
  ): Hex | null {
    if (height !== this.head.height + 1n) return null;
    let parsed: ParsedBlockValue;
    if (preParsed && preParsed.txs.length <= this.slots) {
      parsed = preParsed;
    } else {
      try {
        parsed = parseBlockValue(value, this.slots);
      } catch {
        return null;
      }
    }
    const h = parsed.header;
    if (h.height !== height || h.chainId !== this.params.chainId || h.parentHash !== this.head.hash)
      return null;
    if (
      h.timestamp < this.head.timestamp ||
      h.timestamp > BigInt(Math.floor(Date.now() / 1000)) + maxFutureSeconds
    )
      return null;
    const hash = blockHash(h);
    if (this.spec && this.spec.height === height && this.spec.hash === hash) {
      this.stats.speculationHits++;
      return hash;
    }
    this.dropSpeculation();
    const txs: Tx[] = [];
    const verified: boolean[] = [];
    const wire: WireTx[] = [];
    try {
      for (const t of parsed.txs) {
        const k = known(t.hash);
        const tx = k ?? decodeWithHint(t.bytes, t.hint);
        txs.push(tx);
        verified.push(k !== undefined);
        if (k === undefined) this.stats.unknownTxs++;
        wire.push({ tx, bytes: t.bytes, hint: t.hint, hash: t.hash });
      }
    } catch {
      return null;
    }
    this.state.checkpoint();
    try {
      const executed = replayBlock(this.state, { header: h, txs }, this.slots, (_tx, i) => verified[i]!);
      this.stats.replays++;
      this.spec = { height, hash: executed.hash, executed, wire };
      return executed.hash;
    } catch (err) {
      this.state.rollback();
      if (!(err instanceof ProtocolError)) throw err;
      this.log.warn({ height: height.toString(), err: err.message }, 'rejected proposal');
      return null;
    }
  }

  /** Persists a decided block (its value must validate on top of the head). */
  async commit(
    height: bigint,
    value: Uint8Array,
    certificate: CommitCertificate,
    known: (hash: Hex) => Tx | undefined,
  ): Promise<CommittedBlock> {
    if (height !== this.head.height + 1n)
      throw new LedgerError(`commit of ${height} on head ${this.head.height}`);
    if (!(this.spec && this.spec.height === height && this.spec.hash === certificate.valueHash)) {
      this.stats.speculationMisses++;
      const hash = this.validate(height, value, known, 1n << 62n);
      if (hash !== certificate.valueHash) {
        throw new LedgerError(
          `certified block ${height} (${certificate.valueHash}) does not execute on this node's state (got ${hash})`,
        );
      }
    }
    const spec = this.spec!;
    this.state.release();
    this.spec = null;
    const { executed } = spec;
    const header = executed.block.header;
    const txHashes = spec.wire.map((w) => w.hash);

    const touched = new Set<number>();
    executed.block.txs.forEach((tx, i) => {
      if (tx.type === TxType.TRANSFER) touched.add(tx.from).add(tx.to);
      else if (tx.type === TxType.WITHDRAW) touched.add(tx.from);
      else if (tx.type === TxType.DEPOSIT) touched.add(tx.to);
      const r = executed.receipts[i];
      if (r && r.type === TxType.REGISTER) touched.add(r.accountIndex);
      const p = privacyTouched(tx);
      if (p !== undefined) touched.add(p);
    });
    const ops: BatchOp[] = [
      { type: 'put', key: `b/${pad(height)}`, value },
      { type: 'put', key: `k/${pad(height)}`, value: encodeCertificate(certificate) },
      { type: 'put', key: `h/${spec.hash}`, value: new Writer(8).u64(height).finish() },
    ];
    txHashes.forEach((th, i) =>
      ops.push({ type: 'put', key: `x/${th}`, value: new Writer(12).u64(height).u32(i).finish() }),
    );
    ops.push({
      type: 'put',
      key: `r/${pad(height)}`,
      value: new TextEncoder().encode(jsonOf(executed.receipts)),
    });
    for (const index of touched) {
      const a = this.state.account(index);
      if (!a) continue;
      this.committed.set(index, a);
      ops.push({ type: 'put', key: accountKey(index), value: encodeAccount(a) });
    }
    this.head = { height, hash: spec.hash, stateRoot: header.stateRoot, timestamp: header.timestamp };
    ops.push(...this.privacy.commitOps(executed.receipts));
    this.privacy.markCommitted();
    ops.push(...this.treeOps(), { type: 'put', key: HEAD_KEY, value: this.encodeHead() });
    await this.kv.write(ops, { sync: true });
    return {
      height,
      hash: spec.hash,
      header,
      txHashes,
      txs: executed.block.txs,
      receipts: executed.receipts,
      certificate,
    };
  }

  private treeOps(): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const [key, v] of this.nodes.drainDirty()) {
      ops.push(
        v === undefined ? { type: 'del', key: `t/${key}` } : { type: 'put', key: `t/${key}`, value: be32(v) },
      );
    }
    return ops;
  }

  private encodeHead(): Uint8Array {
    return new Writer(96)
      .u64(this.head.height)
      .hex(this.head.hash, 32)
      .bytes(be32(this.head.stateRoot))
      .u64(this.head.timestamp)
      .u32(this.state.nextIndex)
      .u64(this.state.nextDepositIndex)
      .finish();
  }

  async blockValue(height: bigint): Promise<Uint8Array | undefined> {
    return this.kv.get(`b/${pad(height)}`);
  }

  async certificate(height: bigint): Promise<CommitCertificate | undefined> {
    const raw = await this.kv.get(`k/${pad(height)}`);
    return raw ? decodeCertificate(raw) : undefined;
  }

  async receipts(height: bigint): Promise<unknown[] | undefined> {
    const raw = await this.kv.get(`r/${pad(height)}`);
    return raw ? JSON.parse(new TextDecoder().decode(raw)) : undefined;
  }

  async heightOf(hash: Hex): Promise<bigint | undefined> {
    const raw = await this.kv.get(`h/${hash.toLowerCase()}`);
    return raw ? new Reader(raw).u64() : undefined;
  }

  async txLocation(hash: Hex): Promise<{ height: bigint; index: number } | undefined> {
    const raw = await this.kv.get(`x/${hash.toLowerCase()}`);
    if (!raw) return undefined;
    const r = new Reader(raw);
    return { height: r.u64(), index: r.u32() };
  }
}

function be(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function jsonOf(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

function accountKey(index: number): string {
  return `a/${index.toString().padStart(10, '0')}`;
}

function encodeAccount(a: Account): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(accountToJson(a)));
}

function decodeAccount(bytes: Uint8Array): Account {
  return accountFromJson(JSON.parse(new TextDecoder().decode(bytes)));
}

/**
 * Runs the block pipeline on scratch state (build and seal a full block of transfers, encode,
 * parse, replay) so that the Poseidon instances it needs are built and its code is optimised
 * before the node serves traffic; otherwise the first loaded blocks pay 1-2 s more and overrun
 * the propose timeout. `template` lends its key and address to every scratch account; `signature`
 * can be any well-formed signature (scratch transactions are applied as already verified).
 */
export function warmUpBlockPath(
  params: ChainParams,
  slots: number,
  template: Account,
  signature: Signature,
  rounds = 2,
): void {
  const capacity = BigInt(params.tree.arity) ** BigInt(params.tree.depth);
  const n = Number(capacity - 1n < 32n ? capacity - 1n : 32n);
  if (n < 2) return;
  const accounts: Account[] = [];
  for (let i = 1; i <= n; i++) accounts.push({ ...template, index: i, nonce: 0n, balance: 10n ** 30n });
  const fresh = () => {
    const s = new L2State(params);
    applyGenesis(s, accounts);
    return { state: s, root: s.stateRoot() };
  };
  for (let round = 0; round < rounds; round++) {
    const nonces = new Map<number, bigint>();
    const wire: WireTx[] = [];
    for (let i = 0; i < slots; i++) {
      const from = (i % n) + 1;
      const nonce = nonces.get(from) ?? 0n;
      nonces.set(from, nonce + 1n);
      wire.push(
        wireFromTx({ type: TxType.TRANSFER, from, to: (from % n) + 1, amount: 1n, nonce, signature }),
      );
    }
    const builder = fresh();
    const depositStart = builder.state.nextDepositIndex;
    const receipts = wire.map((w) => applyTx(builder.state, w.tx, { signatureVerified: true }));
    const executed = sealBlock(
      builder.state,
      wire.map((w) => w.tx),
      receipts,
      { height: 1n, parentHash: GENESIS_PARENT_HASH, timestamp: 1n, slots },
      builder.root,
      depositStart,
    );
    const parsed = parseBlockValue(encodeBlockValue(executed.block.header, wire), slots);
    replayBlock(
      fresh().state,
      { header: parsed.header, txs: parsed.txs.map((t) => decodeWithHint(t.bytes, t.hint)) },
      slots,
      () => true,
    );
  }
}
