import { createRequire } from 'node:module';
import type { BatchOp, KVStore } from './kv.ts';

const require = createRequire(import.meta.url);

type RocksIterator = {
  next(cb: (err: Error | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(cb: (err?: Error) => void): void;
};
type RocksDB = {
  open(options: object, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  get(key: string, options: object, cb: (err: Error | undefined, value?: Buffer) => void): void;
  batch(ops: object[], options: object, cb: (err?: Error) => void): void;
  iterator(options: object): RocksIterator;
};

/** RocksDB through the `rocksdb` (abstract-leveldown) binding, promisified. */
export class RocksKV implements KVStore {
  private constructor(private readonly db: RocksDB) {}

  static async open(path: string): Promise<RocksKV> {
    const rocksdb = require('rocksdb') as (location: string) => RocksDB;
    const db = rocksdb(path);
    await new Promise<void>((resolve, reject) =>
      db.open({ createIfMissing: true }, (err) => (err ? reject(err) : resolve())),
    );
    return new RocksKV(db);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) =>
      this.db.get(key, { asBuffer: true }, (err, value) => {
        if (err) {
          if (/NotFound/i.test(err.message)) resolve(undefined);
          else reject(err);
        } else resolve(value ? new Uint8Array(value) : undefined);
      }),
    );
  }

  write(ops: BatchOp[], options: { sync?: boolean } = {}): Promise<void> {
    const rocksOps = ops.map((op) =>
      op.type === 'put' ? { type: 'put', key: op.key, value: Buffer.from(op.value) } : op,
    );
    return new Promise((resolve, reject) =>
      this.db.batch(rocksOps, { sync: options.sync ?? true }, (err) => (err ? reject(err) : resolve())),
    );
  }

  async *entries(prefix: string): AsyncIterable<[string, Uint8Array]> {
    // '\xff' sorts after every key character we use, so [prefix, prefix+'\xff') is the range.
    const it = this.db.iterator({
      gte: prefix,
      lt: `${prefix}\xff`,
      keyAsBuffer: false,
      valueAsBuffer: true,
    });
    try {
      while (true) {
        const entry = await new Promise<[string, Buffer] | undefined>((resolve, reject) =>
          it.next((err, key, value) => {
            if (err) reject(err);
            else resolve(key === undefined ? undefined : [String(key), value as Buffer]);
          }),
        );
        if (!entry) return;
        yield [entry[0], new Uint8Array(entry[1])];
      }
    } finally {
      await new Promise<void>((resolve) => it.end(() => resolve()));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
