import { poseidon } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import { MemoryNodeStore, type NodeStore } from './nodeStore.ts';

export type TreeShape = { arity: 2 | 4 | 8; depth: number };

/** Siblings of a leaf from the bottom level up: `arity - 1` hashes per level, in child order. */
export type MerkleProof = { index: bigint; siblings: bigint[][] };

const emptyHashCache = new Map<string, bigint[]>();

/** Z[0] = 0 (empty leaf), Z[l+1] = H(Z[l] × arity): the root of an empty subtree of height l. */
export function emptySubtreeHashes(shape: TreeShape): bigint[] {
  const key = `${shape.arity}:${shape.depth}`;
  const cached = emptyHashCache.get(key);
  if (cached) return cached;
  const zeros: bigint[] = [0n];
  for (let level = 0; level < shape.depth; level++) {
    zeros.push(poseidon(new Array<bigint>(shape.arity).fill(zeros[level]!)));
  }
  emptyHashCache.set(key, zeros);
  return zeros;
}

/**
 * A Poseidon sparse Merkle tree of fixed arity and depth, indexed by leaf position.
 * Only non-empty nodes are stored; an absent node equals the empty-subtree hash of its level.
 * Updates are either immediate (one leaf, root recomputed along its path) or batched
 * (`setLeaves`: every dirty parent is hashed once, bottom-up), which is what a 500-tx block uses.
 */
export class SparseMerkleTree {
  readonly shape: TreeShape;
  readonly capacity: bigint;
  private readonly zeros: bigint[];

  constructor(
    shape: TreeShape,
    readonly store: NodeStore = new MemoryNodeStore(),
  ) {
    if (![2, 4, 8].includes(shape.arity)) throw new RangeError(`arity must be 2, 4 or 8, got ${shape.arity}`);
    if (!Number.isInteger(shape.depth) || shape.depth < 1 || shape.depth > 64) {
      throw new RangeError(`depth must be an integer in [1, 64], got ${shape.depth}`);
    }
    this.shape = shape;
    this.capacity = BigInt(shape.arity) ** BigInt(shape.depth);
    this.zeros = emptySubtreeHashes(shape);
  }

  get root(): bigint {
    return this.node(this.shape.depth, 0n);
  }

  leaf(index: bigint): bigint {
    this.checkIndex(index);
    return this.node(0, index);
  }

  /** Set one leaf and recompute its path. */
  setLeaf(index: bigint, value: bigint): void {
    this.setLeaves([[index, value]]);
  }

  /** Set many leaves, then hash each affected parent exactly once, level by level. */
  setLeaves(entries: Iterable<readonly [bigint, bigint]>): void {
    const arity = BigInt(this.shape.arity);
    let dirty = new Set<bigint>();
    for (const [index, value] of entries) {
      this.checkIndex(index);
      this.writeNode(0, index, value);
      dirty.add(index / arity);
    }
    for (let level = 1; level <= this.shape.depth; level++) {
      const next = new Set<bigint>();
      for (const parent of dirty) {
        this.writeNode(level, parent, poseidon(this.children(level - 1, parent)));
        next.add(parent / arity);
      }
      dirty = next;
    }
  }

  proof(index: bigint): MerkleProof {
    this.checkIndex(index);
    const arity = BigInt(this.shape.arity);
    const siblings: bigint[][] = [];
    let position = index;
    for (let level = 0; level < this.shape.depth; level++) {
      const parent = position / arity;
      const all = this.children(level, parent);
      const offset = Number(position % arity);
      siblings.push(all.filter((_, i) => i !== offset));
      position = parent;
    }
    return { index, siblings };
  }

  private children(level: number, parent: bigint): bigint[] {
    const arity = BigInt(this.shape.arity);
    const out: bigint[] = [];
    for (let i = 0n; i < arity; i++) out.push(this.node(level, parent * arity + i));
    return out;
  }

  private node(level: number, index: bigint): bigint {
    return this.store.get(level, index) ?? this.zeros[level]!;
  }

  private writeNode(level: number, index: bigint, value: bigint): void {
    this.store.set(level, index, value === this.zeros[level] ? undefined : value);
  }

  private checkIndex(index: bigint): void {
    if (index < 0n || index >= this.capacity) {
      throw new ProtocolError(
        'TREE_FULL',
        `leaf index ${index} outside the tree (capacity ${this.capacity})`,
      );
    }
  }
}

/** Recompute the root from a leaf and its proof (inclusion; a zero leaf proves exclusion). */
export function rootFromProof(shape: TreeShape, leaf: bigint, proof: MerkleProof): bigint {
  const arity = BigInt(shape.arity);
  if (proof.siblings.length !== shape.depth) return -1n;
  let hash = leaf;
  let position = proof.index;
  for (const level of proof.siblings) {
    if (level.length !== shape.arity - 1) return -1n;
    const offset = Number(position % arity);
    const children = [...level.slice(0, offset), hash, ...level.slice(offset)];
    hash = poseidon(children);
    position /= arity;
  }
  return hash;
}

export function verifyMerkleProof(shape: TreeShape, root: bigint, leaf: bigint, proof: MerkleProof): boolean {
  return rootFromProof(shape, leaf, proof) === root;
}
