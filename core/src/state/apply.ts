import { encodeFloat40 } from '../amount/float40.ts';
import type { Hex } from '../bytes.ts';
import { MAX_BALANCE, MAX_NONCE, TxType } from '../constants.ts';
import { isInPrimeSubgroup, isOnCurve, verifyPoseidon } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import { accountTxMessage } from '../tx/messages.ts';
import { isValidRegistrationBinding } from '../tx/registration.ts';
import type { DepositTx, RegisterTx, ShieldTx, SignedTx, TransferTx, Tx, WithdrawTx } from '../tx/types.ts';
import { type Account, isBanned } from './account.ts';
import {
  type PrivacyReceipt,
  applyObserverKey,
  applyRingTx,
  applyShieldEffects,
  checkShield,
} from './privacyApply.ts';
import type { L2State } from './state.ts';

/** A claim on L1 created by a withdrawal or by a deposit that could not be credited. */
export type Exit = { recipient: Hex; assetId: number; amount: bigint };

export type Receipt =
  | { type: 1; accountIndex: number }
  | { type: 2 }
  | { type: 3; credited: true }
  | { type: 3; credited: false; reason: string; exit: Exit }
  | { type: 4; exit: Exit }
  | PrivacyReceipt;

export type ApplyOptions = {
  /** The caller (mempool) already verified this exact transaction's signature (or ring signature). */
  signatureVerified?: boolean;
};

/**
 * The reference state transition. Every rule is checked before anything is written, so a
 * rejected transaction (a thrown ProtocolError) leaves the state exactly as it was.
 * Deterministic: integers only, no clock, no randomness.
 */
export function applyTx(state: L2State, tx: Tx, options: ApplyOptions = {}): Receipt {
  switch (tx.type) {
    case TxType.REGISTER:
      return applyRegister(state, tx);
    case TxType.TRANSFER:
      return applyTransfer(state, tx, options);
    case TxType.DEPOSIT:
      return applyDeposit(state, tx);
    case TxType.WITHDRAW:
      return applyWithdraw(state, tx, options);
    case TxType.SHIELD:
      return applyShield(state, tx, options);
    case TxType.PRIVATE_TRANSFER:
    case TxType.UNSHIELD:
      return applyRingTx(state, tx, options.signatureVerified ?? false);
    case TxType.OBSERVER_KEY:
      return applyObserverKey(state, tx, options.signatureVerified ?? false);
    default:
      throw new ProtocolError(
        'UNKNOWN_TX_TYPE',
        `unknown transaction type ${(tx as { type: unknown }).type}`,
      );
  }
}

function applyRegister(state: L2State, tx: RegisterTx): Receipt {
  const index = state.nextIndex;
  if (BigInt(index) >= state.tree.capacity)
    throw new ProtocolError('TREE_FULL', 'no free account index left');
  if (!state.asset(tx.assetId)) throw new ProtocolError('UNKNOWN_ASSET', `asset ${tx.assetId} is not listed`);
  const [x, y] = tx.publicKey;
  if (!isOnCurve(tx.publicKey) || !isInPrimeSubgroup(tx.publicKey) || (x === 0n && y === 1n)) {
    throw new ProtocolError(
      'BAD_PUBLIC_KEY',
      'public key must be a non-identity point of the prime-order subgroup',
    );
  }
  if (!isValidRegistrationBinding(tx.ethAddress, tx.publicKey, state.chainId, tx.binding)) {
    throw new ProtocolError(
      'BAD_BINDING',
      `binding signature is not by ${tx.ethAddress} over this key and chain`,
    );
  }
  state.putAccount({
    index,
    publicKey: tx.publicKey,
    ethAddress: tx.ethAddress.toLowerCase() as Hex,
    assetId: tx.assetId,
    nonce: 0n,
    accountType: 0,
    kycLevel: 0,
    flags: 0,
    balance: 0n,
  });
  state.nextIndex = index + 1;
  return { type: TxType.REGISTER, accountIndex: index };
}

