import { type StealthAddress, buildShield } from '@tessera/core';
import { toStealthAddress } from './address.ts';
import { fetchPrivacyParams } from './chain.ts';
import { type PrivacyContext, memoBytes } from './context.ts';
import { checkDenomination } from './denominations.ts';
import { PrivacyWalletError } from './errors.ts';
import { type SentPrivacyTx, sendWithObserver } from './send.ts';

export type ShieldResult = SentPrivacyTx & { assetId: number; amount: bigint; noteIndex?: number };

/**
 * Moves `amount` (one of the asset's note values) from public account `accountIndex` into a
 * private note for `recipient` (default: this wallet's own stealth address).
 */
export async function shield(
  ctx: PrivacyContext,
  accountIndex: number,
  amount: bigint,
  recipient?: string | StealthAddress,
  options: { memo?: string | Uint8Array } = {},
): Promise<ShieldResult> {
  const to = recipient === undefined ? ctx.keys.address : toStealthAddress(recipient);
  const memo = memoBytes(options.memo);
  const params = await fetchPrivacyParams(ctx.client);
  const first = await ctx.client.getAccount(accountIndex);
  if (!first) throw new PrivacyWalletError('UNKNOWN_ACCOUNT', `account ${accountIndex} does not exist`);
  if (
    first.publicKey[0] !== ctx.publicKey[0].toString() ||
    first.publicKey[1] !== ctx.publicKey[1].toString()
  )
    throw new PrivacyWalletError('NOT_OUR_ACCOUNT', `account ${accountIndex} is not this wallet's`);
  checkDenomination(params, first.assetId, amount);
  if (BigInt(first.balance) < amount)
    throw new PrivacyWalletError(
      'INSUFFICIENT_BALANCE',
      `account ${accountIndex} holds ${first.balance}, the note needs ${amount}`,
    );
  const sent = await sendWithObserver(ctx, async (observer) => {
    // Fresh nonce on every build (a retry after a rotation sends again).
    const account = (await ctx.client.getAccount(accountIndex)) ?? first;
    return buildShield({
      privateKey: ctx.l2Key,
      chainId: ctx.chainId,
      account: {
        index: accountIndex,
        assetId: account.assetId,
        nonce: BigInt(account.nonce),
        publicKey: ctx.publicKey,
      },
      amount,
      recipient: to,
      observer,
      ...(memo ? { memo } : {}),
    });
  });
  return { ...sent, assetId: first.assetId, amount, noteIndex: sent.receipt.noteIndex };
}
