/**
 * The durable record of transactions this node has acknowledged to its own clients.
 *
 * `tessera_sendTransaction` returns a hash only after the transaction is in this journal on disk
 * (synced), so a node that crashes before gossiping or including it still has it when it restarts:
 * nothing acknowledged is lost. Writes from concurrent requests are grouped into one synced batch
 * (group commit), which keeps the cost to about one fsync per few milliseconds of traffic, not one
 * per transaction. Entries leave when the transaction is committed, rejected or expired; a stale
 * entry left by a crash is harmless, because every entry is re-admitted through the mempool's full
 * checks at boot (a committed or outdated one is refused there and dropped).
 */
import type { BatchOp, KVStore } from '@tessera/core/storage/kv';
import type { Hex } from '../consensus/types.ts';

const PREFIX = 'm/';
const HINT_BYTES = 32;

export interface JournalEntry {
  hash: Hex;
  bytes: Uint8Array;
  hint: Uint8Array;
}

export class TxJournal {
  private readonly held = new Set<Hex>();
  /** Puts and deletes in the order they were asked for (a remove may follow an append). */
  private ops: BatchOp[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  /** Batches are written one after another, so a delete never overtakes its put. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly kv: KVStore) {}

  /** Transactions currently journaled. */
  get size(): number {
    return this.held.size;
  }

  has(hash: Hex): boolean {
    return this.held.has(hash);
  }

  /** Resolves once the transaction is on disk (synced); rejects if the write failed. */
  append(entry: JournalEntry): Promise<void> {
    if (entry.hint.length !== HINT_BYTES) throw new RangeError(`hint must be ${HINT_BYTES} bytes`);
    const value = new Uint8Array(HINT_BYTES + entry.bytes.length);
    value.set(entry.hint, 0);
    value.set(entry.bytes, HINT_BYTES);
    this.held.add(entry.hash);
    this.ops.push({ type: 'put', key: PREFIX + entry.hash, value });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Forgets transactions that left the mempool (written with the next batch, unsynced). */
  remove(hashes: Iterable<Hex>): void {
    let removed = false;
    for (const h of hashes) {
      if (!this.held.delete(h)) continue;
      this.ops.push({ type: 'del', key: PREFIX + h });
      removed = true;
    }
    if (removed) this.schedule();
  }

  /** Every journaled transaction, in key order (used once, at boot). */
  async load(): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for await (const [key, value] of this.kv.entries(PREFIX)) {
      if (value.length <= HINT_BYTES) continue;
      const hash = key.slice(PREFIX.length) as Hex;
      this.held.add(hash);
      out.push({ hash, hint: value.slice(0, HINT_BYTES), bytes: value.slice(HINT_BYTES) });
    }
    return out;
  }

  /** Waits for queued writes (called before the store closes). */
  async flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    await this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One batch for everything queued in this turn of the event loop.
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writing.then(() => this.write());
    });
  }

  private async write(): Promise<void> {
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    if (ops.length === 0) return;
    try {
      await this.kv.write(ops, { sync: waiters.length > 0 });
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const op of ops) if (op.type === 'put') this.held.delete(op.key.slice(PREFIX.length) as Hex);
      for (const w of waiters) w.reject(err as Error);
    }
  }

  /** Journaled hashes (a copy). */
  hashes(): Hex[] {
    return [...this.held];
  }
}