function applyTransfer(state: L2State, tx: TransferTx, options: ApplyOptions): Receipt {
  if (tx.from === tx.to) throw new ProtocolError('SAME_ACCOUNT', 'sender and recipient are the same account');
  const from = checkSender(state, tx, options);
  const to = state.account(tx.to);
  if (!to) throw new ProtocolError('UNKNOWN_ACCOUNT', `recipient account ${tx.to} does not exist`);
  if (isBanned(to)) throw new ProtocolError('ACCOUNT_BANNED', `recipient account ${tx.to} is banned`);
  if (to.assetId !== from.assetId) {
    throw new ProtocolError(
      'ASSET_MISMATCH',
      `account ${tx.from} holds asset ${from.assetId}, account ${tx.to} holds ${to.assetId}`,
    );
  }
  if (to.balance + tx.amount > MAX_BALANCE)
    throw new ProtocolError('BALANCE_OVERFLOW', 'recipient balance would exceed 2^128 - 1');
  state.putAccount({ ...from, nonce: from.nonce + 1n, balance: from.balance - tx.amount });
  state.putAccount({ ...to, balance: to.balance + tx.amount });
  return { type: TxType.TRANSFER };
}

function applyWithdraw(state: L2State, tx: WithdrawTx, options: ApplyOptions): Receipt {
  const from = checkSender(state, tx, options);
  state.putAccount({ ...from, nonce: from.nonce + 1n, balance: from.balance - tx.amount });
  return {
    type: TxType.WITHDRAW,
    exit: { recipient: from.ethAddress, assetId: from.assetId, amount: tx.amount },
  };
}

function applyShield(state: L2State, tx: ShieldTx, options: ApplyOptions): Receipt {
  const from = checkSender(state, tx, options);
  checkShield(state, tx, from);
  state.putAccount({ ...from, nonce: from.nonce + 1n, balance: from.balance - tx.amount });
  return applyShieldEffects(state, tx, from);
}

/** Rules shared by every account-signed transaction: existence, ban, amount, nonce, funds, signature. */
function checkSender(state: L2State, tx: SignedTx, options: ApplyOptions): Account {
  const from = state.account(tx.from);
  if (!from) throw new ProtocolError('UNKNOWN_ACCOUNT', `sender account ${tx.from} does not exist`);
  if (isBanned(from)) throw new ProtocolError('ACCOUNT_BANNED', `sender account ${tx.from} is banned`);
  if (tx.amount <= 0n) throw new ProtocolError('AMOUNT_OUT_OF_RANGE', 'amount must be positive');
  encodeFloat40(tx.amount); // throws AMOUNT_NOT_REPRESENTABLE / AMOUNT_OUT_OF_RANGE
  if (tx.nonce !== from.nonce) {
    throw new ProtocolError('BAD_NONCE', `account ${tx.from} expects nonce ${from.nonce}, got ${tx.nonce}`);
  }
  if (from.nonce >= MAX_NONCE)
    throw new ProtocolError('NONCE_EXHAUSTED', `account ${tx.from} has used every nonce`);
  if (tx.amount > from.balance) {
    throw new ProtocolError(
      'INSUFFICIENT_BALANCE',
      `account ${tx.from} has ${from.balance}, needs ${tx.amount}`,
    );
  }
  if (
    !options.signatureVerified &&
    !verifyPoseidon(accountTxMessage(tx, state.chainId, from.assetId), tx.signature, from.publicKey)
  ) {
    throw new ProtocolError('BAD_SIGNATURE', `signature does not verify under account ${tx.from}'s key`);
  }
  return from;
}

/** Deposits are forced by L1: they are always consumed, credited if possible, refunded otherwise. */
function applyDeposit(state: L2State, tx: DepositTx): Receipt {
  if (tx.queueIndex !== state.nextDepositIndex) {
    throw new ProtocolError(
      'DEPOSIT_OUT_OF_ORDER',
      `expected deposit ${state.nextDepositIndex}, got ${tx.queueIndex}`,
    );
  }
  if (tx.amount > MAX_BALANCE || tx.amount < 0n)
    throw new ProtocolError('AMOUNT_OUT_OF_RANGE', 'deposit amount ≥ 2^128');
  state.nextDepositIndex += 1n;
  const to = state.account(tx.to);
  const reason = !to
    ? `account ${tx.to} does not exist`
    : isBanned(to)
      ? `account ${tx.to} is banned`
      : to.assetId !== tx.assetId
        ? `account ${tx.to} holds asset ${to.assetId}, deposit is asset ${tx.assetId}`
        : to.balance + tx.amount > MAX_BALANCE
          ? `account ${tx.to} balance would overflow`
          : undefined;
  if (reason === undefined && to) {
    state.putAccount({ ...to, balance: to.balance + tx.amount });
    return { type: TxType.DEPOSIT, credited: true };
  }
  return {
    type: TxType.DEPOSIT,
    credited: false,
    reason: reason ?? 'unknown',
    exit: { recipient: tx.depositor, assetId: tx.assetId, amount: tx.amount },
  };
}
