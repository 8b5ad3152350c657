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

/** A new note: its one-time key P and the transaction key R the recipient scans with. */
export type NoteOutput = { oneTimeKey: Point; txPublicKey: Point };

/** Public balance → note. Signed by the account key over the note and the observer memo. */
export type ShieldTx = {
  type: 5;
  from: number;
  /** One of the asset's denominations. */
  amount: bigint;
  nonce: bigint;
  output: NoteOutput;
  observerEpoch: bigint;
  /** Observer memo ciphertext (sender, recipient, asset, amount, memo), MEMO_CIPHERTEXT_LENGTH bytes. */
  memo: Hex;
  signature: Signature;
};

/** Note → note of the same asset and denomination, signed by a ring of notes. */
export type PrivateTransferTx = {
  type: 6;
  assetId: number;
  amount: bigint;
  /** Note indices, strictly increasing. */
  ring: number[];
  output: NoteOutput;
  observerEpoch: bigint;
  memo: Hex;
  /** Encoded accountable linkable ring signature (core/src/privacy/encoding.ts). */
  ringSignature: Hex;
};

/** Note → public balance of account `to`. */
export type UnshieldTx = {
  type: 7;
  assetId: number;
  amount: bigint;
  ring: number[];
  to: number;
  observerEpoch: bigint;
  memo: Hex;
  ringSignature: Hex;
};

/** Regulator admin registers the observer key of epoch `epoch` (= current + 1). */
export type ObserverKeyTx = {
  type: 16;
  epoch: bigint;
  key: Point;
  signature: Signature;
};

export type Tx =
  | RegisterTx
  | TransferTx
  | DepositTx
  | WithdrawTx
  | ShieldTx
  | PrivateTransferTx
  | UnshieldTx
  | ObserverKeyTx;
export type SignedTx = TransferTx | WithdrawTx | ShieldTx;
export type RingTx = PrivateTransferTx | UnshieldTx;
