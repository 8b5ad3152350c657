import { type StealthAddress, buildPrivateTransfer } from '@tessera/core';
import { toStealthAddress } from './address.ts';
import { type PrivacyContext, memoBytes } from './context.ts';
import { type SentPrivacyTx, sendWithObserver } from './send.ts';
import { prepareSpend } from './spend.ts';

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
  const { owned, ring } = await prepareSpend(ctx, assetId, amount);
  const sent = await sendWithObserver(ctx, (observer) =>
    buildPrivateTransfer({
      chainId: ctx.chainId,
      assetId,
      amount,
      ring,
      spentIndex: owned.note.index,
      secretKey: owned.secret,
      sender: ctx.publicKey,
      senderAddress: ctx.keys.address,
      observer,
      recipient: to,
      ...(note ? { memo: note } : {}),
    }),
  );
  ctx.scanner.markSpent(owned.note.index, sent.hash);
  return {
    ...sent,
    assetId,
    amount,
    spentNote: owned.note.index,
    ring: ring.map((m) => m.index),
    noteIndex: sent.receipt.noteIndex,
  };
}
