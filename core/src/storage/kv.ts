export type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

/**
 * Minimal ordered key-value store. Writes only happen in atomic batches so a block, its
 * certificate, its state changes and its indexes land together or not at all.
 */
export interface KVStore {
  get(key: string): Promise<Uint8Array | undefined>;
  write(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>;
  /** Entries whose key starts with `prefix`, in key order. */
  entries(prefix: string): AsyncIterable<[string, Uint8Array]>;
  close(): Promise<void>;
}

export class MemoryKV implements KVStore {
  private readonly data = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.data.get(key);
  }

  async write(ops: BatchOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.data.set(op.key, op.value);
      else this.data.delete(op.key);
    }
  }

  async *entries(prefix: string): AsyncIterable<[string, Uint8Array]> {
    const keys = [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const value = this.data.get(key);
      if (value) yield [key, value];
    }
  }

  async close(): Promise<void> {}
}
