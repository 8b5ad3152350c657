/**
 * The prover service: claims block jobs from the shared queue, rebuilds the block's witness with
 * core's state transition from the job's pre-state witness, proves it in the worker pool, checks
 * the proof and stores it. Several services (processes, hosts on a shared file system) can work
 * the same queue; leases make each job run once at a time, and a crashed prover's job is taken
 * over when its lease expires (immediately by a restarted process with the same owner id).
 */
import { hostname } from 'node:os';
import {
  type BatchParams,
  type CircuitKeys,
  WitnessError,
  buildBlockWitness,
  paramsLabel,
  proofToSolidity,
  setupCircuit,
  stateFromPreState,
} from '@tessera/circuits';
import { ProtocolError } from '@tessera/core';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import * as snarkjs from 'snarkjs';
import {
  type ProofResult,
  type ProveJob,
  chainParamsFromJson,
  decodeJobBlock,
  proveJobSchema,
} from './job.ts';
import { ProverPool, ProverWorkerError } from './pool.ts';
import { FileJobQueue, type Lease, LeaseLostError } from './queue.ts';

/** A job that can never succeed (bad data): failed at once, never retried. */
export class JobRejectedError extends Error {
  override readonly name = 'JobRejectedError';
  constructor(
    readonly code:
      | 'MALFORMED_JOB'
      | 'MALFORMED_BLOCK'
      | 'CIRCUIT_MISMATCH'
      | 'PRESTATE_MISMATCH'
      | 'INVALID_BLOCK'
      | 'HEADER_MISMATCH'
      | 'CIRCUIT_REJECTED',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A produced proof failed its own check (retried: it points at a prover fault, not at the data). */
export class ProofCheckError extends Error {
  override readonly name = 'ProofCheckError';
  readonly code = 'PROOF_CHECK_FAILED';
}

export type ProverEvent =
  | { type: 'claimed'; id: string; attempt: number }
  | { type: 'stage'; id: string; stage: 'witness' | 'prove' | 'verify'; elapsedMs: number }
  | { type: 'done'; id: string; timings: Record<string, number> }
  | { type: 'failed'; id: string; code: string; message: string; permanent: boolean };

export type ProverServiceOptions = {
  queueDir: string;
  circuit: BatchParams;
  /** Stable id of this prover process; a restarted process with the same id resumes its jobs. */
  owner?: string;
  /** Prover worker threads (default 1). */
  workers?: number;
  /** Curve threads per worker (default: CPU count; 1 = single-threaded). */
  threads?: number;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  pollMs?: number;
  logger?: Logger;
  onEvent?: (e: ProverEvent) => void;
  /** Keys already set up (tests, benchmarks). */
  keys?: CircuitKeys;
};

export class ProverService {
  readonly registry = new Registry();
  private readonly jobsTotal: Counter;
  private readonly jobSeconds: Histogram;
  private readonly activeJobs: Gauge;
  private readonly active = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  private constructor(
    readonly queue: FileJobQueue<ProveJob, ProofResult>,
    readonly pool: ProverPool,
    readonly keys: CircuitKeys,
    readonly owner: string,
    private readonly log: Logger,
    private readonly opts: ProverServiceOptions,
  ) {
    this.jobsTotal = new Counter({
      name: 'tessera_prover_jobs_total',
      help: 'Proving jobs finished, by result',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.jobSeconds = new Histogram({
      name: 'tessera_prover_stage_seconds',
      help: 'Time per proving stage',
      labelNames: ['stage'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [this.registry],
    });
    this.activeJobs = new Gauge({
      name: 'tessera_prover_active_jobs',
      help: 'Jobs being proven',
      registers: [this.registry],
    });
  }

  static async start(opts: ProverServiceOptions): Promise<ProverService> {
    const log = opts.logger ?? pino({ name: 'prover', level: process.env.LOG_LEVEL ?? 'info' });
    const keys = opts.keys ?? (await setupCircuit(opts.circuit, { log: (m) => log.info(m) }));
    const queue = await FileJobQueue.open<ProveJob, ProofResult>(opts.queueDir, {
      leaseMs: opts.leaseMs,
      maxAttempts: opts.maxAttempts,
      backoffMs: opts.backoffMs,
    });
    const pool = await ProverPool.start(
      { zkey: keys.zkey, wasm: keys.wasm, threads: opts.threads },
      opts.workers,
    );
    const owner = opts.owner ?? `${hostname()}-${process.pid}`;
    log.info(
      { owner, circuit: paramsLabel(opts.circuit), hash: keys.hash, workers: pool.size },
      'prover ready',
    );
    return new ProverService(queue, pool, keys, owner, log, opts);
  }

  /** Start claiming jobs, up to one per worker at a time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.runLoop();
  }

  private async runLoop(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 500;
    while (this.running) {
      if (this.active.size < this.pool.size) {
        const claimed = await this.queue.claim(this.owner).catch((err) => {
          this.log.error({ err }, 'claim failed');
          return undefined;
        });
        if (claimed) {
          const p = this.process(claimed.lease, claimed.status.attempts).finally(() => {
            this.active.delete(p);
            this.wake?.();
          });
          this.active.add(p);
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Prove jobs until the queue has nothing runnable left (tests, benchmarks). */
  async drain(): Promise<void> {
    for (;;) {
      while (this.active.size < this.pool.size) {
        const claimed = await this.queue.claim(this.owner);
        if (!claimed) break;
        const p = this.process(claimed.lease, claimed.status.attempts).finally(() => this.active.delete(p));
        this.active.add(p);
      }
      if (this.active.size === 0) return;
      await Promise.race(this.active);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.active]);
    await this.pool.close();
  }

  private emit(e: ProverEvent): void {
    this.opts.onEvent?.(e);
  }

  private async process(lease: Lease, attempt: number): Promise<void> {
    const id = lease.id;
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    this.activeJobs.inc();
    this.emit({ type: 'claimed', id, attempt });
    this.log.info({ id, attempt }, 'job claimed');
    let current = lease;
    let lost = false;
    const heartbeat = setInterval(
      () => {
        this.queue.renew(current).then(
          (l) => {
            current = l;
          },
          (err) => {
            if (err instanceof LeaseLostError) lost = true;
            this.log.warn({ id, err: String(err) }, 'lease renewal failed');
          },
        );
      },
      Math.max(200, this.queue.leaseMs / 3),
    );
    try {
      const result = await this.prove(id, timings, t0);
      if (lost) throw new LeaseLostError(`lease on ${id} lost while proving`);
      timings.totalMs = performance.now() - t0;
      await this.queue.complete(current, { ...result, timings }, timings);
      this.jobsTotal.inc({ result: 'done' });
      this.emit({ type: 'done', id, timings });
      this.log.info({ id, timings: roundAll(timings) }, 'job proven');
    } catch (err) {
      const permanent = err instanceof JobRejectedError;
      const code =
        err instanceof JobRejectedError || err instanceof ProverWorkerError
          ? err.code
          : ((err as { code?: string }).code ?? 'ERROR');
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof LeaseLostError) {
        this.log.warn({ id }, 'lease lost; another prover owns the job now');
      } else {
        const status = await this.queue.fail(current, { code, message }, permanent).catch(() => undefined);
        this.jobsTotal.inc({ result: status?.state === 'failed' ? 'failed' : 'retry' });
        this.emit({ type: 'failed', id, code, message, permanent: status?.state === 'failed' });
        this.log.error({ id, code, message, permanent, state: status?.state }, 'job failed');
      }
    } finally {
      clearInterval(heartbeat);
      this.activeJobs.dec();
    }
  }

  private async prove(
    id: string,
    timings: Record<string, number>,
    t0: number,
  ): Promise<Omit<ProofResult, 'timings'>> {
    // ---- validate the job
    let job: ProveJob;
    try {
      const parsed = proveJobSchema.safeParse(JSON.parse(await this.queue.jobText(id)));
      if (!parsed.success) {
        throw new JobRejectedError(
          'MALFORMED_JOB',
          parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
        );
      }
      job = parsed.data;
    } catch (err) {
      if (err instanceof JobRejectedError) throw err;
      throw new JobRejectedError('MALFORMED_JOB', `not valid JSON: ${(err as Error).message}`);
    }
    let block: ReturnType<typeof decodeJobBlock>;
    try {
      block = decodeJobBlock(job);
    } catch (err) {
      throw new JobRejectedError('MALFORMED_BLOCK', `block bytes do not decode: ${(err as Error).message}`);
    }
    if (block.header.height.toString() !== job.height) {
      throw new JobRejectedError(
        'MALFORMED_BLOCK',
        `job height ${job.height} ≠ block height ${block.header.height}`,
      );
    }
    const chain = chainParamsFromJson(job.chain);
    const c = this.opts.circuit;
    if (
      chain.chainId !== c.chainId ||
      chain.tree.arity !== c.arity ||
      chain.tree.depth !== c.depth ||
      block.header.chainId !== c.chainId
    ) {
      throw new JobRejectedError(
        'CIRCUIT_MISMATCH',
        `block of chain ${chain.chainId} with tree ${chain.tree.arity}^${chain.tree.depth}; prover circuit is ${paramsLabel(c)}`,
      );
    }
    if (block.txs.length > c.slots) {
      throw new JobRejectedError(
        'CIRCUIT_MISMATCH',
        `block has ${block.txs.length} transactions, the circuit ${c.slots} slots`,
      );
    }

    // ---- witness from core's state transition
    let witness: ReturnType<typeof buildBlockWitness>;
    try {
      const state = stateFromPreState(chain, job.preState);
      const root = state.stateRoot();
      if (root !== block.header.prevStateRoot) {
        throw new JobRejectedError(
          'PRESTATE_MISMATCH',
          `pre-state root ${root} ≠ header prevStateRoot ${block.header.prevStateRoot}`,
        );
      }
      witness = buildBlockWitness(state, block.txs, c);
    } catch (err) {
      if (err instanceof JobRejectedError) throw err;
      if (err instanceof ProtocolError) throw new JobRejectedError('INVALID_BLOCK', err.message);
      if (err instanceof WitnessError) {
        throw new JobRejectedError(
          err.code === 'BAD_PRESTATE' ? 'PRESTATE_MISMATCH' : 'INVALID_BLOCK',
          err.message,
        );
      }
      throw err;
    }
    const h = block.header;
    if (witness.stateRoot !== h.stateRoot) {
      throw new JobRejectedError(
        'HEADER_MISMATCH',
        `executed state root ${witness.stateRoot} ≠ header ${h.stateRoot}`,
      );
    }
    if (
      witness.commitment.dataHash !== h.dataHash ||
      witness.commitment.dataCommitment !== h.dataCommitment
    ) {
      throw new JobRejectedError('HEADER_MISMATCH', 'data hash / data commitment differ from the header');
    }
    timings.witnessInputMs = performance.now() - t0;
    this.jobSeconds.observe({ stage: 'witness_input' }, timings.witnessInputMs / 1000);
    this.emit({ type: 'stage', id, stage: 'prove', elapsedMs: performance.now() - t0 });

    // ---- prove in the pool
    let r: Awaited<ReturnType<ProverPool['prove']>>;
    try {
      r = await this.pool.prove(witness.input);
    } catch (err) {
      if (err instanceof ProverWorkerError && err.code === 'UNSATISFIED') {
        throw new JobRejectedError('CIRCUIT_REJECTED', err.message);
      }
      throw err;
    }
    timings.witnessMs = r.witnessMs;
    timings.proveMs = r.proveMs;
    this.jobSeconds.observe({ stage: 'witness' }, r.witnessMs / 1000);
    this.jobSeconds.observe({ stage: 'prove' }, r.proveMs / 1000);

    // ---- check before publishing
    this.emit({ type: 'stage', id, stage: 'verify', elapsedMs: performance.now() - t0 });
    const tv = performance.now();
    if (r.publicSignals[0] !== witness.publicInput.toString()) {
      throw new ProofCheckError(`proof public input ${r.publicSignals[0]} ≠ expected ${witness.publicInput}`);
    }
    if (!(await snarkjs.groth16.verify(this.keys.vkey, r.publicSignals, r.proof))) {
      throw new ProofCheckError('the proof does not verify');
    }
    timings.verifyMs = performance.now() - tv;
    const sol = proofToSolidity(r.proof, r.publicSignals);
    return {
      height: job.height,
      prevStateRoot: witness.prevStateRoot.toString(),
      stateRoot: witness.stateRoot.toString(),
      publicInput: witness.publicInput.toString(),
      proof: r.proof,
      publicSignals: r.publicSignals,
      solidity: {
        a: sol.a.map(String),
        b: sol.b.map((row) => row.map(String)),
        c: sol.c.map(String),
        input: sol.input.map(String),
      },
      circuit: { hash: this.keys.hash, slots: c.slots, arity: c.arity, depth: c.depth },
    };
  }
}

function roundAll(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
}
