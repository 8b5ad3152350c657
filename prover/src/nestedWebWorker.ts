/**
 * A `web-worker` replacement for use inside worker threads. ffjavascript (snarkjs's arithmetic)
 * starts its thread pool with the `web-worker` package, whose module, when loaded in a worker
 * thread, assumes it IS one of those pool threads and exports no Worker class. Prover worker threads
 * resolve `web-worker` to this module instead (see pool.ts), so each of them can run a
 * multi-threaded curve. The pool threads themselves still run web-worker's own scope emulation.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker as ThreadWorker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const webWorkerEntry = require.resolve('web-worker');

type Listener = (event: unknown) => void;

export default class NestedWebWorker {
  onmessage: Listener | null = null;
  onerror: Listener | null = null;
  onclose: Listener | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly thread: ThreadWorker;

  constructor(url: string | URL, options: { name?: string; type?: string } = {}) {
    const s = String(url);
    const mod = s.startsWith('data:') ? s : s.startsWith('file:') ? fileURLToPath(s) : s;
    this.thread = new ThreadWorker(webWorkerEntry, {
      workerData: { mod, name: options.name, type: options.type },
    });
    this.thread.on('message', (data) => this.dispatch('message', { type: 'message', data }));
    this.thread.on('error', (error) => this.dispatch('error', error));
    this.thread.on('exit', () => this.dispatch('close', { type: 'close' }));
  }

  addEventListener(type: string, fn: Listener): void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(fn);
  }

  removeEventListener(type: string, fn: Listener): void {
    this.listeners.get(type)?.delete(fn);
  }

  postMessage(data: unknown, transfer?: readonly ArrayBuffer[]): void {
    this.thread.postMessage(data, transfer as ArrayBuffer[] | undefined);
  }

  terminate(): Promise<number> {
    return this.thread.terminate();
  }

  private dispatch(type: string, event: unknown): void {
    const handler = (this as unknown as Record<string, Listener | null>)[`on${type}`];
    handler?.call(this, event);
    for (const fn of this.listeners.get(type) ?? []) fn.call(this, event);
  }
}
