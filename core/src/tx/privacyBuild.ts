import { type Hex, concatBytes, toHex, uintToBytes } from '../bytes.ts';
import { TxType } from '../constants.ts';
import type { Point } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import { MEMO_MAX_BYTES, type ObserverMemo, encryptMemo } from '../privacy/observer.ts';
import { type RandomSource, defaultRandom } from '../privacy/scalar.ts';
import { type StealthAddress, createOutputs } from '../privacy/stealth.ts';
import type { ObserverKey } from '../privacy/types.ts';
import { memoAad, signRingTx, signShield } from './privacy.ts';
import type { NoteOutput, PrivateTransferTx, ShieldTx, UnshieldTx } from './types.ts';

/*
 * Wallet-side construction of privacy transactions: one-time output, observer memo, signature.
 *
 * The observer memo's free bytes start with the output's transaction secret r (32 bytes, zero for
 * an unshield) followed by the user's memo, so the regulator can check that the output really
 * pays the stated recipient: P = Hs(r·V, 0)·G + S (sdk/src/regulator).
 */

export const USER_MEMO_MAX_BYTES = MEMO_MAX_BYTES - 32;

function memoPayload(txSecret: bigint | undefined, userMemo: Uint8Array | undefined): Uint8Array {
  const note = userMemo ?? new Uint8Array();
  if (note.length > USER_MEMO_MAX_BYTES) {
    throw new ProtocolError('BAD_MEMO', `memo text is limited to ${USER_MEMO_MAX_BYTES} bytes`);
  }
  return concatBytes(uintToBytes(txSecret ?? 0n, 32), note);
}

function sealMemo(
  observer: ObserverKey,
  content: Omit<ObserverMemo, 'memo'>,
  payload: Uint8Array,
  aad: Uint8Array,
  random: RandomSource,
): Hex {
  return toHex(encryptMemo(observer, { ...content, memo: payload }, { aad, random }));
}

/** One-time output 0 to `recipient` and its transaction secret r. */
function outputWithSecret(
  recipient: StealthAddress,
  random: RandomSource,
): { out: NoteOutput; txSecret: bigint } {
  const { txSecret, outputs } = createOutputs([recipient], random);
  const o = outputs[0]!;
  return { out: { oneTimeKey: o.oneTimeKey, txPublicKey: o.txPublicKey }, txSecret };
}

export type ShieldParams = {
  privateKey: Uint8Array;
  chainId: bigint;
  account: { index: number; assetId: number; nonce: bigint; publicKey: Point };
  amount: bigint;
  recipient: StealthAddress;
  observer: ObserverKey;
  memo?: Uint8Array;
  random?: RandomSource;
};

export function buildShield(p: ShieldParams): ShieldTx {
  const random = p.random ?? defaultRandom;
  const { out, txSecret } = outputWithSecret(p.recipient, random);
  const memo = sealMemo(
    p.observer,
    { sender: p.account.publicKey, recipient: p.recipient, assetId: p.account.assetId, amount: p.amount },
    memoPayload(txSecret, p.memo),
    memoAad({ type: TxType.SHIELD, output: out }),
    random,
  );
  return signShield(p.privateKey, p.chainId, p.account.assetId, {
    from: p.account.index,
    amount: p.amount,
    nonce: p.account.nonce,
    output: out,
    observerEpoch: p.observer.epoch,
    memo,
  });
}

export type RingSpend = {
  chainId: bigint;
  assetId: number;
  amount: bigint;
  /** The ring, strictly increasing by note index, containing the spent note. */
  ring: readonly { index: number; oneTimeKey: Point }[];
  /** Note index of the spent note and its one-time secret. */
  spentIndex: number;
  secretKey: bigint;
  /** The sender's identity (its account key), told only to the observer. */
  sender: Point;
  /** The sender's own stealth address (the memo's recipient for an unshield). */
  senderAddress: StealthAddress;
  observer: ObserverKey;
  memo?: Uint8Array;
  random?: RandomSource;
};

function signerFor(p: RingSpend) {
  const index = p.ring.findIndex((m) => m.index === p.spentIndex);
  if (index < 0) throw new ProtocolError('BAD_RING', `spent note ${p.spentIndex} is not in the ring`);
  return { ringKeys: p.ring.map((m) => m.oneTimeKey), index, secretKey: p.secretKey, observer: p.observer };
}

export function buildPrivateTransfer(p: RingSpend & { recipient: StealthAddress }): PrivateTransferTx {
  const random = p.random ?? defaultRandom;
  const { out, txSecret } = outputWithSecret(p.recipient, random);
  const memo = sealMemo(
    p.observer,
    { sender: p.sender, recipient: p.recipient, assetId: p.assetId, amount: p.amount },
    memoPayload(txSecret, p.memo),
    memoAad({ type: TxType.PRIVATE_TRANSFER, output: out }),
    random,
  );
  const unsigned = {
    type: TxType.PRIVATE_TRANSFER,
    assetId: p.assetId,
    amount: p.amount,
    ring: p.ring.map((m) => m.index),
    output: out,
    observerEpoch: p.observer.epoch,
    memo,
  };
  return signRingTx(unsigned, p.chainId, signerFor(p));
}

export function buildUnshield(p: RingSpend & { to: number }): UnshieldTx {
  const random = p.random ?? defaultRandom;
  const memo = sealMemo(
    p.observer,
    { sender: p.sender, recipient: p.senderAddress, assetId: p.assetId, amount: p.amount },
    memoPayload(undefined, p.memo),
    memoAad({ type: TxType.UNSHIELD, to: p.to }),
    random,
  );
  const unsigned = {
    type: TxType.UNSHIELD,
    assetId: p.assetId,
    amount: p.amount,
    ring: p.ring.map((m) => m.index),
    to: p.to,
    observerEpoch: p.observer.epoch,
    memo,
  };
  return signRingTx(unsigned, p.chainId, signerFor(p));
}
