import type { Hex } from '@tessera/core';
import { samePoint } from '@tessera/core/privacy/validate';
import { OpeningFailedError, RegulatorError } from './errors.ts';
import { type OpenedTransaction, openTransaction } from './open.ts';
import type { AccountRef, Regulator } from './regulator.ts';

export type NoteTrace = {
  noteIndex: number;
  /**
   * From the transaction that created the note back to the shield that brought its value in:
   * each step is the transaction that created `noteIndex`, opened.
   */
  steps: { noteIndex: number; transaction: OpenedTransaction }[];
  /** The shield at the start of the chain and its public account. */
  origin: {
    txHash: Hex;
    blockHeight: bigint | null;
    accountIndex: number;
    ethAddress: string;
    account: AccountRef;
  };
};

/**
 * Follows a note back to where its value entered the private pool: the creating transaction of
 * the note is opened; if it is a private transfer, the note it really spent (named by the ring
 * signature's observer ciphertext) is followed in turn, until a shield. Spent notes always have
 * lower indices than the notes their spends create, so the walk ends.
 */
export async function traceNote(reg: Regulator, noteIndex: number): Promise<NoteTrace> {
  const steps: NoteTrace['steps'] = [];
  let current = noteIndex;
  for (;;) {
    const note = await reg.note(current);
    const opened = await openTransaction(reg, note.origin);
    if (opened.recipient.kind !== 'note' || !samePoint(opened.recipient.oneTimeKey, note.oneTimeKey))
      throw new RegulatorError(
        'BAD_RPC_RESPONSE',
        `note ${current} is not the output of its origin ${note.origin}`,
      );
    steps.push({ noteIndex: current, transaction: opened });
    if (opened.type === 'shield') {
      // A shield's sender is its debited account, always present (openTransaction checks it).
      const account = opened.sender.accounts[0]!;
      return {
        noteIndex,
        steps,
        origin: {
          txHash: opened.txHash,
          blockHeight: opened.blockHeight,
          accountIndex: account.index,
          ethAddress: account.ethAddress,
          account,
        },
      };
    }
    const spent = opened.spentNote;
    if (!spent) throw new OpeningFailedError(opened.txHash, 'no spent note');
    if (spent.index >= current)
      throw new RegulatorError(
        'BAD_RPC_RESPONSE',
        `note ${current} was created by spending a later note ${spent.index}`,
      );
    current = spent.index;
  }
}
