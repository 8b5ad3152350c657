import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KVStore, MemoryKV, RocksKV } from '@tessera/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ExplorerDb, putMarker } from '../src/store/db.ts';
import { Keys, desc, pad, undesc } from '../src/store/keys.ts';
import { scanAfter } from '../src/store/scan.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rocks(): Promise<KVStore> {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-store-'));
  dirs.push(dir);
  return RocksKV.open(dir);
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('key encodings', () => {
  it('desc() reverses numeric order and round-trips', () => {
    const values = [0n, 1n, 9n, 10n, 123456789n, (1n << 64n) - 1n];
    const keys = values.map((v) => desc(v));
    expect([...keys].sort()).toEqual([...keys].reverse());
    expect(keys.map(undesc)).toEqual(values);
    expect(() => pad(10n ** 20n, 20)).toThrow(RangeError);
  });

  it('holder keys order by balance descending, then account index', () => {
    const keys = [
      Keys.holder(1, 5n, 3),
      Keys.holder(1, 10n ** 30n, 9),
      Keys.holder(1, 5n, 2),
      Keys.holder(1, 0n + 1n, 1),
    ].sort();
    expect(keys).toEqual([
      Keys.holder(1, 10n ** 30n, 9),
      Keys.holder(1, 5n, 2),
      Keys.holder(1, 5n, 3),
      Keys.holder(1, 1n, 1),
    ]);
  });
});

describe.each([
  ['MemoryKV', async () => new MemoryKV() as KVStore],
  ['RocksKV', rocks],
])('scanAfter on %s', (_name, open) => {
  it('returns exactly the keys after the cursor, in order, for random cursors', async () => {
    const kv = await open();
    const random = rng(42);
    const suffixes = new Set<string>();
    while (suffixes.size < 300)
      suffixes.add(`${pad(Math.floor(random() * 5000), 6)}:${pad(Math.floor(random() * 30), 3)}`);
    await kv.write([...suffixes].map((s) => putMarker(`hold:${s}`)));
    await kv.write([putMarker('hol:000001:001'), putMarker('holz')]); // neighbours outside the prefix
    const sorted = [...suffixes].sort();
    for (let trial = 0; trial < 40; trial++) {
      const cursor =
        trial % 2 === 0
          ? sorted[Math.floor(random() * sorted.length)]!
          : `${pad(Math.floor(random() * 5000), 6)}:${pad(Math.floor(random() * 30), 3)}`;
      const limit = 1 + Math.floor(random() * 20);
      const got = (await scanAfter(kv, 'hold:', cursor, limit)).map(([k]) => k.slice(5));
      expect(got).toEqual(sorted.filter((s) => s > cursor).slice(0, limit));
    }
    await kv.close();
  });

  it('pages through a list with cursors, visiting every entry once', async () => {
    const db = new ExplorerDb(await open());
    await db.write(
      Array.from({ length: 53 }, (_, i) => ({
        type: 'put' as const,
        key: Keys.block(BigInt(i)),
        value: new TextEncoder().encode(JSON.stringify(i)),
      })),
    );
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await db.page<number>(Keys.blocks, cursor, 10);
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(6);
    expect(seen).toEqual(Array.from({ length: 53 }, (_, i) => 52 - i));
    await expect(db.page(Keys.blocks, desc(0n), 10)).rejects.toMatchObject({
      code: 'PAGE_OUT_OF_RANGE',
      status: 404,
    });
    await expect(db.page(Keys.blocks, 'zz<script>', 10)).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
      status: 400,
    });
    await db.close();
  });
});
