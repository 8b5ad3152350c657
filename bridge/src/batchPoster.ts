// Posts certified L2 blocks to the L1 rollup, in order, each exactly once, then their proofs.
//
// Every iteration reconciles with L1 instead of trusting local memory: it reads the rollup's
// committed and verified heads, compares the committed head's block hash with what the sequencers
// certified, and only then sends the one transaction that extends the head. The contract refuses
// replays and gaps (`WrongHeight`), the transaction manager refuses a second transaction for the
// same purpose, and its journal survives restarts — so a batch is never posted twice, and a batch
// dropped by an L1 reorg is posted again.
import { tesseraRollupAbi } from '@tessera/contracts';
import { type Address, type Hex, type PublicClient, encodeFunctionData } from 'viem';
import type { BlockSource, CertifiedBlock } from './blockSource.ts';
import { l1Certificate } from './certificate.ts';
import { BridgeError, ConfigError, DivergenceError, SimulationRevertedError } from './errors.ts';
import { type Logger, str } from './log.ts';
import type { BridgeMetrics } from './metrics.ts';
import type { ProofSource } from './proofSource.ts';
import type { L2Replica } from './replica.ts';
import { DEFAULT_RETRY, type RetryOptions, backoffDelay, sleep, withRetry } from './retry.ts';
import type { TxEvent, TxManager } from './txManager.ts';

export type BatchPosterOptions = {
  client: PublicClient;
  rollup: Address;
  txs: TxManager;
  source: BlockSource;
  replica: L2Replica;
  /** Reopens the replica from its store after a failed write (memory ahead of disk). */
  reopenReplica?: () => Promise<L2Replica>;
  proofs?: ProofSource;
  log: Logger;
  metrics?: BridgeMetrics;
  /** How far the replica may run ahead of the L1 committed head (prepared batches kept on disk). */
  lookahead?: number;
  /** Prepared batches this far below the verified head are deleted. */
  pruneMargin?: bigint;
  pollIntervalMs?: number;
  retry?: RetryOptions;
};

export type L1Heads = { committed: bigint; verified: bigint };

export type PosterTick = { heads: L1Heads; replicaHeight: bigint; sent: string[]; cancelled: string[] };

/** A commit or verify whose height L1 already has (someone else's transaction did the work). */
function obsolete(id: string, heads: L1Heads): boolean {
  const [kind, h] = id.split(':');
  if (h === undefined || !/^[0-9]+$/.test(h)) return false;
  const height = BigInt(h);
  return (kind === 'commit' && height <= heads.committed) || (kind === 'verify' && height <= heads.verified);
}

export class BatchPoster {
  private chainId!: bigint;
  private replica: L2Replica;

  private constructor(private readonly o: BatchPosterOptions) {
    this.replica = o.replica;
    o.txs.onEvent((e) => this.onTxEvent(e));
  }

  /** Checks that the replica and the rollup describe the same chain before anything is sent. */
  static async create(o: BatchPosterOptions): Promise<BatchPoster> {
    const p = new BatchPoster(o);
    const read = p.reader();
    const [chainId, slots] = await Promise.all([read('l2ChainId'), read('slots')]);
    if (chainId !== o.replica.state.chainId)
      throw new ConfigError(`rollup is for L2 chain ${chainId}, the replica for ${o.replica.state.chainId}`);
    if (slots !== BigInt(o.replica.slots))
      throw new ConfigError(`rollup batches have ${slots} slots, the replica ${o.replica.slots}`);
    const genesis = await o.replica.genesisRoot();
    if (genesis !== undefined) {
      const b0 = await o.client.readContract({
        address: o.rollup,
        abi: tesseraRollupAbi,
        functionName: 'batch',
        args: [0n],
      });
      if (b0.stateRoot !== genesis)
        throw new ConfigError(
          `rollup genesis state root ${b0.stateRoot} differs from the replica's ${genesis} (wrong genesis accounts?)`,
        );
    }
    p.chainId = chainId;
    return p;
  }

  private reader() {
    const { client, rollup } = this.o;
    return <F extends 'l2ChainId' | 'slots' | 'committedHeight' | 'verifiedHeight'>(functionName: F) =>
      client.readContract({ address: rollup, abi: tesseraRollupAbi, functionName }) as Promise<bigint>;
  }

