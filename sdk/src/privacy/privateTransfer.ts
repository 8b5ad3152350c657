import { type StealthAddress, buildPrivateTransfer } from '@tessera/core';
import { toStealthAddress } from './address.ts';
import { type PrivacyContext, memoBytes } from './context.ts';
import type { SentPrivacyTx } from './send.ts';
import { spendNote } from './spend.ts';

export type PrivateTransferResult = SentPrivacyTx & {
  assetId: number;
  amount: bigint;
  spentNote: number;
  ring: number[];
  noteIndex?: number;
};

/** Pays one note of `amount` of `assetId` to `recipient`'s stealth address, hidden in a ring. */
export async function privateTransfer(
  ctx: PrivacyContext,
  assetId: number,
  amount: bigint,
  recipient: string | StealthAddress,
  memo?: string | Uint8Array,
): Promise<PrivateTransferResult> {
  const to = toStealthAddress(recipient);
  const note = memoBytes(memo);
  const sent = await spendNote(ctx, assetId, amount, note, (spend) =>
    buildPrivateTransfer({ ...spend, recipient: to }),
  );
  return { ...sent, noteIndex: sent.receipt.noteIndex };
}
