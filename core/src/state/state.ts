import type { Hex } from '../bytes.ts';
import { poseidon } from '../crypto/index.ts';
import { MemoryNodeStore, type NodeStore } from '../tree/nodeStore.ts';
import { SparseMerkleTree, type TreeShape, emptySubtreeHashes } from '../tree/sparseMerkleTree.ts';
import { type Account, accountLeaf } from './account.ts';

export type AssetInfo = {
  assetId: number;
  symbol: string;
  decimals: number;
  issuerIndex: number;
  maxSupply: bigint;
  policyFlags: number;
};

export type ChainParams = {
  chainId: bigint;
  tree: TreeShape;
  assets: AssetInfo[];
};

/**
 * The L2 state: accounts (kept in memory, mirrored in the accounts tree), the deposit cursor and
 * the genesis-fixed assets/notes/key-image roots. `applyTx` mutates it; callers that need to roll
 * back take a `snapshot()` first.
 */
export class L2State {
  readonly accounts = new Map<number, Account>();
  readonly accountsByEthAddress = new Map<string, number[]>();
  nextIndex = 1;
  nextDepositIndex = 0n;
  readonly tree: SparseMerkleTree;
  readonly assetsRoot: bigint;
  readonly notesRoot: bigint;
  readonly keyImagesRoot: bigint;
  private readonly dirty = new Set<number>();
  /** Undo journals, innermost last: a block replay checkpoints around executeBlock's own checkpoint. */
  private readonly journals: Journal[] = [];

  constructor(
    readonly params: ChainParams,
    store: NodeStore = new MemoryNodeStore(),
  ) {
    this.tree = new SparseMerkleTree(params.tree, store);
    const assetsTree = new SparseMerkleTree(params.tree);
    assetsTree.setLeaves(
      params.assets.map((a) => [
        BigInt(a.assetId),
        poseidon([BigInt(a.assetId), BigInt(a.issuerIndex), a.maxSupply, BigInt(a.policyFlags)]),
      ]),
    );
    this.assetsRoot = assetsTree.root;
    const empty = emptySubtreeHashes(params.tree)[params.tree.depth]!;
    this.notesRoot = empty;
    this.keyImagesRoot = empty;
  }

  get chainId(): bigint {
    return this.params.chainId;
  }

  account(index: number): Account | undefined {
    return this.accounts.get(index);
  }

  asset(assetId: number): AssetInfo | undefined {
    return this.params.assets.find((a) => a.assetId === assetId);
  }

  /** Store an account (new or changed); its leaf is hashed lazily, once per block. */
  putAccount(account: Account): void {
    const journal = this.journals[this.journals.length - 1];
    if (journal && !journal.accounts.has(account.index)) {
      journal.accounts.set(account.index, this.accounts.get(account.index));
    }
    if (!this.accounts.has(account.index)) {
      const key = account.ethAddress.toLowerCase();
      this.accountsByEthAddress.set(key, [...(this.accountsByEthAddress.get(key) ?? []), account.index]);
    }
    this.accounts.set(account.index, account);
    this.dirty.add(account.index);
  }

  /** Hash the changed leaves into the tree (batched) and return the state root. */
  stateRoot(): bigint {
    if (this.dirty.size > 0) {
      const updates: [bigint, bigint][] = [];
      for (const index of this.dirty) {
        const account = this.accounts.get(index);
        updates.push([BigInt(index), account ? accountLeaf(account) : 0n]);
      }
      this.dirty.clear();
      this.tree.setLeaves(updates);
    }
    return poseidon([this.tree.root, this.assetsRoot, this.notesRoot, this.keyImagesRoot]);
  }

  /** Accounts changed since the last `stateRoot()` (for persistence and rollback). */
  get pendingAccountIndexes(): number[] {
    return [...this.dirty];
  }

  indexesOf(ethAddress: Hex): number[] {
    return this.accountsByEthAddress.get(ethAddress.toLowerCase()) ?? [];
  }

  /**
   * Start recording undo information. Validating a proposed block applies it speculatively;
   * if any transaction fails, `rollback()` restores exactly the state before `checkpoint()`.
   */
  checkpoint(): void {
    this.journals.push({
      accounts: new Map(),
      nextIndex: this.nextIndex,
      nextDepositIndex: this.nextDepositIndex,
    });
  }

  /** Keep the changes made since `checkpoint()`. */
  release(): void {
    const inner = this.journals.pop();
    if (!inner) throw new Error('release() without checkpoint()');
    const outer = this.journals[this.journals.length - 1];
    if (outer) {
      for (const [index, before] of inner.accounts)
        if (!outer.accounts.has(index)) outer.accounts.set(index, before);
    }
  }

  rollback(): void {
    const j = this.journals.pop();
    if (!j) throw new Error('rollback() without checkpoint()');
    for (const [index, before] of j.accounts) {
      if (before) {
        this.accounts.set(index, before);
      } else {
        const now = this.accounts.get(index);
        this.accounts.delete(index);
        if (now) {
          const key = now.ethAddress.toLowerCase();
          const rest = (this.accountsByEthAddress.get(key) ?? []).filter((i) => i !== index);
          if (rest.length) this.accountsByEthAddress.set(key, rest);
          else this.accountsByEthAddress.delete(key);
        }
      }
      this.dirty.add(index);
    }
    this.nextIndex = j.nextIndex;
    this.nextDepositIndex = j.nextDepositIndex;
  }
}

type Journal = { accounts: Map<number, Account | undefined>; nextIndex: number; nextDepositIndex: bigint };