  get replicaHeight(): bigint {
    return this.replica.height;
  }

  private onTxEvent(e: TxEvent): void {
    const { log, metrics } = this.o;
    if (e.type !== 'confirmed' || (e.tx.kind !== 'commit' && e.tx.kind !== 'verify')) return;
    if (e.tx.cancelled) return;
    if (e.receipt.status === 'success') {
      if (e.tx.kind === 'commit') metrics?.batchesCommitted.inc();
      else metrics?.batchesVerified.inc();
      log.info(
        { id: e.tx.id, block: str(e.receipt.blockNumber), gasUsed: str(e.receipt.gasUsed) },
        `batch ${e.tx.kind} final on L1`,
      );
    } else {
      log.error(
        { id: e.tx.id, hash: e.receipt.transactionHash },
        `batch ${e.tx.kind} reverted on L1 (another submitter won the race, or the chain moved)`,
      );
    }
  }

  async heads(): Promise<L1Heads> {
    const read = this.reader();
    const [committed, verified] = await Promise.all([read('committedHeight'), read('verifiedHeight')]);
    this.o.metrics?.l1CommittedHeight.set(Number(committed));
    this.o.metrics?.l1VerifiedHeight.set(Number(verified));
    return { committed, verified };
  }

  private async l1Batch(height: bigint) {
    return this.o.client.readContract({
      address: this.o.rollup,
      abi: tesseraRollupAbi,
      functionName: 'batch',
      args: [height],
    });
  }

  /** One reconciliation step. Safe to call at any time, any number of times. */
  async tick(): Promise<PosterTick> {
    const { txs, log } = this.o;
    if (this.replica.broken) {
      if (!this.o.reopenReplica)
        throw new BridgeError('STORE', 'replica write failed and no reopen hook is configured');
      this.replica = await this.o.reopenReplica();
    }
    let heads = await this.heads();
    const cancelled: string[] = [];
    const events = await txs.poll({ obsolete: (t) => obsolete(t.id, heads) });
    for (const e of events) if (e.type === 'cancelled') cancelled.push(e.tx.id);
    // Polling may have seen a reorg or an inclusion: decide on fresh heads.
    heads = await this.heads();
    const out: PosterTick = { heads, replicaHeight: this.replica.height, sent: [], cancelled };

    // L1's committed head must be the block the cluster certified at that height.
    if (heads.committed > 0n && heads.committed <= this.replica.height) {
      const prepared = await this.replica.prepared(heads.committed);
      if (prepared) {
        const onL1 = await this.l1Batch(heads.committed);
        if (onL1.blockHash !== prepared.blockHash) {
          throw new DivergenceError(
            `L1 block ${heads.committed} is ${onL1.blockHash}, the sequencers certified ${prepared.blockHash}`,
          );
        }
      }
    }
    for (const t of txs.unmined()) {
      if (!t.cancelled && obsolete(t.id, heads) && (await txs.cancel(t.id))) out.cancelled.push(t.id);
    }

    await this.syncReplica(heads);
    out.replicaHeight = this.replica.height;

    if (txs.unmined('commit').length === 0 && heads.committed < this.replica.height) {
      const id = await this.postCommit(heads.committed + 1n);
      if (id) out.sent.push(id);
    }
    if (this.o.proofs && txs.unmined('verify').length === 0 && heads.verified < heads.committed) {
      const id = await this.postVerify(heads.verified + 1n);
      if (id) out.sent.push(id);
    }
    const margin = this.o.pruneMargin ?? 64n;
    if (heads.verified > margin) {
      const pruned = await this.replica.prune(heads.verified - margin);
      if (pruned) log.debug({ pruned }, 'pruned prepared batches');
    }
    return out;
  }

