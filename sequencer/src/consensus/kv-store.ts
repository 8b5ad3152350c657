import type { KVStore } from '@tessera/core/storage/kv';
import {
  type ConsensusStore,
  type SignGuard,
  type WalEntry,
  decodeGuard,
  decodeWalEntry,
  encodeGuard,
  encodeWalEntry,
} from './storage.ts';

const GUARD_KEY = 'c/guard';
const WAL_PREFIX = 'c/wal/';

function walKey(height: bigint, seq: number): string {
  return `${WAL_PREFIX}${height.toString().padStart(20, '0')}/${seq.toString().padStart(10, '0')}`;
}

/**
 * Consensus WAL and double-sign guard on an ordered KV store (RocksDB in a node). Each signed
 * message and the guard that covers it go in one batch written with `sync: true`, so after
 * `appendSigned` resolves both survive a power loss and neither exists without the other.
 */
export class KVConsensusStore implements ConsensusStore {
  /**
   * Next WAL sequence number of every height that has entries. Filled by one scan of the WAL on
   * first use, then kept up to date by this store's own writes (a node opens its database once),
   * so appending and pruning on the consensus path never iterate the database.
   */
  private nextSeq = new Map<bigint, number>();
  private scanned: Promise<void> | null = null;

  constructor(private readonly kv: KVStore) {}

  private scan(): Promise<void> {
    this.scanned ??= (async () => {
      for await (const [key] of this.kv.entries(WAL_PREFIX)) {
        const h = BigInt(key.slice(WAL_PREFIX.length, WAL_PREFIX.length + 20));
        const seq = Number(key.slice(WAL_PREFIX.length + 21));
        if (seq + 1 > (this.nextSeq.get(h) ?? 0)) this.nextSeq.set(h, seq + 1);
      }
    })();
    return this.scanned;
  }

  async loadGuard(): Promise<SignGuard | null> {
    const raw = await this.kv.get(GUARD_KEY);
    return raw ? decodeGuard(raw) : null;
  }

  async appendSigned(entry: WalEntry, guard: SignGuard): Promise<void> {
    await this.scan();
    const h = entry.msg.height;
    const seq = this.nextSeq.get(h) ?? 0;
    await this.kv.write(
      [
        { type: 'put', key: walKey(h, seq), value: encodeWalEntry(entry) },
        { type: 'put', key: GUARD_KEY, value: encodeGuard(guard) },
      ],
      { sync: true },
    );
    this.nextSeq.set(h, seq + 1);
  }

  async loadWal(height: bigint): Promise<WalEntry[]> {
    const out: WalEntry[] = [];
    for await (const [, value] of this.kv.entries(`${WAL_PREFIX}${height.toString().padStart(20, '0')}/`)) {
      out.push(decodeWalEntry(value));
    }
    return out;
  }

  async pruneBelow(height: bigint): Promise<void> {
    await this.scan();
    const dels: { type: 'del'; key: string }[] = [];
    for (const [h, n] of this.nextSeq) {
      if (h >= height) continue;
      for (let seq = 0; seq < n; seq++) dels.push({ type: 'del', key: walKey(h, seq) });
      this.nextSeq.delete(h);
    }
    if (dels.length > 0) await this.kv.write(dels, { sync: false });
  }

  async close(): Promise<void> {}
}
