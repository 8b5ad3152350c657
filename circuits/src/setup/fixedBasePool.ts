import { cpus } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { SetupError } from '../errors.ts';
import { spawnTsWorker } from '../util/tsWorker.ts';
import type { FixedBaseInit, FixedBaseResult, FixedBaseTask } from './fixedBaseWorker.ts';

type Pending = { resolve: (r: FixedBaseResult) => void; reject: (e: Error) => void };

/** A fixed pool of fixed-base workers; tasks are dispatched to whichever worker is idle. */
export class FixedBasePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; task: FixedBaseTask }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor() {}

  static async start(init: FixedBaseInit, size = Math.max(1, cpus().length)): Promise<FixedBasePool> {
    const pool = new FixedBasePool();
    await Promise.all(
      Array.from({ length: size }, async () => {
        const w = spawnTsWorker(new URL('./fixedBaseWorker.ts', import.meta.url), { workerData: init });
        pool.workers.push(w);
        await new Promise<void>((resolve, reject) => {
          const onMessage = (m: { ready?: boolean }) => {
            if (m.ready) {
              w.off('message', onMessage);
              resolve();
            }
          };
          w.on('message', onMessage);
          w.once('error', reject);
        });
        w.on('message', (m: { id: number; result?: FixedBaseResult; error?: string }) => pool.onResult(w, m));
        w.on('error', (err) => pool.failAll(err));
        pool.idle.push(w);
      }),
    );
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  run(task: FixedBaseTask): Promise<FixedBaseResult> {
    const id = this.nextId++;
    const p = new Promise<FixedBaseResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, task });
    this.pump();
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      w.postMessage(this.queue.shift());
    }
  }

  private onResult(w: Worker, m: { id: number; result?: FixedBaseResult; error?: string }): void {
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.idle.push(w);
    if (p) {
      if (m.error !== undefined) p.reject(new SetupError('WORKER_FAILED', `fixed-base worker: ${m.error}`));
      else p.resolve(m.result!);
    }
    this.pump();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
