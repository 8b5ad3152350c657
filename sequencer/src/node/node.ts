import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { DepositWatcher } from '@tessera/bridge/depositWatcher';
import {
  type Account,
  ProtocolError,
  type Receipt,
  type Tx,
  TxType,
  blockHash,
  chainParams,
  decodeTx,
  signTransfer,
  signedTxMessage,
  txFromJson,
  txToJson,
  verifyPoseidon,
} from '@tessera/core';
import { RocksKV } from '@tessera/core/storage/rocksKV';
import pino from 'pino';
import { http, createPublicClient } from 'viem';
import {
  SignatureVerifier,
  addressOfPrivateKey,
  digestOf,
  fromHex,
  secp256k1Signer,
} from '../consensus/crypto.ts';
import { ConsensusDriver, type DriverEnv } from '../consensus/driver.ts';
import { KVConsensusStore } from '../consensus/kv-store.ts';
import { PrivValidator } from '../consensus/signer.ts';
import {
  type CommitCertificate,
  type ConsensusApp,
  type Hex,
  MsgType,
  NIL_HASH,
  type SignedMessage,
} from '../consensus/types.ts';
import { ConsensusLink } from '../p2p/consensus-link.ts';
import { P2PNetwork, type SyncBlock, devnetPeerKey, peerIdOf } from '../p2p/network.ts';
import type { NodeConfig } from './config.ts';
import { devAccounts } from './genesis.ts';
import { type JournalEntry, TxJournal } from './journal.ts';
import { type CommittedBlock, Ledger, warmUpBlockPath } from './ledger.ts';
import { Mempool, type MempoolConfig, MempoolError, admissionSliceEnd, countRingTxs } from './mempool.ts';
import { NodeMetrics } from './metrics.ts';
import { type RpcServer, startRpc } from './rpc.ts';
import {
  type ParsedBlockValue,
  type WireTx,
  decodeTxBatch,
  decodeWithHint,
  encodeBlockValue,
  encodeTxBatch,
  parseBlockValue,
  wireFromTx,
} from './txwire.ts';

export type TxStatus =
  | { status: 'pending' }
  | { status: 'committed'; height: bigint; index: number; blockHash: Hex }
  | { status: 'rejected' | 'expired'; code: string; message: string; retriable: boolean };

export interface TxOutcome {
  hash: Hex;
  status: TxStatus;
  receipt?: Receipt;
}

/**
 * One sequencer: RocksDB ledger, mempool, Tendermint consensus over libp2p, JSON-RPC. Emits
 * 'block' (CommittedBlock) and 'tx' (TxOutcome) for subscriptions.
 */
/** A client's transaction still pending after this long is gossiped again. */
const REGOSSIP_MS = 2_000;

export class SequencerNode extends EventEmitter {
  readonly log: pino.Logger;
  readonly metrics = new NodeMetrics();
  ledger!: Ledger;
  mempool!: Mempool;
  driver!: ConsensusDriver;
  net!: P2PNetwork;
  link!: ConsensusLink;
  rpc!: RpcServer;
  private kv!: RocksKV;
  /** Transactions acknowledged to this node's clients, on disk until they leave the mempool. */
  private journal!: TxJournal;
  private gossipQueue: WireTx[] = [];
  private gossipTimer: NodeJS.Timeout | null = null;
  private sealTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  /** L1 deposit queue as this node sees it (confirmed); absent on chains without a bridge. */
  private deposits: DepositWatcher | null = null;
  private depositTimer: NodeJS.Timeout | null = null;
  private readonly outcomes = new Map<Hex, TxOutcome>();
  private readonly submittedAt = new Map<Hex, number>();
  /** When a client's pending transaction was last gossiped again (gossip may drop messages). */
  private readonly regossipedAt = new Map<Hex, number>();
  private stopped = false;
  /** When this node last committed a block (ms). */
  private lastCommitAt = 0;
  /** Hashes of pending transactions by their bytes: proposals and gossip skip re-hashing them. */
  private readonly knownHash = (bytes: Uint8Array) => this.mempool.hashOfBytes(bytes);

