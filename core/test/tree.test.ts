import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RocksKV,
  SparseMerkleTree,
  TrackingNodeStore,
  type TreeShape,
  bytesToUint,
  poseidon,
  uintToBytes,
  verifyMerkleProof,
} from '../src/index.ts';

/** Reference: hash the whole dense tree level by level. */
function naiveRoot(shape: TreeShape, leaves: Map<bigint, bigint>): bigint {
  let level: bigint[] = [];
  const size = Number(BigInt(shape.arity) ** BigInt(shape.depth));
  for (let i = 0; i < size; i++) level.push(leaves.get(BigInt(i)) ?? 0n);
  while (level.length > 1) {
    const next: bigint[] = [];
    for (let i = 0; i < level.length; i += shape.arity) next.push(poseidon(level.slice(i, i + shape.arity)));
    level = next;
  }
  return level[0]!;
}

const shapes: TreeShape[] = [
  { arity: 2, depth: 5 },
  { arity: 4, depth: 3 },
  { arity: 8, depth: 2 },
];

describe('SparseMerkleTree', () => {
  for (const shape of shapes) {
    it(`matches a dense recomputation (arity ${shape.arity}, depth ${shape.depth})`, () => {
      const size = Number(BigInt(shape.arity) ** BigInt(shape.depth));
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: size - 1 }), fc.bigInt({ min: 0n, max: 1n << 200n })), {
            maxLength: 20,
          }),
          (writes) => {
            const tree = new SparseMerkleTree(shape);
            const leaves = new Map<bigint, bigint>();
            for (const [i, v] of writes) {
              tree.setLeaf(BigInt(i), v);
              leaves.set(BigInt(i), v);
            }
            expect(tree.root).toBe(naiveRoot(shape, leaves));
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it('gives the same root whatever the order of independent updates, batched or one by one', () => {
    const shape: TreeShape = { arity: 4, depth: 6 };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 40 }),
        fc.integer(),
        (indexes, seed) => {
          const entries = indexes.map((i) => [BigInt(i), BigInt(i) * 7919n + 1n] as const);
          const shuffled = [...entries].sort((a, b) =>
            Number(((a[0] * BigInt(seed | 1)) % 97n) - ((b[0] * BigInt(seed | 1)) % 97n)),
          );
          const one = new SparseMerkleTree(shape);
          for (const [i, v] of entries) one.setLeaf(i, v);
          const batch = new SparseMerkleTree(shape);
          batch.setLeaves(shuffled);
          expect(batch.root).toBe(one.root);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('proves inclusion and exclusion, and rejects a wrong leaf or index', () => {
    const shape: TreeShape = { arity: 4, depth: 5 };
    const tree = new SparseMerkleTree(shape);
    tree.setLeaves([
      [3n, 33n],
      [700n, 77n],
      [1023n, 5n],
    ]);
    const p = tree.proof(700n);
    expect(verifyMerkleProof(shape, tree.root, 77n, p)).toBe(true);
    expect(verifyMerkleProof(shape, tree.root, 78n, p)).toBe(false);
    expect(verifyMerkleProof(shape, tree.root, 77n, { ...p, index: 701n })).toBe(false);
    const empty = tree.proof(12n);
    expect(verifyMerkleProof(shape, tree.root, 0n, empty)).toBe(true);
    expect(verifyMerkleProof(shape, tree.root, 1n, empty)).toBe(false);
  });

  it('rejects indexes outside the tree', () => {
    const tree = new SparseMerkleTree({ arity: 2, depth: 3 });
    expect(() => tree.setLeaf(8n, 1n)).toThrow(/TREE_FULL/);
    expect(() => tree.setLeaf(-1n, 1n)).toThrow(/TREE_FULL/);
  });

  it('persists to RocksDB and reloads to the same root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tree-'));
    try {
      const shape: TreeShape = { arity: 4, depth: 4 };
      const store = new TrackingNodeStore();
      const tree = new SparseMerkleTree(shape, store);
      tree.setLeaves([
        [1n, 10n],
        [2n, 20n],
        [200n, 30n],
      ]);
      tree.setLeaf(2n, 0n); // deletion must persist as a delete
      const db = await RocksKV.open(dir);
      await db.write(
        [...store.drainDirty()].map(([k, v]) =>
          v === undefined
            ? { type: 'del' as const, key: `n/${k}` }
            : { type: 'put' as const, key: `n/${k}`, value: uintToBytes(v, 32) },
        ),
      );
      await db.close();
      const reopened = await RocksKV.open(dir);
      const loaded = new TrackingNodeStore();
      for await (const [k, v] of reopened.entries('n/')) loaded.load(k.slice(2), bytesToUint(v));
      await reopened.close();
      expect(new SparseMerkleTree(shape, loaded).root).toBe(tree.root);
      expect(loaded.get(0, 2n)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
