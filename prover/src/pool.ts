import type { Worker } from 'node:worker_threads';
import { spawnTsWorker } from '@tessera/circuits/util/tsWorker';
import type { ProveResponse, ProverWorkerInit } from './proverWorker.ts';

export class ProverWorkerError extends Error {
  override readonly name = 'ProverWorkerError';
  constructor(
    readonly code: 'UNSATISFIED' | 'PROVER_FAILED' | 'WORKER_EXITED',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

type Ok = Extract<ProveResponse, { proof: unknown }>;
type Pending = { resolve: (r: Ok) => void; reject: (e: Error) => void };

/**
 * A pool of prover worker threads, each holding the proving key in memory. A worker that dies is
 * replaced; its in-flight request fails with WORKER_EXITED (the job is retried by the queue).
 */
export class ProverPool {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; input: Record<string, unknown> }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight = new Map<Worker, number>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly init: ProverWorkerInit) {}

  /**
   * `size` worker threads (default 1), each proving with a curve of `init.threads` threads
   * (default: the CPU count). On few cores one multi-threaded prover beats several single-threaded
   * ones (snarkjs's single-threaded mode is markedly less efficient per core).
   */
  static async start(init: ProverWorkerInit, size = 1): Promise<ProverPool> {
    const pool = new ProverPool(init);
    await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    return pool;
  }

  get size(): number {
    return this.workers.size;
  }

  private async spawn(): Promise<void> {
    // ffjavascript's thread pool needs a web-worker that works inside a worker thread
    const w = spawnTsWorker(new URL('./proverWorker.ts', import.meta.url), {
      workerData: { init: this.init },
      resolveOverrides: { 'web-worker': new URL('./nestedWebWorker.ts', import.meta.url).href },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (m?.ready) {
          w.off('message', onMessage);
          w.off('error', reject);
          resolve();
        }
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
    this.workers.add(w);
    w.on('message', (m: ProveResponse) => this.onMessage(w, m));
    w.on('exit', () => this.onExit(w));
    this.idle.push(w);
    this.pump();
  }

  prove(input: Record<string, unknown>): Promise<Ok> {
    if (this.closed) return Promise.reject(new Error('prover pool is closed'));
    const id = this.nextId++;
    const p = new Promise<Ok>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, input });
    this.pump();
    return p;
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const req = this.queue.shift()!;
      this.inFlight.set(w, req.id);
      w.postMessage(req);
    }
  }

  private onMessage(w: Worker, m: ProveResponse): void {
    if (!m || typeof (m as { id?: unknown }).id !== 'number') return;
    this.inFlight.delete(w);
    this.idle.push(w);
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (p) {
      if ('error' in m)
        p.reject(new ProverWorkerError(m.unsatisfied ? 'UNSATISFIED' : 'PROVER_FAILED', m.error));
      else p.resolve(m);
    }
    this.pump();
  }

  private onExit(w: Worker): void {
    this.workers.delete(w);
    const idx = this.idle.indexOf(w);
    if (idx >= 0) this.idle.splice(idx, 1);
    const id = this.inFlight.get(w);
    this.inFlight.delete(w);
    if (id !== undefined) {
      this.pending
        .get(id)
        ?.reject(new ProverWorkerError('WORKER_EXITED', 'prover worker exited while proving'));
      this.pending.delete(id);
    }
    if (!this.closed) void this.spawn().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}