  private constructor(readonly cfg: NodeConfig) {
    super();
    this.setMaxListeners(10_000);
    this.log = pino({ name: `seq-${cfg.index}`, level: cfg.logLevel });
  }

  static async start(cfg: NodeConfig, opts: { genesis?: Account[] } = {}): Promise<SequencerNode> {
    const node = new SequencerNode(cfg);
    await node.boot(opts.genesis);
    return node;
  }

  get address(): Hex {
    return this.driver.core.self!;
  }

  private async boot(genesis?: Account[]): Promise<void> {
    const cfg = this.cfg;
    await mkdir(cfg.dataDir, { recursive: true });
    // The curve/Poseidon kernels are generated on first use: pay that before serving traffic.
    const probe = devAccounts(`${cfg.genesisSeed}/warmup`, 1)[0]!;
    const warm = signTransfer(probe.l2Key, cfg.chainId, { from: 1, to: 2, amount: 1n, nonce: 0n });
    verifyPoseidon(signedTxMessage(warm, cfg.chainId), warm.signature, probe.account.publicKey);
    const params = chainParams({ chainId: cfg.chainId, tree: cfg.tree });
    const t0 = Date.now();
    warmUpBlockPath(params, cfg.blockMaxTxs, probe.account, warm.signature);
    warmUpAdmission(cfg.chainId, cfg.mempool, probe.l2Key, probe.account);
    this.log.debug({ ms: Date.now() - t0 }, 'block and admission paths warmed up');
    this.kv = await RocksKV.open(cfg.dataDir);
    const accounts = genesis ?? devAccounts(cfg.genesisSeed, cfg.genesisAccounts).map((d) => d.account);
    this.ledger = await Ledger.open(this.kv, params, cfg.blockMaxTxs, accounts, this.log);
    this.mempool = new Mempool(
      cfg.mempool,
      cfg.chainId,
      (i) => this.ledger.committedAccount(i),
      this.ledger.privacy,
    );
    this.journal = new TxJournal(this.kv);
    const journaled = await this.journal.load();

    const keys = await Promise.all(cfg.p2pPorts.map((_, i) => devnetPeerKey(cfg.p2pSeed, i)));
    const infos = keys.map((k, i) => ({
      peerId: peerIdOf(k),
      addr: `/ip4/${cfg.p2pHost}/tcp/${cfg.p2pPorts[i]}`,
    }));
    this.net = await P2PNetwork.create({
      privateKey: keys[cfg.index]!,
      listen: infos[cfg.index]!.addr,
      peers: infos.filter((_, i) => i !== cfg.index),
      chainId: cfg.chainId,
      log: this.log,
    });
    this.link = new ConsensusLink(this.net, {
      blocks: (from, max) => this.syncBlocks(from, max),
      log: this.log,
      self: fromHex(addressOfPrivateKey(cfg.validatorKey)),
      validatorOfPeer: new Map(
        infos.flatMap((p, i) => (cfg.validators[i] ? [[p.peerId, cfg.validators[i]!] as const] : [])),
      ),
    });
    this.net.onTx = (payload) => this.onGossipTxs(payload);
    await this.readmitJournaled(journaled);

    const store = new KVConsensusStore(this.kv);
    const signer = new PrivValidator(cfg.validatorKey, cfg.chainId, store);
    await signer.init();
    const env = this.link.env();
    const driverEnv: DriverEnv = cfg.byzantine ? this.byzantineEnv(env) : env;
    this.driver = new ConsensusDriver({
      validators: cfg.validators,
      chainId: cfg.chainId,
      app: this.consensusApp(),
      store,
      signer,
      env: driverEnv,
      timeouts: cfg.timeouts,
      rebroadcastMs: cfg.rebroadcastMs,
      log: this.log,
      hooks: {
        onSyncNeeded: () => this.link.syncNeeded(),
        onRoundChange: (h, r) => {
          this.metrics.round.set(r);
          if (r > 0) this.log.info({ height: h.toString(), round: r }, 'round change');
        },
        onEvidence: (a, b) =>
          this.log.warn(
            {
              height: a.height.toString(),
              round: a.round,
              type: a.type,
              from: 'validator' in a ? a.validator : a.proposer,
              second: b.type,
            },
            'equivocation seen',
          ),
        onError: (err) => this.log.fatal({ err }, 'consensus stopped'),
      },
    });
    this.link.attach(this.driver);
    this.rpc = await startRpc(this);
    this.metrics.height.set(Number(this.ledger.head.height));
    await this.driver.start(this.ledger.head.height + 1n);
    if (this.mempool.size > 0) this.driver.notifyValueAvailable();
    this.housekeeping = setInterval(() => this.tick(), 500);
    if (cfg.l1) this.startDepositWatcher(cfg.l1);
    this.log.info(
      {
        index: cfg.index,
        address: signer.address,
        height: this.ledger.head.height.toString(),
        rpc: this.rpc.port,
        p2p: cfg.p2pPorts[cfg.index],
      },
      'sequencer started',
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of [this.gossipTimer, this.sealTimer]) if (t) clearTimeout(t);
    if (this.depositTimer) clearInterval(this.depositTimer);
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.log.info(
      {
        p2p: this.net.stats,
        ledger: this.ledger.stats,
        consensus: this.driver.stats,
        verifier:
          this.driver.verifier instanceof SignatureVerifier
            ? { hits: this.driver.verifier.hits, misses: this.driver.verifier.misses }
            : undefined,
        mempool: this.mempool.stats,
      },
      'node statistics',
    );
    this.driver.stop();
    this.link.detach();
    await this.driver.idle();
    await this.rpc.close();
    await this.net.stop();
    await this.journal.flush();
    await this.kv.close();
  }