  /** Replays certified blocks until the replica is `lookahead` blocks past L1 (or at the L2 head). */
  private async syncReplica(heads: L1Heads): Promise<void> {
    const { source, metrics } = this.o;
    const retry = this.o.retry ?? DEFAULT_RETRY;
    const l2Head = await withRetry('sequencer head', () => source.head(), retry);
    metrics?.l2Height.set(Number(l2Head));
    const limit = heads.committed + BigInt(this.o.lookahead ?? 32);
    const target = l2Head < limit ? l2Head : limit;
    while (this.replica.height < target) {
      const height = this.replica.height + 1n;
      const block: CertifiedBlock | null = await withRetry(
        `block ${height}`,
        () => source.block(height),
        retry,
      );
      if (!block) break;
      if (height <= heads.committed) {
        // Catching up behind L1 (fresh poster, or another poster did the work): L1 must agree.
        const onL1 = await this.l1Batch(height);
        if (onL1.blockHash !== block.hash) {
          throw new DivergenceError(
            `L1 block ${height} is ${onL1.blockHash}, the sequencers serve ${block.hash}`,
          );
        }
      }
      await this.replica.apply(block);
      metrics?.replicaHeight.set(Number(this.replica.height));
    }
  }

  private async postCommit(height: bigint): Promise<string | undefined> {
    const { client, rollup, txs, log } = this.o;
    const p = await this.replica.prepared(height);
    if (!p) {
      log.error({ height: str(height) }, 'no prepared batch for the next height (pruned?)');
      return undefined;
    }
    const sequencers = await client.readContract({
      address: rollup,
      abi: tesseraRollupAbi,
      functionName: 'sequencers',
    });
    const certificate = await l1Certificate(p.certificate, this.chainId, sequencers);
    const data = encodeFunctionData({
      abi: tesseraRollupAbi,
      functionName: 'commitBatch',
      args: [
        p.header,
        p.depositCount,
        p.records,
        p.registrations,
        p.exits,
        { round: certificate.round, signatures: certificate.signatures },
      ],
    });
    return this.send(`commit:${height}`, 'commit', data);
  }

  private async postVerify(height: bigint): Promise<string | undefined> {
    const { log, metrics } = this.o;
    const proof = await this.o.proofs!.getProof(height);
    if (!proof) return undefined;
    const onL1 = await this.l1Batch(height);
    if (proof.publicInput !== onL1.publicInput) {
      metrics?.simulationReverts.inc({ error: 'PublicInputMismatch' });
      log.error(
        { height: str(height), proof: str(proof.publicInput), l1: str(onL1.publicInput) },
        'proof is for another public input than the committed batch; not sending',
      );
      return undefined;
    }
    const data = encodeFunctionData({
      abi: tesseraRollupAbi,
      functionName: 'verifyBatch',
      args: [height, { a: proof.a, b: proof.b, c: proof.c }],
    });
    return this.send(`verify:${height}`, 'verify', data);
  }

  private async send(id: string, kind: string, data: Hex): Promise<string | undefined> {
    const { txs, rollup, log } = this.o;
    try {
      await txs.send({ id, kind, to: rollup, data, abi: tesseraRollupAbi });
      return id;
    } catch (err) {
      if (!(err instanceof SimulationRevertedError)) throw err;
      const quiet = ['WrongHeight', 'NotNextToVerify'];
      const level = quiet.includes(err.errorName ?? '')
        ? 'info'
        : err.errorName === 'EnforcedPause' || err.errorName === 'SystemFrozen'
          ? 'warn'
          : 'error';
      log[level](
        { id, error: err.errorName, args: err.args.map(String) },
        `${kind} not sent: the rollup would revert`,
      );
      return undefined;
    }
  }

  /** Runs `tick` every `pollIntervalMs` until `signal` aborts; fatal errors end the loop. */
  async run(signal: AbortSignal): Promise<void> {
    const { log, metrics } = this.o;
    const interval = this.o.pollIntervalMs ?? 2_000;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.tick();
        failures = 0;
        metrics?.healthy.set({ service: 'poster' }, 1);
        await sleep(interval, signal);
      } catch (err) {
        metrics?.loopErrors.inc({ service: 'poster' });
        if (err instanceof BridgeError && err.fatal) {
          metrics?.healthy.set({ service: 'poster' }, 0);
          log.fatal({ err }, 'batch poster stopped');
          throw err;
        }
        failures++;
        if (failures >= 3) metrics?.healthy.set({ service: 'poster' }, 0);
        const delay = backoffDelay(failures, interval, 60_000);
        log.warn(
          { err: (err as Error).message, failures, retryInMs: delay },
          'batch poster iteration failed',
        );
        await sleep(delay, signal);
      }
    }
  }
}
