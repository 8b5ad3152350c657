import type { Hex } from '../bytes.ts';
import type { Point, Signature } from '../crypto/index.ts';

export type RegisterTx = {
  type: 1;
  ethAddress: Hex;
  publicKey: Point;
  assetId: number;
  /** EIP-191 signature by `ethAddress` over the registration message (docs/KEYS.md). */
  binding: Hex;
};

export type TransferTx = {
  type: 2;
  from: number;
  to: number;
  amount: bigint;
  nonce: bigint;
  signature: Signature;
};

/** Created by the sequencer from the L1 bridge queue, never submitted by wallets. */
export type DepositTx = {
  type: 3;
  queueIndex: bigint;
  depositor: Hex;
  to: number;
  assetId: number;
  amount: bigint;
};

export type WithdrawTx = {
  type: 4;
  from: number;
  amount: bigint;
  nonce: bigint;
  signature: Signature;
};

export type Tx = RegisterTx | TransferTx | DepositTx | WithdrawTx;
export type SignedTx = TransferTx | WithdrawTx;
