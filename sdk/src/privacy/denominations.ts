import type { PrivacyParams } from './chain.ts';
import { PrivacyWalletError } from './errors.ts';

/** Refuses an amount that is not one of the asset's note values, naming the allowed ones. */
export function checkDenomination(params: PrivacyParams, assetId: number, amount: bigint): void {
  const values = params.denominations.get(assetId);
  if (!values || values.length === 0)
    throw new PrivacyWalletError('BAD_DENOMINATION', `asset ${assetId} has no private notes on this chain`);
  if (!values.includes(amount))
    throw new PrivacyWalletError(
      'BAD_DENOMINATION',
      `${amount} is not a note value of asset ${assetId}; notes hold exactly one of ${values.join(', ')}`,
    );
}
