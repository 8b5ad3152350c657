import { TxType } from '../constants.ts';
import { poseidon, signPoseidon } from '../crypto/index.ts';
import type { Signature } from '../crypto/index.ts';
import { shieldMessage } from './privacy.ts';
import type { SignedTx, TransferTx, WithdrawTx } from './types.ts';

/** msg = H(type, chainId, from, to, amount, nonce); `to` = 0 for a withdrawal. */
export function signedTxMessage(
  tx: Pick<TransferTx, 'from' | 'amount' | 'nonce'> & { type: 2 | 4; to?: number },
  chainId: bigint,
): bigint {
  const to = tx.type === TxType.TRANSFER ? BigInt(tx.to ?? 0) : 0n;
  return poseidon([BigInt(tx.type), chainId, BigInt(tx.from), to, tx.amount, tx.nonce]);
}

export function signTransfer(
  privateKey: Uint8Array,
  chainId: bigint,
  fields: Omit<TransferTx, 'type' | 'signature'>,
): TransferTx {
  const unsigned = { type: TxType.TRANSFER, ...fields } as const;
  const signature: Signature = signPoseidon(privateKey, signedTxMessage(unsigned, chainId));
  return { ...unsigned, signature };
}

export function signWithdraw(
  privateKey: Uint8Array,
  chainId: bigint,
  fields: Omit<WithdrawTx, 'type' | 'signature'>,
): WithdrawTx {
  const unsigned = { type: TxType.WITHDRAW, ...fields } as const;
  return { ...unsigned, signature: signPoseidon(privateKey, signedTxMessage(unsigned, chainId)) };
}

/** The message an account key signs for any account-signed transaction (`assetId`: the account's). */
export function accountTxMessage(tx: SignedTx, chainId: bigint, assetId: number): bigint {
  return tx.type === TxType.SHIELD ? shieldMessage(tx, chainId, assetId) : signedTxMessage(tx, chainId);
}
