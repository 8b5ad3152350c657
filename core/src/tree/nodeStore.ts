/**
 * Where tree nodes live. Reads are synchronous because the state transition is synchronous and
 * hot; durability comes from `drainDirty()`, whose entries the caller writes into the same atomic
 * storage batch as the block that produced them.
 */
export interface NodeStore {
  get(level: number, index: bigint): bigint | undefined;
  /** `undefined` deletes (the node is back to the empty-subtree value). */
  set(level: number, index: bigint, value: bigint | undefined): void;
}

export function nodeKey(level: number, index: bigint): string {
  return `${level}:${index.toString(16)}`;
}

export class MemoryNodeStore implements NodeStore {
  protected readonly nodes = new Map<string, bigint>();

  get(level: number, index: bigint): bigint | undefined {
    return this.nodes.get(nodeKey(level, index));
  }

  set(level: number, index: bigint, value: bigint | undefined): void {
    const key = nodeKey(level, index);
    if (value === undefined) this.nodes.delete(key);
    else this.nodes.set(key, value);
  }

  get size(): number {
    return this.nodes.size;
  }

  entries(): IterableIterator<[string, bigint]> {
    return this.nodes.entries();
  }
}

/** A memory store that remembers which nodes changed since the last drain, for persistence. */
export class TrackingNodeStore extends MemoryNodeStore {
  private dirty = new Map<string, bigint | undefined>();

  override set(level: number, index: bigint, value: bigint | undefined): void {
    super.set(level, index, value);
    this.dirty.set(nodeKey(level, index), value);
  }

  /** Load a persisted node without marking it dirty. */
  load(key: string, value: bigint): void {
    this.nodes.set(key, value);
  }

  drainDirty(): Map<string, bigint | undefined> {
    const out = this.dirty;
    this.dirty = new Map();
    return out;
  }

  /** Forget unpersisted changes' dirty marks (used after a rollback reloads the store). */
  clearDirty(): void {
    this.dirty = new Map();
  }
}