  // ------------------------------------------------------------------ L1 deposits

  private startDepositWatcher(l1: NonNullable<NodeConfig['l1']>): void {
    const client = createPublicClient({ transport: http(l1.rpcUrl), cacheTime: 0 });
    this.deposits = new DepositWatcher({
      client,
      bridge: l1.bridge,
      confirmations: l1.confirmations,
      fromBlock: l1.fromBlock,
    });
    let polling = false;
    this.depositTimer = setInterval(async () => {
      if (polling || !this.deposits) return;
      polling = true;
      try {
        const added = await this.deposits.poll();
        if (added > 0) {
          this.log.info({ added }, 'confirmed L1 deposits');
          this.driver.notifyValueAvailable();
        }
        this.deposits.prune(this.ledger.nextDepositIndex());
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'L1 deposit poll failed; retrying');
      } finally {
        polling = false;
      }
    }, l1.pollMs);
  }

  /** Every deposit in a proposal must be one this node has itself seen confirmed on L1. */
  private depositsConfirmed(parsed: ParsedBlockValue): boolean {
    for (const t of parsed.txs) {
      if (t.bytes[0] !== TxType.DEPOSIT) continue;
      if (!this.deposits) return false;
      try {
        const tx = decodeTx(t.bytes);
        if (tx.type !== TxType.DEPOSIT || !this.deposits.isConfirmed(tx)) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ consensus application

  private consensusApp(): ConsensusApp {
    return {
      buildProposal: async (height) => this.build(height),
      validateProposal: async (height, value) => {
        const t = Date.now();
        let parsed: ParsedBlockValue;
        try {
          parsed = parseBlockValue(value, this.cfg.blockMaxTxs, this.knownHash);
        } catch {
          return null;
        }
        if (!this.depositsConfirmed(parsed)) {
          this.log.warn(
            { height: height.toString() },
            'proposal carries deposits this node has not seen confirmed on L1',
          );
          return null;
        }
        // The per-block ring cap is a validity rule for proposals, not only the proposer's policy:
        // a faulty proposer must not make every node verify hundreds of ring signatures in a round.
        // (Decided blocks are committed whatever their content: 2f+1 validated them.)
        const rings = countRingTxs(parsed.txs);
        if (rings > this.cfg.mempool.maxRingTxsPerBlock) {
          this.log.warn(
            { height: height.toString(), rings, cap: this.cfg.mempool.maxRingTxsPerBlock },
            'proposal carries more ring transactions than a block may',
          );
          return null;
        }
        const r = this.ledger.validate(height, value, (h) => this.mempool.get(h)?.wire.tx, undefined, parsed);
        this.log.debug(
          { height: height.toString(), ok: r !== null, ms: Date.now() - t, bytes: value.length },
          'validated proposal',
        );
        return r;
      },
      commit: async (height, value, cert) => this.commit(height, value, cert),
    };
  }

  private build(height: bigint): { value: Uint8Array; hash: Hex } | null {
    if (height !== this.ledger.head.height + 1n) return null;
    // L1 deposits first, in queue order: they are forced, L1 refuses batches that skip overdue ones.
    const deposits = this.deposits
      ? this.deposits.pending(this.ledger.nextDepositIndex(), this.cfg.blockMaxTxs).map(wireFromTx)
      : [];
    const candidates = [...deposits, ...this.mempool.candidates(this.cfg.blockMaxTxs - deposits.length)];
    if (candidates.length === 0) return null;
    const now = Date.now();
    const oldest = this.mempool.oldestArrival() ?? now;
    if (deposits.length === 0 && candidates.length < this.cfg.blockMaxTxs) {
      // A non-full block waits until its oldest transaction is sealMs old and minBlockGapMs have
      // passed since the last commit: fewer, fuller blocks cost less (each block is executed by
      // every node, and proven and posted for all its slots whatever its fill).
      const sealAt = Math.max(oldest + this.cfg.sealMs, this.lastCommitAt + this.cfg.minBlockGapMs);
      if (now < sealAt) {
        this.wakeAt(sealAt);
        return null;
      }
    }
    const built = this.ledger.build(candidates, BigInt(Math.floor(now / 1000)));
    this.log.debug(
      {
        height: height.toString(),
        txs: built.included.length,
        rejected: built.rejected.length,
        ms: Date.now() - now,
      },
      'built block',
    );
    for (const { wire, err } of built.rejected) {
      for (const e of this.mempool.evict(wire.hash)) {
        this.finish(e.wire.hash, {
          status: 'rejected',
          code: err.code,
          message: err.message,
          retriable: false,
        });
      }
    }
    if (built.included.length === 0) return null;
    return { value: built.value, hash: built.hash };
  }

  private wakeAt(at: number): void {
    if (this.sealTimer) return;
    this.sealTimer = setTimeout(
      () => {
        this.sealTimer = null;
        this.driver.notifyValueAvailable();
      },
      Math.max(1, at - Date.now()),
    );
  }

  private async commit(height: bigint, value: Uint8Array, cert: CommitCertificate): Promise<void> {
    const t0 = Date.now();
    const block = await this.ledger.commit(height, value, cert, (h) => this.mempool.get(h)?.wire.tx);
    this.log.debug(
      { height: height.toString(), txs: block.txs.length, ms: Date.now() - t0, round: cert.round },
      'committed block',
    );
    const touched = new Set<number>();
    for (const tx of block.txs) {
      if (tx.type === TxType.TRANSFER) touched.add(tx.from);
      else if (tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD) touched.add(tx.from);
    }
    this.mempool.onCommitted(block.txHashes, touched);
    this.journal.remove(block.txHashes);
    const now = Date.now();
    this.lastCommitAt = now;
    block.txHashes.forEach((h, i) => {
      const at = this.submittedAt.get(h);
      if (at !== undefined) {
        this.metrics.commitLatency.observe((now - at) / 1000);
        this.submittedAt.delete(h);
      }
      this.finish(h, { status: 'committed', height, index: i, blockHash: block.hash }, block.receipts[i]);
    });
    this.metrics.recordBlock(block.txs.length, now);
    this.metrics.height.set(Number(height));
    this.metrics.mempool.set(this.mempool.size);
    this.emit('block', block);
    if (this.mempool.size > 0) this.driver.notifyValueAvailable();
  }

  private async syncBlocks(from: bigint, max: number): Promise<SyncBlock[]> {
    const out: SyncBlock[] = [];
    for (let h = from; h <= this.ledger.head.height && out.length < max; h++) {
      const value = await this.ledger.blockValue(h);
      const certificate = await this.ledger.certificate(h);
      if (!value || !certificate) break;
      out.push({ height: h, value, certificate });
    }
    return out;
  }

  // ------------------------------------------------------------------ transactions

  private finish(hash: Hex, status: TxStatus, receipt?: Receipt): void {
    const outcome: TxOutcome = receipt ? { hash, status, receipt } : { hash, status };
    if (status.status !== 'committed') {
      this.journal.remove([hash]);
      this.outcomes.set(hash, outcome);
      if (this.outcomes.size > 100_000) this.outcomes.delete(this.outcomes.keys().next().value!);
      this.submittedAt.delete(hash);
    }
    this.emit('tx', outcome);
    this.emit(`tx:${hash}`, outcome);
  }

  /** Number of acknowledged transactions held in the on-disk journal. */
  get journaled(): number {
    return this.journal.size;
  }

  /**
   * Admits a transaction from a client of this node; throws MempoolError/ProtocolError if refused.
   * Resolves once the transaction is journaled on disk: an acknowledged transaction survives a
   * crash of this node before it is gossiped or included.
   */
  async submit(wire: WireTx): Promise<Hex> {
    const before = this.mempool.size;
    const known = this.mempool.has(wire.hash);
    try {
      this.mempool.add(wire, Date.now(), true);
    } catch (err) {
      this.metrics.rejected.inc({ reason: (err as { code?: string }).code ?? 'ERROR' });
      throw err;
    }
    if (!this.journal.has(wire.hash)) {
      try {
        await this.journal.append({ hash: wire.hash, bytes: wire.bytes, hint: wire.hint });
      } catch (err) {
        this.log.error({ err, hash: wire.hash }, 'could not journal a transaction');
        if (!known) this.mempool.evict(wire.hash);
        throw new MempoolError(
          'NOT_DURABLE',
          'the node could not record the transaction on disk; resubmit',
          true,
        );
      }
    }
    if (!known) {
      this.submittedAt.set(wire.hash, Date.now());
      this.outcomes.delete(wire.hash);
      this.queueGossip(wire);
      this.metrics.mempool.set(this.mempool.size);
      if (before === 0) this.driver.notifyValueAvailable();
    }
    return wire.hash;
  }

  /**
   * Gossips again this node's clients' transactions that are still pending after REGOSSIP_MS: a
   * gossip message can be lost (no peer connected yet after a restart, a dropped frame), and a
   * transaction only this node holds waits for this node's turn to propose, or longer if the chain
   * is otherwise idle.
   */
  private regossipStale(now: number): void {
    for (const h of this.regossipedAt.keys()) if (!this.submittedAt.has(h)) this.regossipedAt.delete(h);
    let sent = 0;
    for (const [h, at] of this.submittedAt) {
      if (sent >= 500) break;
      if (now - (this.regossipedAt.get(h) ?? at) < REGOSSIP_MS) continue;
      const e = this.mempool.get(h);
      if (!e) continue;
      this.regossipedAt.set(h, now);
      this.queueGossip(e.wire);
      sent++;
    }
  }

  /**
   * Puts the journaled transactions of a previous run back into the mempool (full admission checks)
   * and gossips them; committed, outdated or invalid ones are dropped from the journal.
   */
  private async readmitJournaled(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    const dropped: Hex[] = [];
    for (const e of entries) {
      try {
        const wire = wireFromTx(decodeWithHint(e.bytes, e.hint));
        if (wire.hash !== e.hash || (await this.ledger.txLocation(e.hash)) !== undefined) {
          dropped.push(e.hash);
          continue;
        }
        this.mempool.add(wire, now, true);
        this.submittedAt.set(wire.hash, now);
        this.queueGossip(wire);
      } catch {
        dropped.push(e.hash);
      }
    }
    this.journal.remove(dropped);
    this.metrics.mempool.set(this.mempool.size);
    this.log.info(
      { readmitted: entries.length - dropped.length, dropped: dropped.length },
      'journaled transactions re-admitted',
    );
  }

  private queueGossip(wire: WireTx): void {
    this.gossipQueue.push(wire);
    if (this.gossipQueue.length >= 200) this.flushGossip();
    else if (!this.gossipTimer) this.gossipTimer = setTimeout(() => this.flushGossip(), 10);
  }

  private flushGossip(): void {
    if (this.gossipTimer) clearTimeout(this.gossipTimer);
    this.gossipTimer = null;
    if (this.gossipQueue.length === 0) return;
    this.net.publishTx(encodeTxBatch(this.gossipQueue));
    this.gossipQueue = [];
  }

  private onGossipTxs(payload: Uint8Array): void {
    let items: ReturnType<typeof decodeTxBatch>;
    try {
      items = decodeTxBatch(payload, undefined, this.knownHash);
    } catch {
      return;
    }
    this.admitGossiped(items, 0);
  }

  /**
   * Signature checks cost ~0.5-1 ms each: admit gossiped transactions in slices, yielding between
   * them so consensus messages are never stuck behind a large batch.
   */
  private admitGossiped(items: ReturnType<typeof decodeTxBatch>, from: number): void {
    if (this.stopped) return;
    const end = admissionSliceEnd(items, from);
    const slice = items.slice(from, end);
    if (end < items.length) setImmediate(() => this.admitGossiped(items, end));
    const before = this.mempool.size;
    const now = Date.now();
    for (const it of slice) {
      if (this.mempool.has(it.hash)) continue;
      try {
        const tx = decodeWithHint(it.bytes, it.hint);
        this.mempool.add({ tx, bytes: it.bytes, hint: it.hint, hash: it.hash }, now, false);
      } catch (err) {
        if (!(err instanceof ProtocolError || err instanceof MempoolError))
          this.log.debug({ err }, 'bad gossiped tx');
      }
    }
    this.metrics.mempool.set(this.mempool.size);
    if (before === 0 && this.mempool.size > 0) this.driver.notifyValueAvailable();
  }

  async txStatus(hash: Hex): Promise<TxOutcome | null> {
    const h = hash.toLowerCase() as Hex;
    if (this.mempool.has(h)) return { hash: h, status: { status: 'pending' } };
    const loc = await this.ledger.txLocation(h);
    if (loc) {
      const hashOfBlock = (await this.blockAt(loc.height))?.hash;
      return {
        hash: h,
        status: {
          status: 'committed',
          height: loc.height,
          index: loc.index,
          blockHash: hashOfBlock ?? NIL_HASH,
        },
      };
    }
    return this.outcomes.get(h) ?? null;
  }

  /** Resolves when `hash` is committed or dropped (or after `ms`, as expired). */
  waitFor(hash: Hex, ms: number): Promise<TxOutcome> {
    return new Promise((resolve) => {
      const done = (o: TxOutcome) => {
        clearTimeout(timer);
        this.off(`tx:${hash}`, done);
        resolve(o);
      };
      const timer = setTimeout(
        () =>
          done({
            hash,
            status: {
              status: 'expired',
              code: 'TIMEOUT',
              message: `not committed within ${ms} ms`,
              retriable: true,
            },
          }),
        ms,
      );
      this.on(`tx:${hash}`, done);
    });
  }

  async blockAt(
    height: bigint,
  ): Promise<{ height: bigint; hash: Hex; value: Uint8Array; certificate: CommitCertificate } | null> {
    if (height < 1n || height > this.ledger.head.height) return null;
    const value = await this.ledger.blockValue(height);
    const certificate = await this.ledger.certificate(height);
    if (!value || !certificate) return null;
    return { height, hash: certificate.valueHash, value, certificate };
  }

  private tick(): void {
    const now = Date.now();
    for (const e of this.mempool.expire(now)) {
      this.metrics.rejected.inc({ reason: 'EXPIRED' });
      this.finish(e.wire.hash, {
        status: 'expired',
        code: 'DEADLINE',
        message: `not included within ${this.cfg.mempool.deadlineMs} ms; resubmit`,
        retriable: true,
      });
    }
    this.regossipStale(now);
    // Whatever left the mempool without a commit or an outcome (a later nonce replaced it, a
    // committed nonce made it stale) leaves the journal too.
    this.journal.remove(this.journal.hashes().filter((h) => !this.mempool.has(h)));
    this.metrics.mempool.set(this.mempool.size);
    this.metrics.peers.set(this.net.connectedValidators().length);
  }

  status() {
    const s = this.driver.status();
    return {
      node: this.cfg.index,
      validator: this.address,
      height: this.ledger.head.height.toString(),
      headHash: this.ledger.head.hash,
      stateRoot: this.ledger.head.stateRoot.toString(),
      consensusHeight: s.height.toString(),
      round: s.round,
      step: s.step,
      peers: this.net.connectedValidators().length,
      mempool: this.mempool.size,
      syncing: s.height > this.ledger.head.height + 1n,
    };
  }

  // ------------------------------------------------------------------ fault injection (tests)

  /** Test-only Byzantine behaviour: every proposal gets a conflicting twin, every vote a conflicting one. */
  private byzantineEnv(env: DriverEnv): DriverEnv {
    const raw = secp256k1Signer(this.cfg.validatorKey);
    const sign = <T extends SignedMessage>(m: T): T => ({
      ...m,
      signature: raw.signDigest(digestOf(this.cfg.chainId, m)),
    });
    return {
      ...env,
      broadcast: (msg) => {
        env.broadcast(msg);
        if (msg.type === MsgType.Proposal && this.cfg.byzantine === 'equivocate') {
          // Same transactions, another timestamp: a second valid block for the same slot.
          const p = parseBlockValue(msg.value);
          const header = { ...p.header, timestamp: p.header.timestamp + 1n };
          const value = encodeBlockValue(
            header,
            p.txs.map((t) => ({
              tx: undefined as unknown as Tx,
              bytes: t.bytes,
              hint: t.hint,
              hash: t.hash,
            })),
          );
          env.broadcast(sign({ ...msg, value, valueHash: blockHash(header) }));
        } else if (msg.type !== MsgType.Proposal && this.cfg.byzantine === 'doublevote') {
          const other: Hex = msg.valueHash === NIL_HASH ? `0x${'ab'.repeat(32)}` : NIL_HASH;
          env.broadcast(sign({ ...msg, valueHash: other }));
        }
      },
    };
  }
}

export type { CommittedBlock };

/**
 * Runs the admission path of transfers (JSON decoding, wire encoding, a gossip batch round trip,
 * mempool admission with its signature check, candidate selection) `count` times on a scratch
 * mempool, so that its code is optimised before the node serves traffic: a cluster that starts
 * under full load otherwise spends its first seconds compiling while a backlog builds up.
 * `account` lends its key to every scratch account; returns the number admitted (all of them).
 */
export function warmUpAdmission(
  chainId: bigint,
  cfg: MempoolConfig,
  key: Uint8Array,
  account: Account,
  count = 256,
): number {
  const accounts = 16;
  const limits = { ...cfg, maxSize: count + 1, perAccountPending: count, nonceWindow: count };
  const pool = new Mempool(limits, chainId, (i) =>
    i >= 1 && i <= accounts ? { ...account, index: i, nonce: 0n } : undefined,
  );
  const wires: WireTx[] = [];
  for (let k = 0; k < count; k++) {
    const from = (k % accounts) + 1;
    const nonce = BigInt(Math.floor(k / accounts));
    const tx = signTransfer(key, chainId, { from, to: (from % accounts) + 1, amount: 1n, nonce });
    wires.push(wireFromTx(txFromJson(JSON.parse(JSON.stringify(txToJson(tx))))));
  }
  let admitted = 0;
  for (const it of decodeTxBatch(encodeTxBatch(wires), count, (b) => pool.hashOfBytes(b))) {
    pool.add(
      { tx: decodeWithHint(it.bytes, it.hint), bytes: it.bytes, hint: it.hint, hash: it.hash },
      0,
      false,
    );
    admitted++;
  }
  pool.candidates(count);
  return admitted;
}
