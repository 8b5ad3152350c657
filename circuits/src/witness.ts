/**
 * Circuit inputs for a block, built by replaying it with core's state transition (the oracle):
 * every transaction goes through `applyTx`, and after each one the accounts root and the notes /
 * key-image accumulators the circuit will compute are checked against core's state.
 */
import {
  type Account,
  type BatchCommitment,
  type ChainParams,
  FIELD_MODULUS,
  L2State,
  MemoryNodeStore,
  type Point,
  ProtocolError,
  type Receipt,
  type RingTx,
  SUBGROUP_ORDER,
  SparseMerkleTree,
  type Tx,
  TxType,
  accountFromJson,
  accountLeaf,
  accountToJson,
  applyTx,
  batchData,
  batchPublicInput,
  checkDenomination,
  checkObserver,
  commitBatch,
  emptySubtreeHashes,
  encodeFloat40,
  fromHex,
  keyImageTag,
  mulPoint,
  noteCommitment,
  packAccountMeta,
  poseidon,
  privacyBinding,
  replayPublicRecord,
  splitHash,
  tryDecodeRingSignature,
} from '@tessera/core';
import type { BatchParams } from './config.ts';

export class WitnessError extends Error {
  override readonly name = 'WitnessError';
  constructor(
    readonly code: 'SHAPE_MISMATCH' | 'TOO_MANY_TXS' | 'ROOT_MISMATCH' | 'BAD_PRESTATE',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Input signals of the Batch circuit (decimal strings), ready for the witness calculator. */
export type CircuitInput = Record<string, string | string[] | string[][][]>;

export type BatchWitness = {
  input: CircuitInput;
  prevStateRoot: bigint;
  stateRoot: bigint;
  commitment: BatchCommitment;
  publicInput: bigint;
  receipts: Receipt[];
};

type SlotInput = {
  isDeposit: bigint;
  isRegister: bigint;
  isTransfer: bigint;
  isWithdraw: bigint;
  isShield: bigint;
  isPrivate: bigint;
  isUnshield: bigint;
  isObserverKey: bigint;
  amountF: bigint;
  depAmount: bigint;
  depAsset: bigint;
  depositor: bigint;
  sigR8x: bigint;
  sigR8y: bigint;
  sigS: bigint;
  noteX: bigint;
  noteY: bigint;
  keyImageTag: bigint;
  binding: bigint;
  privAsset: bigint;
  fromIdx: bigint;
  fromAx: bigint;
  fromAy: bigint;
  fromEth: bigint;
  fromMeta: bigint;
  fromBalance: bigint;
  fromChildren: bigint[][];
  assetLeaf: bigint;
  toIdx: bigint;
  toHi: bigint;
  toEmpty: bigint;
  toAx: bigint;
  toAy: bigint;
  toEth: bigint;
  toMeta: bigint;
  toBalance: bigint;
  toChildren: bigint[][];
  keyRootX: bigint;
  keyRootY: bigint;
};

const SLOT_KEYS: (keyof SlotInput)[] = [
  'isDeposit',
  'isRegister',
  'isTransfer',
  'isWithdraw',
  'isShield',
  'isPrivate',
  'isUnshield',
  'isObserverKey',
  'amountF',
  'depAmount',
  'depAsset',
  'depositor',
  'sigR8x',
  'sigR8y',
  'sigS',
  'noteX',
  'noteY',
  'keyImageTag',
  'binding',
  'privAsset',
  'fromIdx',
  'fromAx',
  'fromAy',
  'fromEth',
  'fromMeta',
  'fromBalance',
  'fromChildren',
  'assetLeaf',
  'toIdx',
  'toHi',
  'toEmpty',
  'toAx',
  'toAy',
  'toEth',
  'toMeta',
  'toBalance',
  'toChildren',
  'keyRootX',
  'keyRootY',
];

const INV8 = modInverse(8n, SUBGROUP_ORDER);

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

const fe = (v: bigint) => ((v % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;

/** Leaf of an account whose balance may be out of range (forced, invalid transactions in tests). */
function leafOf(a: Account): bigint {
  return poseidon([
    a.publicKey[0],
    a.publicKey[1],
    BigInt(a.ethAddress),
    fe(packAccountMeta(a)),
    fe(a.balance),
  ]);
}

function emptySlot(d: number, a: number): SlotInput {
  const zeros = () => Array.from({ length: d }, () => new Array<bigint>(a).fill(0n));
  return {
    isDeposit: 0n,
    isRegister: 0n,
    isTransfer: 0n,
    isWithdraw: 0n,
    isShield: 0n,
    isPrivate: 0n,
    isUnshield: 0n,
    isObserverKey: 0n,
    amountF: 0n,
    depAmount: 0n,
    depAsset: 0n,
    depositor: 0n,
    sigR8x: 0n,
    sigR8y: 0n,
    sigS: 0n,
    noteX: 0n,
    noteY: 0n,
    keyImageTag: 0n,
    binding: 0n,
    privAsset: 0n,
    fromIdx: 0n,
    fromAx: 0n,
    fromAy: 0n,
    fromEth: 0n,
    fromMeta: 0n,
    fromBalance: 0n,
    fromChildren: zeros(),
    assetLeaf: 0n,
    toIdx: 0n,
    toHi: 0n,
    toEmpty: 1n,
    toAx: 0n,
    toAy: 0n,
    toEth: 0n,
    toMeta: 0n,
    toBalance: 0n,
    toChildren: zeros(),
    keyRootX: 0n,
    keyRootY: 1n,
  };
}

/** The A children of every level on the path of `index` (siblings plus the path node itself). */
function pathChildren(tree: SparseMerkleTree, index: bigint, leaf: bigint): bigint[][] {
  const { arity } = tree.shape;
  const proof = tree.proof(index);
  const out: bigint[][] = [];
  let cur = leaf;
  let pos = index;
  for (const sibs of proof.siblings) {
    const offset = Number(pos % BigInt(arity));
    const children = [...sibs.slice(0, offset), cur, ...sibs.slice(offset)];
    out.push(children);
    cur = poseidon(children);
    pos /= BigInt(arity);
  }
  return out;
}

export function assetsTree(params: ChainParams): SparseMerkleTree {
  const t = new SparseMerkleTree(params.tree);
  t.setLeaves(
    params.assets.map((a) => [
      BigInt(a.assetId),
      poseidon([BigInt(a.assetId), BigInt(a.issuerIndex), a.maxSupply, BigInt(a.policyFlags)]),
    ]),
  );
  return t;
}

function withAccount(slot: SlotInput, side: 'from' | 'to', a: Account | undefined): void {
  const ax = a ? a.publicKey[0] : 0n;
  const ay = a ? a.publicKey[1] : 0n;
  const eth = a ? BigInt(a.ethAddress) : 0n;
  const meta = a ? fe(packAccountMeta(a)) : 0n;
  const bal = a ? fe(a.balance) : 0n;
  if (side === 'from')
    Object.assign(slot, { fromAx: ax, fromAy: ay, fromEth: eth, fromMeta: meta, fromBalance: bal });
  else Object.assign(slot, { toAx: ax, toAy: ay, toEth: eth, toMeta: meta, toBalance: bal });
}

export type AddOptions = {
  /**
   * Skip core's rules and apply the transaction's effect anyway (tests of invalid transactions:
   * the circuit must reject what core would have rejected).
   */
  force?: boolean;
};

/**
 * States rebuilt from a pre-state witness (`stateFromPreState`). They hold the accumulators and
 * the observer key in force but not the notes or the spent key images, so a ring transaction's
 * ring, key-image freshness and ring signature — rules the proof does not cover, checked by the
 * sequencer quorum that committed the block — cannot be re-checked there: its effects are applied
 * with core's `replayPublicRecord` (what the proof constrains) instead of `applyTx`.
 */
const partialStates = new WeakSet<L2State>();

/** A point B with 8·B = P (the circuit's subgroup witness); any point for invalid inputs. */
function eighth(p: Point): Point {
  return mulPoint(p, INV8);
}

/**
 * Builds the circuit input of one block, transaction by transaction. The state is advanced to the
 * post-state of the block.
 */
export class BatchWitnessBuilder {
  private readonly slots: SlotInput[] = [];
  private readonly txs: Tx[] = [];
  private readonly receipts: Receipt[] = [];
  private readonly assets: SparseMerkleTree;
  readonly prevStateRoot: bigint;
  private readonly start: {
    accountsRoot: bigint;
    nextIndex: number;
    notesRoot: bigint;
    keyImagesRoot: bigint;
  };
  /** The accumulators as the circuit chains them (checked against core's after every slot). */
  private notesAcc: bigint;
  private keysAcc: bigint;
  private readonly indexBits: number;

  constructor(
    readonly state: L2State,
    readonly circuit: BatchParams,
  ) {
    const { arity, depth } = state.params.tree;
    if (arity !== circuit.arity || depth !== circuit.depth || state.chainId !== circuit.chainId) {
      throw new WitnessError(
        'SHAPE_MISMATCH',
        `state has arity ${arity}, depth ${depth}, chain ${state.chainId}; circuit has ${circuit.arity}, ${circuit.depth}, ${circuit.chainId}`,
      );
    }
    this.assets = assetsTree(state.params);
    this.prevStateRoot = state.stateRoot();
    this.start = {
      accountsRoot: state.tree.root,
      nextIndex: state.nextIndex,
      notesRoot: state.notesRoot,
      keyImagesRoot: state.keyImagesRoot,
    };
    this.notesAcc = state.notesRoot;
    this.keysAcc = state.keyImagesRoot;
    this.indexBits = Math.log2(arity) * depth;
  }

  get length(): number {
    return this.slots.length;
  }

  /** Apply `tx` (through core unless forced) and record its slot. Throws core's ProtocolError. */
  add(tx: Tx, options: AddOptions = {}): Receipt {
    if (this.slots.length >= this.circuit.slots) {
      throw new WitnessError('TOO_MANY_TXS', `the circuit has ${this.circuit.slots} slots`);
    }
    const { state } = this;
    const tree = state.tree;
    state.stateRoot();
    const slot = emptySlot(this.circuit.depth, this.circuit.arity);
    const capacity = tree.capacity;
    const snapshot = (i: number) => {
      const a = state.account(i);
      return a ? { ...a } : undefined;
    };

    // pre-state of the accounts this slot opens
    const fromIndex =
      tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD
        ? tx.from
        : undefined;
    const toIndex =
      tx.type === TxType.TRANSFER || tx.type === TxType.UNSHIELD
        ? tx.to
        : tx.type === TxType.DEPOSIT
          ? Number(BigInt(tx.to) % capacity)
          : tx.type === TxType.REGISTER
            ? state.nextIndex
            : undefined;
    const preFrom = fromIndex !== undefined ? snapshot(fromIndex) : undefined;
    const preTo = toIndex !== undefined ? snapshot(toIndex) : undefined;

    const receipt = options.force
      ? forceApply(state, tx)
      : partialStates.has(state) && (tx.type === TxType.PRIVATE_TRANSFER || tx.type === TxType.UNSHIELD)
        ? applyCommittedRingTx(state, tx)
        : applyTx(state, tx);

    // ---- FROM unit
    if (tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD) {
      const post = state.account(tx.from);
      if (!preFrom || !post) throw new WitnessError('BAD_PRESTATE', `sender ${tx.from} missing`);
      withAccount(slot, 'from', preFrom);
      slot.fromIdx = BigInt(tx.from);
      slot.fromChildren = pathChildren(tree, BigInt(tx.from), leafOf(preFrom));
      tree.setLeaf(BigInt(tx.from), leafOf(post));
      slot.sigR8x = tx.signature.R8[0];
      slot.sigR8y = tx.signature.R8[1];
      slot.sigS = tx.signature.S;
      slot.amountF = encodeAmount(tx.amount);
      if (tx.type === TxType.TRANSFER) slot.isTransfer = 1n;
      else if (tx.type === TxType.WITHDRAW) slot.isWithdraw = 1n;
      else {
        slot.isShield = 1n;
        slot.privAsset = BigInt(preFrom.assetId);
      }
    } else if (tx.type === TxType.REGISTER) {
      const id = BigInt(tx.assetId);
      const leaf = id < capacity ? this.assets.leaf(id) : 0n;
      slot.fromIdx = id < capacity ? id : 0n;
      slot.assetLeaf = leaf;
      slot.fromChildren = pathChildren(this.assets, slot.fromIdx, leaf);
    } else {
      slot.fromChildren = pathChildren(tree, 0n, 0n);
    }

    // ---- TO unit
    if (
      tx.type === TxType.TRANSFER ||
      tx.type === TxType.DEPOSIT ||
      tx.type === TxType.REGISTER ||
      tx.type === TxType.UNSHIELD
    ) {
      const idx = BigInt(toIndex!);
      const post = state.account(toIndex!);
      withAccount(slot, 'to', tx.type === TxType.REGISTER ? post : preTo);
      slot.toIdx = idx;
      slot.toEmpty = preTo ? 0n : 1n;
      slot.toChildren = pathChildren(tree, idx, preTo ? leafOf(preTo) : 0n);
      const changed =
        tx.type !== TxType.DEPOSIT || (receipt.type === TxType.DEPOSIT && receipt.credited === true);
      if (changed && post) tree.setLeaf(idx, leafOf(post));
      if (tx.type === TxType.DEPOSIT) {
        slot.isDeposit = 1n;
        slot.toHi = BigInt(tx.to) >> BigInt(this.indexBits);
        slot.depAmount = tx.amount;
        slot.depAsset = BigInt(tx.assetId);
        slot.depositor = BigInt(tx.depositor);
      } else if (tx.type === TxType.REGISTER) {
        slot.isRegister = 1n;
        const root = eighth(tx.publicKey);
        slot.keyRootX = root[0];
        slot.keyRootY = root[1];
      } else {
        slot.toIdx = BigInt(tx.to);
      }
    } else {
      slot.toChildren = pathChildren(tree, 0n, 0n);
    }

    // ---- notes, key images, observer keys (values as core published them: the receipt)
    this.privacySlot(slot, tx, receipt);

    // core is the oracle: its tree and accumulators after the transaction must be the ones the
    // circuit computes
    const circuitRoot = tree.root;
    state.stateRoot();
    if (!options.force) {
      if (state.tree.root !== circuitRoot) {
        throw new WitnessError(
          'ROOT_MISMATCH',
          `slot ${this.slots.length}: circuit root ${circuitRoot} ≠ core root ${state.tree.root}`,
        );
      }
      if (state.notesRoot !== this.notesAcc || state.keyImagesRoot !== this.keysAcc) {
        throw new WitnessError(
          'ROOT_MISMATCH',
          `slot ${this.slots.length}: circuit accumulators (${this.notesAcc}, ${this.keysAcc}) ≠ core (${state.notesRoot}, ${state.keyImagesRoot})`,
        );
      }
    }
    this.slots.push(slot);
    this.txs.push(tx);
    this.receipts.push(receipt);
    return receipt;
  }

  private privacySlot(slot: SlotInput, tx: Tx, receipt: Receipt): void {
    const setPoint = (p: Point) => {
      slot.noteX = p[0];
      slot.noteY = p[1];
      const root = eighth(p);
      slot.keyRootX = root[0];
      slot.keyRootY = root[1];
    };
    switch (tx.type) {
      case TxType.SHIELD: {
        if (receipt.type !== TxType.SHIELD) throw new WitnessError('BAD_PRESTATE', 'shield receipt expected');
        setPoint(tx.output.oneTimeKey);
        slot.binding = receipt.binding;
        this.notesAcc = poseidon([this.notesAcc, receipt.noteCommitment]);
        return;
      }
      case TxType.PRIVATE_TRANSFER: {
        if (receipt.type !== TxType.PRIVATE_TRANSFER)
          throw new WitnessError('BAD_PRESTATE', 'private transfer receipt expected');
        slot.isPrivate = 1n;
        slot.amountF = encodeAmount(tx.amount);
        setPoint(tx.output.oneTimeKey);
        slot.privAsset = BigInt(tx.assetId);
        slot.keyImageTag = receipt.keyImageTag;
        slot.binding = receipt.binding;
        this.keysAcc = poseidon([this.keysAcc, receipt.keyImageTag]);
        this.notesAcc = poseidon([this.notesAcc, receipt.noteCommitment]);
        return;
      }
      case TxType.UNSHIELD: {
        if (receipt.type !== TxType.UNSHIELD)
          throw new WitnessError('BAD_PRESTATE', 'unshield receipt expected');
        slot.isUnshield = 1n;
        slot.amountF = encodeAmount(tx.amount);
        slot.privAsset = BigInt(tx.assetId);
        slot.keyImageTag = receipt.keyImageTag;
        slot.binding = receipt.binding;
        this.keysAcc = poseidon([this.keysAcc, receipt.keyImageTag]);
        return;
      }
      case TxType.OBSERVER_KEY:
        slot.isObserverKey = 1n;
        setPoint(tx.key);
        slot.privAsset = tx.epoch;
        return;
      case TxType.REGISTER:
      case TxType.TRANSFER:
      case TxType.DEPOSIT:
      case TxType.WITHDRAW:
        return;
      default:
        throw new WitnessError('BAD_PRESTATE', `unknown transaction type ${(tx as { type: unknown }).type}`);
    }
  }

  /** Pad with NOOPs and produce the circuit input and the public values. */
  finish(): BatchWitness {
    const { state, circuit } = this;
    const stateRoot = state.stateRoot();
    const slots = [...this.slots];
    while (slots.length < circuit.slots) {
      const s = emptySlot(circuit.depth, circuit.arity);
      s.fromChildren = pathChildren(state.tree, 0n, 0n);
      s.toChildren = s.fromChildren;
      slots.push(s);
    }
    const commitment = commitBatch(batchData(this.txs, this.receipts), circuit.slots);
    const [kHi, kLo] = splitHash(commitment.dataHash);
    const N = circuit.slots;
    const str = (v: bigint) => v.toString();
    const input: CircuitInput = {
      accountsRoot: str(this.start.accountsRoot),
      assetsRoot: str(state.assetsRoot),
      notesRoot: str(this.start.notesRoot),
      keyImagesRoot: str(this.start.keyImagesRoot),
      nextIndex: str(BigInt(this.start.nextIndex)),
      kHi: str(kHi),
      kLo: str(kLo),
      regData: commitment.elements.slice(2 * N, 5 * N).map(str),
      exitData: commitment.elements.slice(5 * N, 7 * N).map(str),
    };
    for (const key of SLOT_KEYS) {
      const col = slots.map((s) => s[key]);
      input[key] = (
        Array.isArray(col[0])
          ? (col as bigint[][][]).map((m) => m.map((r) => r.map(str)))
          : (col as bigint[]).map(str)
      ) as string[] | string[][][];
    }
    return {
      input,
      prevStateRoot: this.prevStateRoot,
      stateRoot,
      commitment,
      publicInput: batchPublicInput(this.prevStateRoot, stateRoot, commitment),
      receipts: [...this.receipts],
    };
  }
}

/** float40 of an amount; amounts with no float40 form (invalid transactions) keep their raw bits. */
function encodeAmount(amount: bigint): bigint {
  try {
    return encodeFloat40(amount);
  } catch {
    return amount < 1n << 35n && amount >= 0n ? amount : 0n;
  }
}

/** The key-image tag of a ring transaction (its signature decoded). */
function ringTag(tx: RingTx): bigint {
  const sig = tryDecodeRingSignature(fromHex(tx.ringSignature));
  if (!sig || sig.s1.length !== tx.ring.length) {
    throw new ProtocolError('BAD_RING_SIGNATURE', 'ring signature is malformed or sized for another ring');
  }
  return keyImageTag(sig.keyImage);
}

/**
 * A committed ring transaction on a pre-state witness (see `partialStates`): the rules the state
 * can check (denomination, observer epoch, recipient, key image not spent earlier in the block),
 * then exactly the effects core replays from the transaction's public data.
 */
function applyCommittedRingTx(state: L2State, tx: RingTx): Receipt {
  checkDenomination(state, tx.assetId, tx.amount);
  checkObserver(state, tx.observerEpoch);
  const tag = ringTag(tx);
  const binding = privacyBinding(tx, state.chainId);
  const isPrivate = tx.type === TxType.PRIVATE_TRANSFER;
  return replayPublicRecord(
    state,
    { type: tx.type, from: tx.assetId, to: isPrivate ? 0 : tx.to, amount: tx.amount },
    {
      ax: tag,
      ay: isPrivate ? noteCommitment(tx.output.oneTimeKey, tx.assetId, tx.amount) : 0n,
      ethAddress: binding,
    },
  ).receipt;
}

/**
 * The effect of a transaction without any rule (tests only): nonce + 1 and debit for the sender,
 * credit for the recipient, a fresh account for a registration, deposits always credited when the
 * recipient exists, notes and key images folded whatever their values.
 */
function forceApply(state: L2State, tx: Tx): Receipt {
  switch (tx.type) {
    case TxType.TRANSFER: {
      const from = state.account(tx.from)!;
      const to = state.account(tx.to)!;
      state.putAccount({ ...from, nonce: from.nonce + 1n, balance: fe(from.balance - tx.amount) });
      const to2 = state.account(tx.to) ?? to;
      state.putAccount({ ...to2, balance: fe(to2.balance + tx.amount) });
      return { type: TxType.TRANSFER };
    }
    case TxType.WITHDRAW: {
      const from = state.account(tx.from)!;
      state.putAccount({ ...from, nonce: from.nonce + 1n, balance: fe(from.balance - tx.amount) });
      return {
        type: TxType.WITHDRAW,
        exit: { recipient: from.ethAddress, assetId: from.assetId, amount: tx.amount },
      };
    }
    case TxType.DEPOSIT: {
      state.nextDepositIndex += 1n;
      const to = state.account(tx.to);
      if (to) {
        state.putAccount({ ...to, balance: fe(to.balance + tx.amount) });
        return { type: TxType.DEPOSIT, credited: true };
      }
      return {
        type: TxType.DEPOSIT,
        credited: false,
        reason: 'forced',
        exit: { recipient: tx.depositor, assetId: tx.assetId, amount: tx.amount },
      };
    }
    case TxType.REGISTER: {
      const index = state.nextIndex;
      state.putAccount({
        index,
        publicKey: tx.publicKey,
        ethAddress: tx.ethAddress.toLowerCase() as `0x${string}`,
        assetId: tx.assetId,
        nonce: 0n,
        accountType: 0,
        kycLevel: 0,
        flags: 0,
        balance: 0n,
      });
      state.nextIndex = index + 1;
      return { type: TxType.REGISTER, accountIndex: index };
    }
    case TxType.SHIELD: {
      const from = state.account(tx.from)!;
      state.putAccount({ ...from, nonce: from.nonce + 1n, balance: fe(from.balance - tx.amount) });
      const cm = noteCommitment(tx.output.oneTimeKey, from.assetId, tx.amount);
      state.foldNoteCommitment(cm);
      return {
        type: TxType.SHIELD,
        noteIndex: -1,
        noteCommitment: cm,
        binding: privacyBinding(tx, state.chainId),
      };
    }
    case TxType.PRIVATE_TRANSFER: {
      const tag = ringTag(tx);
      const cm = noteCommitment(tx.output.oneTimeKey, tx.assetId, tx.amount);
      state.addKeyImage(tag, {});
      state.foldNoteCommitment(cm);
      return {
        type: TxType.PRIVATE_TRANSFER,
        noteIndex: -1,
        noteCommitment: cm,
        keyImageTag: tag,
        binding: privacyBinding(tx, state.chainId),
      };
    }
    case TxType.UNSHIELD: {
      const tag = ringTag(tx);
      const to = state.account(tx.to)!;
      state.addKeyImage(tag, {});
      state.putAccount({ ...to, balance: fe(to.balance + tx.amount) });
      return { type: TxType.UNSHIELD, keyImageTag: tag, binding: privacyBinding(tx, state.chainId) };
    }
    case TxType.OBSERVER_KEY:
      state.addObserverKey({ epoch: tx.epoch, key: tx.key });
      return { type: TxType.OBSERVER_KEY, epoch: tx.epoch };
    default:
      throw new WitnessError('BAD_PRESTATE', `unknown transaction type ${(tx as { type: unknown }).type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Pre-state witness: what a prover needs of the state to prove one block, without the whole tree.

type AccountJson = ReturnType<typeof accountToJson>;

export type PreStateWitness = {
  accountsRoot: string;
  nextIndex: number;
  nextDepositIndex: string;
  /** The notes and key-image accumulators (decimal). */
  notesRoot: string;
  keyImagesRoot: string;
  /** The observer key in force (privacy transactions must use its epoch), if any. */
  observerKey: { epoch: string; key: [string, string] } | null;
  /** Accounts the block touches (core's account JSON; ethAddress a 0x-prefixed hex string). */
  accounts: (Omit<AccountJson, 'ethAddress' | 'publicKey'> & {
    ethAddress: string;
    publicKey: [string, string];
  })[];
  /** Tree nodes on the paths the block touches: [level, index, value] (decimal strings). */
  nodes: [number, string, string][];
};

/** Indexes of the accounts tree that a block's transactions open (pre-state positions). */
export function touchedIndexes(state: L2State, txs: readonly Tx[]): bigint[] {
  const cap = state.tree.capacity;
  const set = new Set<bigint>([0n]);
  let next = BigInt(state.nextIndex);
  for (const tx of txs) {
    if (tx.type === TxType.TRANSFER) {
      set.add(BigInt(tx.from) % cap);
      set.add(BigInt(tx.to) % cap);
    } else if (tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD) set.add(BigInt(tx.from) % cap);
    else if (tx.type === TxType.DEPOSIT || tx.type === TxType.UNSHIELD) set.add(BigInt(tx.to) % cap);
    else if (tx.type === TxType.REGISTER) {
      if (next < cap) set.add(next);
      next += 1n;
    }
  }
  return [...set];
}

/** Extract the pre-state witness of `txs` from a full state (sequencer side). */
export function extractPreState(state: L2State, txs: readonly Tx[]): PreStateWitness {
  state.stateRoot();
  const tree = state.tree;
  const arity = BigInt(tree.shape.arity);
  const nodes = new Map<string, [number, bigint, bigint]>();
  const accounts: PreStateWitness['accounts'] = [];
  for (const index of touchedIndexes(state, txs)) {
    const account = state.account(Number(index));
    if (account) {
      const j = accountToJson(account);
      accounts.push({ ...j, publicKey: [j.publicKey[0]!, j.publicKey[1]!] });
    }
    const proof = tree.proof(index);
    let cur = tree.leaf(index);
    let pos = index;
    proof.siblings.forEach((sibs, level) => {
      nodes.set(`${level}:${pos}`, [level, pos, cur]);
      const offset = pos % arity;
      const parent = pos / arity;
      sibs.forEach((v, j) => {
        const i = parent * arity + (BigInt(j) < offset ? BigInt(j) : BigInt(j) + 1n);
        nodes.set(`${level}:${i}`, [level, i, v]);
      });
      const children = [...sibs.slice(0, Number(offset)), cur, ...sibs.slice(Number(offset))];
      cur = poseidon(children);
      pos = parent;
    });
    nodes.set(`${tree.shape.depth}:0`, [tree.shape.depth, 0n, cur]);
  }
  const observer = state.currentObserverKey();
  return {
    accountsRoot: tree.root.toString(),
    nextIndex: state.nextIndex,
    nextDepositIndex: state.nextDepositIndex.toString(),
    notesRoot: state.notesRoot.toString(),
    keyImagesRoot: state.keyImagesRoot.toString(),
    observerKey: observer
      ? { epoch: observer.epoch.toString(), key: [observer.key[0].toString(), observer.key[1].toString()] }
      : null,
    accounts,
    nodes: [...nodes.values()].map(([l, i, v]) => [l, i.toString(), v.toString()]),
  };
}

/**
 * A state holding only the witnessed accounts and tree nodes, the accumulators and the observer
 * key in force (prover side). Every read the block's account transactions make is covered, so
 * core's `applyTx` and tree updates behave as on the full state; ring transactions are applied as
 * committed (see `partialStates`).
 */
export function stateFromPreState(params: ChainParams, w: PreStateWitness): L2State {
  const store = new MemoryNodeStore();
  const known = new Map<string, bigint>();
  for (const [level, index, value] of w.nodes) {
    store.set(level, BigInt(index), BigInt(value));
    known.set(`${level}:${index}`, BigInt(value));
  }
  // every witnessed node whose children are witnessed must be their hash (no inconsistent paths)
  const arity = BigInt(params.tree.arity);
  const zeros = emptySubtreeHashes(params.tree);
  for (const [level, index, value] of w.nodes) {
    if (level === 0) continue;
    const first = BigInt(index) * arity;
    const children: bigint[] = [];
    let any = false;
    for (let j = 0n; j < arity; j++) {
      const v = known.get(`${level - 1}:${first + j}`);
      if (v !== undefined) any = true;
      children.push(v ?? zeros[level - 1]!);
    }
    if (any && poseidon(children) !== BigInt(value)) {
      throw new WitnessError(
        'BAD_PRESTATE',
        `witnessed node ${level}:${index} is not the hash of its children`,
      );
    }
  }
  const state = new L2State(params, store);
  for (const j of w.accounts) {
    const account = accountFromJson(j as AccountJson);
    if (known.get(`0:${j.index}`) !== accountLeaf(account)) {
      throw new WitnessError('BAD_PRESTATE', `account ${j.index} does not match its witnessed leaf`);
    }
    state.accounts.set(j.index, account);
  }
  state.nextIndex = w.nextIndex;
  state.nextDepositIndex = BigInt(w.nextDepositIndex);
  const observer = w.observerKey;
  state.loadPrivacy({
    notes: [],
    keyImages: [],
    observerKeys: observer
      ? [{ epoch: BigInt(observer.epoch), key: [BigInt(observer.key[0]), BigInt(observer.key[1])] }]
      : [],
    notesRoot: BigInt(w.notesRoot),
    keyImagesRoot: BigInt(w.keyImagesRoot),
  });
  partialStates.add(state);
  if (state.tree.root.toString() !== w.accountsRoot) {
    throw new WitnessError(
      'BAD_PRESTATE',
      `witnessed nodes give accounts root ${state.tree.root}, expected ${w.accountsRoot}`,
    );
  }
  return state;
}

/**
 * Build the whole block's witness (all transactions through core). All or nothing: if a
 * transaction is rejected the state is rolled back to where it was and the error rethrown.
 */
export function buildBlockWitness(state: L2State, txs: readonly Tx[], circuit: BatchParams): BatchWitness {
  state.checkpoint();
  try {
    const b = new BatchWitnessBuilder(state, circuit);
    for (const tx of txs) b.add(tx);
    const w = b.finish();
    state.release();
    return w;
  } catch (err) {
    state.rollback();
    state.stateRoot();
    throw err;
  }
}
