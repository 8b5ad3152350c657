import type { Point, RingSpend, Tx } from '@tessera/core';
import { fetchPrivacyParams } from './chain.ts';
import type { PrivacyContext } from './context.ts';
import { checkDenomination } from './denominations.ts';
import { NoSpendableNoteError } from './errors.ts';
import { selectRing } from './ring.ts';
import type { OwnedNote } from './scan.ts';
import { type SentPrivacyTx, sendWithObserver } from './send.ts';

export type PreparedSpend = {
  owned: OwnedNote;
  ring: { index: number; oneTimeKey: Point }[];
};

/**
 * Scans, picks the oldest unspent owned note of the asset and value, and draws its ring by the
 * policy of docs/PRIVACY.md "Ring selection" within the chain's bounds.
 */
export async function prepareSpend(
  ctx: PrivacyContext,
  assetId: number,
  amount: bigint,
): Promise<PreparedSpend> {
  const params = await fetchPrivacyParams(ctx.client);
  checkDenomination(params, assetId, amount);
  await ctx.scanner.scan(ctx.client);
  const owned = ctx.scanner.unspent({ assetId, amount })[0];
  if (!owned) {
    const have = ctx.scanner
      .unspent({ assetId })
      .map((o) => o.note.amount.toString())
      .join(', ');
    throw new NoSpendableNoteError(
      `no unspent ${amount} note of asset ${assetId}${have ? ` (notes of this asset: ${have})` : ''}`,
    );
  }
  const indices = selectRing(
    ctx.scanner.eligible(assetId, amount),
    owned.note.index,
    { minRingSize: params.minRingSize, maxRingSize: params.maxRingSize, ...ctx.ringPolicy },
    ctx.random,
  );
  return {
    owned,
    ring: indices.map((i) => ({ index: i, oneTimeKey: ctx.scanner.notes[i]!.oneTimeKey })),
  };
}

export type SpentNote = SentPrivacyTx & {
  assetId: number;
  amount: bigint;
  spentNote: number;
  ring: number[];
};

/**
 * The common path of a private transfer and an unshield: prepare the spend, build the ring
 * transaction for the current observer key with `build`, send it, and mark the note spent.
 */
export async function spendNote(
  ctx: PrivacyContext,
  assetId: number,
  amount: bigint,
  memo: Uint8Array | undefined,
  build: (spend: RingSpend) => Tx,
): Promise<SpentNote> {
  const { owned, ring } = await prepareSpend(ctx, assetId, amount);
  const sent = await sendWithObserver(ctx, (observer) =>
    build({
      chainId: ctx.chainId,
      assetId,
      amount,
      ring,
      spentIndex: owned.note.index,
      secretKey: owned.secret,
      sender: ctx.publicKey,
      senderAddress: ctx.keys.address,
      observer,
      ...(memo ? { memo } : {}),
    }),
  );
  ctx.scanner.markSpent(owned.note.index, sent.hash);
  return { ...sent, assetId, amount, spentNote: owned.note.index, ring: ring.map((m) => m.index) };
}
