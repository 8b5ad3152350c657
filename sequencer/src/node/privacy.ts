import {
  type Account,
  type Hex,
  type KeyImageRecord,
  type L2State,
  type Note,
  type NoteJson,
  type ObserverKeyRecord,
  type ObserverKeyTx,
  ProtocolError,
  type Receipt,
  type RingTx,
  type ShieldTx,
  type Tx,
  TxType,
  applyTx,
  checkRingTx,
  checkShield,
  noteFromJson,
  noteToJson,
} from '@tessera/core';
import type { BatchOp, KVStore } from '@tessera/core/storage/kv';

/*
 * The sequencer's privacy ledger on top of core's L2State: persistence of notes, spent key images,
 * observer keys and the two accumulators (in the block's own synced batch), the committed view the
 * RPC serves, and the admission checks the mempool runs.
 *
 * Keys: n/<note index, 10 digits> note · i/<key-image tag, 64 hex> spend · o/<epoch, 20 digits>
 * observer key added by a rotation (the genesis key comes from the chain parameters) ·
 * m/privacy the accumulators. Values are JSON with decimal strings for field elements.
 */

const ROOTS_KEY = 'm/privacy';
const noteKey = (index: number) => `n/${index.toString().padStart(10, '0')}`;
const keyImageKey = (tag: bigint) => `i/${tag.toString(16).padStart(64, '0')}`;
const observerKey = (epoch: bigint) => `o/${epoch.toString().padStart(20, '0')}`;

type KeyImageJson = { tag: string; keyImage?: [string, string]; txHash?: Hex };
type ObserverJson = { epoch: string; key: [string, string] };
type RootsJson = { notesRoot: string; keyImagesRoot: string; notes: number };

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;
const pt = (p: readonly [bigint, bigint]): [string, string] => [p[0].toString(), p[1].toString()];
const unpt = (p: [string, string]): [bigint, bigint] => [BigInt(p[0]), BigInt(p[1])];

export function observerKeyToJson(o: ObserverKeyRecord): ObserverJson {
  return { epoch: o.epoch.toString(), key: pt(o.key) };
}

/** Accounts whose public balance a privacy transaction changes (persistence, mempool nonces). */
export function privacyTouched(tx: Tx): number | undefined {
  if (tx.type === TxType.SHIELD) return tx.from;
  if (tx.type === TxType.UNSHIELD) return tx.to;
  return undefined;
}

export class PrivacyLedgerError extends Error {
  readonly code = 'LEDGER';
}

/**
 * Notes and observer keys are append-only, so "committed" is a prefix of the live lists (which may
 * carry a speculative block's additions); spent key images are read back from the store, where
 * only committed blocks write.
 */
export class PrivacyLedger {
  private committedNotes = 0;
  private committedObserverKeys = 0;

  constructor(
    private readonly state: L2State,
    private readonly kv: KVStore,
  ) {}

  /** Restores the privacy state written by earlier commits (before the state-root check). */
  async load(): Promise<void> {
    const raw = await this.kv.get(ROOTS_KEY);
    if (raw) {
      const roots = dec<RootsJson>(raw);
      const notes: Note[] = [];
      for await (const [, v] of this.kv.entries('n/')) notes.push(noteFromJson(dec<NoteJson>(v)));
      notes.forEach((n, i) => {
        if (n.index !== i) throw new PrivacyLedgerError(`stored notes skip from ${i} to ${n.index}`);
      });
      if (notes.length !== roots.notes)
        throw new PrivacyLedgerError(`stored ${notes.length} notes, the head has ${roots.notes}`);
      const keyImages: [bigint, KeyImageRecord][] = [];
      for await (const [, v] of this.kv.entries('i/')) {
        const j = dec<KeyImageJson>(v);
        keyImages.push([
          BigInt(j.tag),
          {
            ...(j.keyImage ? { keyImage: unpt(j.keyImage) } : {}),
            ...(j.txHash ? { txHash: j.txHash } : {}),
          },
        ]);
      }
      // The genesis key (chain parameters) is already in the state; rotations come from the store.
      const byEpoch = new Map(this.state.observerKeys.map((o) => [o.epoch, o]));
      for await (const [, v] of this.kv.entries('o/')) {
        const j = dec<ObserverJson>(v);
        byEpoch.set(BigInt(j.epoch), { epoch: BigInt(j.epoch), key: unpt(j.key) });
      }
      const observerKeys = [...byEpoch.values()].sort((a, b) => (a.epoch < b.epoch ? -1 : 1));
      this.state.loadPrivacy({
        notes,
        keyImages,
        observerKeys,
        notesRoot: BigInt(roots.notesRoot),
        keyImagesRoot: BigInt(roots.keyImagesRoot),
      });
    }
    this.markCommitted();
  }

