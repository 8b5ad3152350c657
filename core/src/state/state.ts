import type { Hex } from '../bytes.ts';
import { type Point, poseidon } from '../crypto/index.ts';
import { MemoryNodeStore, type NodeStore } from '../tree/nodeStore.ts';
import { SparseMerkleTree, type TreeShape } from '../tree/sparseMerkleTree.ts';
import { type Account, accountLeaf } from './account.ts';

export type AssetInfo = {
  assetId: number;
  symbol: string;
  decimals: number;
  issuerIndex: number;
  maxSupply: bigint;
  policyFlags: number;
  /** Note values of this asset (fixed so that ring members are indistinguishable); none: no privacy. */
  denominations?: bigint[];
};

/** Accountable privacy parameters (docs/PRIVACY.md "Ledger"). */
export type PrivacyParams = {
  /** EdDSA key of the regulator admin, the only signer of observer-key rotations. */
  regulatorAdmin?: Point;
  /** Observer key in force from genesis (epoch 1); without one, privacy starts with a rotation. */
  genesisObserverKey?: Point;
  /** Rings must have at least min(minRingSize, eligible notes) members. */
  minRingSize: number;
  maxRingSize: number;
};

export type ChainParams = {
  chainId: bigint;
  tree: TreeShape;
  assets: AssetInfo[];
  privacy?: PrivacyParams;
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
  /** Hash-chain accumulators over the notes and spent key images (docs/PROTOCOL.md "Privacy"). */
  notesRoot = 0n;
  keyImagesRoot = 0n;
  /** Every note ever created, by index (notes are never removed: spends are hidden in rings). */
  readonly notes: Note[] = [];
  /** Spent key images: tag H(Ix, Iy) → index of the spend in `spends`. */
  readonly keyImages = new Map<bigint, KeyImageRecord>();
  /** Observer keys by epoch, oldest first; the last one is in force. */
  readonly observerKeys: ObserverKeyRecord[] = [];
  /** Notes per (assetId, amount), for the minimum ring size rule. */
  private readonly eligible = new Map<string, number>();
  /** Note index by one-time key: a key is used by one note only (rings need distinct keys). */
  private readonly noteByKey = new Map<string, number>();
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
    const genesisKey = params.privacy?.genesisObserverKey;
    if (genesisKey) this.observerKeys.push({ epoch: 1n, key: genesisKey });
  }

  /** The observer key wallets must encrypt to now, if any. */
  currentObserverKey(): ObserverKeyRecord | undefined {
    return this.observerKeys[this.observerKeys.length - 1];
  }

  /** Number of notes of one asset and value (the anonymity set a ring draws from). */
  eligibleNotes(assetId: number, amount: bigint): number {
    return this.eligible.get(`${assetId}:${amount}`) ?? 0;
  }

  noteIndexOf(oneTimeKey: Point): number | undefined {
    return this.noteByKey.get(`${oneTimeKey[0]}:${oneTimeKey[1]}`);
  }

  /** Append a note and fold its commitment into the notes accumulator. */
  addNote(note: Omit<Note, 'index'>): Note {
    this.journal()?.notes.push({ root: this.notesRoot, listed: true });
    const full = { ...note, index: this.notes.length };
    this.indexNote(full);
    this.notesRoot = poseidon([this.notesRoot, full.commitment]);
    return full;
  }

  /**
   * Fold a note commitment known only from L1 public data (auditor, escape-hatch replica): the
   * accumulator moves, but the note's keys are unknown so it is not listed.
   */
  foldNoteCommitment(cm: bigint): void {
    this.journal()?.notes.push({ root: this.notesRoot, listed: false });
    this.notesRoot = poseidon([this.notesRoot, cm]);
  }

  /** Mark a key image spent and fold its tag into the key-image accumulator. */
  addKeyImage(tag: bigint, record: KeyImageRecord): void {
    this.journal()?.keyImages.push([tag, this.keyImagesRoot]);
    this.keyImages.set(tag, record);
    this.keyImagesRoot = poseidon([this.keyImagesRoot, tag]);
  }

  addObserverKey(record: ObserverKeyRecord): void {
    const j = this.journal();
    if (j) j.observerKeys += 1;
    this.observerKeys.push(record);
  }

  /**
   * Restore privacy state from storage without journaling (the accumulators are given, not
   * recomputed, so loading is linear in the data and checked against the stored state root).
   */
  loadPrivacy(p: {
    notes: Note[];
    keyImages: [bigint, KeyImageRecord][];
    observerKeys: ObserverKeyRecord[];
    notesRoot: bigint;
    keyImagesRoot: bigint;
  }): void {
    this.notes.length = 0;
    this.eligible.clear();
    this.noteByKey.clear();
    for (const n of p.notes) this.indexNote(n);
    this.keyImages.clear();
    for (const [tag, r] of p.keyImages) this.keyImages.set(tag, r);
    this.observerKeys.length = 0;
    this.observerKeys.push(...p.observerKeys);
    this.notesRoot = p.notesRoot;
    this.keyImagesRoot = p.keyImagesRoot;
  }

  private indexNote(n: Note): void {
    this.notes.push(n);
    const key = `${n.assetId}:${n.amount}`;
    this.eligible.set(key, (this.eligible.get(key) ?? 0) + 1);
    this.noteByKey.set(`${n.oneTimeKey[0]}:${n.oneTimeKey[1]}`, n.index);
  }

  private journal(): Journal | undefined {
    return this.journals[this.journals.length - 1];
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
      notes: [],
      keyImages: [],
      observerKeys: 0,
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
      outer.notes.push(...inner.notes);
      outer.keyImages.push(...inner.keyImages);
      outer.observerKeys += inner.observerKeys;
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
    for (let i = j.notes.length - 1; i >= 0; i--) {
      const entry = j.notes[i]!;
      if (entry.listed) {
        const note = this.notes.pop()!;
        const key = `${note.assetId}:${note.amount}`;
        this.eligible.set(key, (this.eligible.get(key) ?? 1) - 1);
        this.noteByKey.delete(`${note.oneTimeKey[0]}:${note.oneTimeKey[1]}`);
      }
      this.notesRoot = entry.root;
    }
    for (let i = j.keyImages.length - 1; i >= 0; i--) {
      const [tag, before] = j.keyImages[i]!;
      this.keyImages.delete(tag);
      this.keyImagesRoot = before;
    }
    this.observerKeys.length -= j.observerKeys;
  }
}

/** A note: `amount` of `assetId` owned by whoever knows the one-time key's secret. */
export type Note = {
  index: number;
  oneTimeKey: Point;
  /** R of the creating transaction (recipients scan with it). */
  txPublicKey: Point;
  assetId: number;
  amount: bigint;
  /** H(Px, Py, assetId, amount): what the accumulator and L1 see. */
  commitment: bigint;
  /** Hash of the SHIELD or PRIVATE_TRANSFER that created it (the regulator's trace follows it). */
  origin: Hex;
};

/** A spent key image and the transaction that spent it (unknown when replayed from L1 data). */
export type KeyImageRecord = { keyImage?: Point; txHash?: Hex };
export type ObserverKeyRecord = { epoch: bigint; key: Point };

type Journal = {
  accounts: Map<number, Account | undefined>;
  nextIndex: number;
  nextDepositIndex: bigint;
  /** notesRoot before each note folded in this checkpoint, and whether the note was listed. */
  notes: { root: bigint; listed: boolean }[];
  /** [tag, keyImagesRoot before] per key image added. */
  keyImages: [bigint, bigint][];
  observerKeys: number;
};
