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
  private nextSeq = new Map<bigint, number>();

  constructor(private readonly kv: KVStore) {}

  async loadGuard(): Promise<SignGuard | null> {
    const raw = await this.kv.get(GUARD_KEY);
    return raw ? decodeGuard(raw) : null;
  }

  async appendSigned(entry: WalEntry, guard: SignGuard): Promise<void> {
    const h = entry.msg.height;
    let seq = this.nextSeq.get(h);
    if (seq === undefined) seq = (await this.loadWal(h)).length;
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
    const dels: { type: 'del'; key: string }[] = [];
    for await (const [key] of this.kv.entries(WAL_PREFIX)) {
      const h = BigInt(key.slice(WAL_PREFIX.length, WAL_PREFIX.length + 20));
      if (h >= height) break;
      dels.push({ type: 'del', key });
    }
    if (dels.length > 0) await this.kv.write(dels, { sync: false });
    for (const h of [...this.nextSeq.keys()]) if (h < height) this.nextSeq.delete(h);
  }

  async close(): Promise<void> {}
}