  /** The live state is now the head (genesis, or a block whose ops were just computed). */
  markCommitted(): void {
    this.committedNotes = this.state.notes.length;
    this.committedObserverKeys = this.state.observerKeys.length;
  }

  /**
   * What a block adds, for the block's batch: its notes, the key images it spent and its
   * rotations, and the accumulators. Call after the block is applied and released, then
   * `markCommitted()`.
   */
  commitOps(receipts: readonly Receipt[]): BatchOp[] {
    const ops: BatchOp[] = [];
    const notes = this.state.notes;
    for (let i = this.committedNotes; i < notes.length; i++)
      ops.push({ type: 'put', key: noteKey(i), value: enc(noteToJson(notes[i]!)) });
    for (const r of receipts) {
      if (r.type !== TxType.PRIVATE_TRANSFER && r.type !== TxType.UNSHIELD) continue;
      const rec = this.state.keyImages.get(r.keyImageTag);
      const json: KeyImageJson = {
        tag: r.keyImageTag.toString(),
        ...(rec?.keyImage ? { keyImage: pt(rec.keyImage) } : {}),
        ...(rec?.txHash ? { txHash: rec.txHash } : {}),
      };
      ops.push({ type: 'put', key: keyImageKey(r.keyImageTag), value: enc(json) });
    }
    const keys = this.state.observerKeys;
    for (let i = this.committedObserverKeys; i < keys.length; i++)
      ops.push({ type: 'put', key: observerKey(keys[i]!.epoch), value: enc(observerKeyToJson(keys[i]!)) });
    if (ops.length > 0) {
      const roots: RootsJson = {
        notesRoot: this.state.notesRoot.toString(),
        keyImagesRoot: this.state.keyImagesRoot.toString(),
        notes: notes.length,
      };
      ops.push({ type: 'put', key: ROOTS_KEY, value: enc(roots) });
    }
    return ops;
  }

  // ---------------------------------------------------------------- committed view (RPC)

  get noteCount(): number {
    return this.committedNotes;
  }

  notes(from: number, count: number): Note[] {
    return this.state.notes.slice(
      Math.min(from, this.committedNotes),
      Math.min(from + count, this.committedNotes),
    );
  }

  observerKeys(): ObserverKeyRecord[] {
    return this.state.observerKeys.slice(0, this.committedObserverKeys);
  }

  currentObserverKey(): ObserverKeyRecord | undefined {
    return this.committedObserverKeys > 0
      ? this.state.observerKeys[this.committedObserverKeys - 1]
      : undefined;
  }

  /** A committed spend of this key-image tag, if any. */
  async spentKeyImage(tag: bigint): Promise<{ txHash?: Hex } | undefined> {
    const raw = await this.kv.get(keyImageKey(tag));
    if (!raw) return undefined;
    const j = dec<KeyImageJson>(raw);
    return j.txHash ? { txHash: j.txHash } : {};
  }

  // ---------------------------------------------------------------- admission (mempool)

  /**
   * Every rule of a private transfer or unshield, ring signature included, against the node's
   * state; returns the key-image tag. The mempool's "verified" mark must hold for any block built
   * on the head, so the ring may only name committed notes (their keys never change) and the
   * observer epoch must be a committed one.
   */
  checkRingTx(tx: RingTx): bigint {
    for (const i of tx.ring) {
      if (i >= this.committedNotes && i < this.state.notes.length)
        throw new ProtocolError('BAD_RING', `note ${i} is not committed yet; use committed notes only`);
    }
    const current = this.currentObserverKey();
    if (current && tx.observerEpoch > current.epoch) {
      throw new ProtocolError(
        'STALE_OBSERVER_EPOCH',
        `observer epoch ${tx.observerEpoch} is not in force yet (committed epoch ${current.epoch})`,
      );
    }
    return checkRingTx(this.state, tx).tag;
  }

  checkShield(tx: ShieldTx, from: Account): void {
    checkShield(this.state, tx, from);
  }

  /** Epoch, key and regulator-admin signature: a trial application, rolled back. */
  checkObserverKey(tx: ObserverKeyTx): void {
    this.state.checkpoint();
    try {
      applyTx(this.state, tx);
    } finally {
      this.state.rollback();
    }
  }

  isKeyImageSpent(tag: bigint): boolean {
    return this.state.keyImages.has(tag);
  }
}
