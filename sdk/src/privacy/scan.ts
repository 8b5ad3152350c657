import {
  type Hex,
  type Note,
  type StealthKeys,
  keyImageTag,
  oneTimeSecret,
  ringKeyImage,
  scanOutput,
} from '@tessera/core';
import type { TesseraClient } from '../rpcClient.ts';
import { NOTES_PAGE, fetchKeyImage, fetchNotes } from './chain.ts';

/** A note paid to this wallet, with what spending it needs. */
export type OwnedNote = {
  note: Note;
  /** The one-time secret x (x·G = P). */
  secret: bigint;
  /** H(I) of its key image I = x·Hp(P): spent when the chain lists this tag. */
  keyImageTag: bigint;
  spent: boolean;
  spentBy?: Hex;
};

/**
 * Incremental scan of the chain's notes. Every note is read once (by index, from where the last
 * scan stopped) and tested with the view secret; the ones that are ours get their one-time
 * secret and key-image tag. Spent status is asked for each owned note not yet known spent.
 * Every note's index, asset and value is kept too: rings are drawn from them.
 */
export class NoteScanner {
  /** Every note seen, by index. */
  readonly notes: Note[] = [];
  readonly owned = new Map<number, OwnedNote>();

  constructor(readonly keys: StealthKeys) {}

  /** Index of the next note to read. */
  get cursor(): number {
    return this.notes.length;
  }

  /** Reads the notes created since the last scan and refreshes spent flags. Returns the new owned notes. */
  async scan(client: TesseraClient): Promise<OwnedNote[]> {
    const found: OwnedNote[] = [];
    for (;;) {
      const { total, notes } = await fetchNotes(client, this.cursor, NOTES_PAGE);
      for (const note of notes) {
        this.notes.push(note);
        const mine = this.check(note);
        if (mine) found.push(mine);
      }
      if (notes.length === 0 || this.cursor >= total) break;
    }
    await this.refreshSpent(client);
    return found;
  }

  /** Tests one note with the view key; records it as ours if it is. */
  private check(note: Note): OwnedNote | undefined {
    const { viewSecret, address } = this.keys;
    if (!scanOutput(viewSecret, address.spend, note.txPublicKey, note.oneTimeKey, 0)) return undefined;
    const secret = oneTimeSecret(this.keys, {
      txPublicKey: note.txPublicKey,
      oneTimeKey: note.oneTimeKey,
      outputIndex: 0,
    });
    const owned: OwnedNote = { note, secret, keyImageTag: keyImageTag(ringKeyImage(secret)), spent: false };
    this.owned.set(note.index, owned);
    return owned;
  }

  async refreshSpent(client: TesseraClient): Promise<void> {
    for (const o of this.owned.values()) {
      if (o.spent) continue;
      const r = await fetchKeyImage(client, o.keyImageTag);
      if (r.spent) {
        o.spent = true;
        if (r.txHash) o.spentBy = r.txHash;
      }
    }
  }

  /** Owned notes not spent, oldest first. */
  unspent(filter: { assetId?: number; amount?: bigint } = {}): OwnedNote[] {
    return [...this.owned.values()]
      .filter(
        (o) =>
          !o.spent &&
          (filter.assetId === undefined || o.note.assetId === filter.assetId) &&
          (filter.amount === undefined || o.note.amount === filter.amount),
      )
      .sort((a, b) => a.note.index - b.note.index);
  }

  /** Indices of every note of one asset and value: the set a ring is drawn from. */
  eligible(assetId: number, amount: bigint): number[] {
    return this.notes.filter((n) => n.assetId === assetId && n.amount === amount).map((n) => n.index);
  }

  markSpent(noteIndex: number, txHash?: Hex): void {
    const o = this.owned.get(noteIndex);
    if (!o) return;
    o.spent = true;
    if (txHash) o.spentBy = txHash;
  }
}
