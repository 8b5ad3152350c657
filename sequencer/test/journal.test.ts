import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryKV } from '@tessera/core/storage/kv';
import { RocksKV } from '@tessera/core/storage/rocksKV';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from '../src/consensus/types.ts';
import { TxJournal } from '../src/node/journal.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-journal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (n: number) => ({
  hash: `0x${n.toString(16).padStart(64, '0')}` as Hex,
  bytes: Uint8Array.from([1, n, n + 1, n + 2]),
  hint: new Uint8Array(32).fill(n),
});

describe('transaction journal', () => {
  it('has an entry on disk once append resolves, keeps it across reopening, and forgets removed ones', async () => {
    const path = join(dir, 'a');
    let kv = await RocksKV.open(path);
    let journal = new TxJournal(kv);
    await Promise.all([1, 2, 3].map((n) => journal.append(entry(n))));
    expect(await kv.get(`m/${entry(2).hash}`)).toBeDefined();
    journal.remove([entry(2).hash]);
    await journal.flush();
    await kv.close();

    kv = await RocksKV.open(path);
    journal = new TxJournal(kv);
    const loaded = await journal.load();
    expect(loaded.map((e) => e.hash)).toEqual([entry(1).hash, entry(3).hash]);
    expect(loaded[1]!.bytes).toEqual(entry(3).bytes);
    expect(loaded[1]!.hint).toEqual(entry(3).hint);
    expect(journal.size).toBe(2);
    await kv.close();
  });

  it('applies a remove that follows an append in the same batch after it', async () => {
    const kv = new MemoryKV();
    const journal = new TxJournal(kv);
    const written = journal.append(entry(7));
    journal.remove([entry(7).hash]);
    await written;
    await journal.flush();
    expect(await kv.get(`m/${entry(7).hash}`)).toBeUndefined();
    expect(journal.has(entry(7).hash)).toBe(false);
  });

  it('rejects the append when the disk write fails, and does not count the entry', async () => {
    const kv = new MemoryKV();
    kv.write = async () => {
      throw new Error('disk full');
    };
    const journal = new TxJournal(kv);
    await expect(journal.append(entry(9))).rejects.toThrow(/disk full/);
    expect(journal.has(entry(9).hash)).toBe(false);
    expect(() => journal.append({ ...entry(9), hint: new Uint8Array(31) })).toThrow(RangeError);
  });
});
