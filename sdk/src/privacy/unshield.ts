import { buildUnshield } from '@tessera/core';
import { type PrivacyContext, memoBytes } from './context.ts';
import { PrivacyWalletError } from './errors.ts';
import type { SentPrivacyTx } from './send.ts';
import { spendNote } from './spend.ts';

export type UnshieldResult = SentPrivacyTx & {
  assetId: number;
  amount: bigint;
  spentNote: number;
  ring: number[];
  to: number;
};

/** Spends one note of `amount` of `assetId` into public account `toAccount` (any holder of the asset). */
export async function unshield(
  ctx: PrivacyContext,
  assetId: number,
  amount: bigint,
  toAccount: number,
  options: { memo?: string | Uint8Array } = {},
): Promise<UnshieldResult> {
  const note = memoBytes(options.memo);
  const account = await ctx.client.getAccount(toAccount);
  if (!account) throw new PrivacyWalletError('UNKNOWN_ACCOUNT', `account ${toAccount} does not exist`);
  if (account.assetId !== assetId)
    throw new PrivacyWalletError(
      'UNKNOWN_ACCOUNT',
      `account ${toAccount} holds asset ${account.assetId}, not asset ${assetId}`,
    );
  const sent = await spendNote(ctx, assetId, amount, note, (spend) =>
    buildUnshield({ ...spend, to: toAccount }),
  );
  return { ...sent, to: toAccount };
}
