import { encodeFloat40 } from '../amount/float40.ts';
import { fromHex } from '../bytes.ts';
import { MAX_BALANCE, TxType } from '../constants.ts';
import { type Point, verifyPoseidon } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import { verifyRing } from '../privacy/alsag.ts';
import { tryDecodeRingSignature } from '../privacy/encoding.ts';
import { MEMO_CIPHERTEXT_LENGTH, MEMO_VERSION } from '../privacy/observer.ts';
import type { RingSignature } from '../privacy/types.ts';
import { isValidGroupElement } from '../privacy/validate.ts';
import { txHash } from '../tx/encoding.ts';
import {
  keyImageTag,
  noteCommitment,
  observerKeyMessage,
  privacyBinding,
  privacyBodyHash,
} from '../tx/privacy.ts';
import type { NoteOutput, ObserverKeyTx, RingTx, ShieldTx, Tx, UnshieldTx } from '../tx/types.ts';
import { isBanned } from './account.ts';
import type { Account } from './account.ts';
import type { L2State, ObserverKeyRecord, PrivacyParams } from './state.ts';

/*
 * Rules of the privacy transactions (docs/PROTOCOL.md "Privacy"). Like the rest of applyTx, every
 * check runs before the first write.
 */

/** `binding` and the tags are what the block's public data carries for the transaction. */
export type PrivacyReceipt =
  | { type: 5; noteIndex: number; noteCommitment: bigint; binding: bigint }
  | { type: 6; noteIndex: number; noteCommitment: bigint; keyImageTag: bigint; binding: bigint }
  | { type: 7; keyImageTag: bigint; binding: bigint }
  | { type: 16; epoch: bigint };

export function privacyParams(state: L2State): PrivacyParams {
  const p = state.params.privacy;
  if (!p) throw new ProtocolError('NOT_SUPPORTED', 'this chain has no privacy parameters');
  return p;
}

/** The asset's denominations must include `amount`. */
export function checkDenomination(state: L2State, assetId: number, amount: bigint): void {
  const asset = state.asset(assetId);
  if (!asset) throw new ProtocolError('UNKNOWN_ASSET', `asset ${assetId} is not listed`);
  if (!asset.denominations?.includes(amount)) {
    throw new ProtocolError(
      'BAD_DENOMINATION',
      `${amount} is not a note value of asset ${assetId} (allowed: ${(asset.denominations ?? []).join(', ') || 'none'})`,
    );
  }
  encodeFloat40(amount);
}

/** The observer key the transaction must be encrypted to: the one in force, by epoch. */
export function checkObserver(state: L2State, epoch: bigint): ObserverKeyRecord {
  const current = state.currentObserverKey();
  if (!current) throw new ProtocolError('NO_OBSERVER_KEY', 'no observer key is registered yet');
  if (epoch !== current.epoch) {
    throw new ProtocolError(
      'STALE_OBSERVER_EPOCH',
      `transaction encrypts to observer epoch ${epoch}, the key in force is epoch ${current.epoch}`,
    );
  }
  return current;
}

function checkMemo(memo: string): void {
  const bytes = fromHex(memo);
  if (bytes.length !== MEMO_CIPHERTEXT_LENGTH || bytes[0] !== MEMO_VERSION) {
    throw new ProtocolError(
      'BAD_MEMO',
      `observer memo must be ${MEMO_CIPHERTEXT_LENGTH} bytes, version ${MEMO_VERSION}`,
    );
  }
}

function checkOutput(state: L2State, output: NoteOutput): void {
  if (!isValidGroupElement(output.oneTimeKey) || !isValidGroupElement(output.txPublicKey)) {
    throw new ProtocolError(
      'BAD_NOTE_OUTPUT',
      'output keys must be non-identity points of the prime-order subgroup',
    );
  }
  const clash = state.noteIndexOf(output.oneTimeKey);
  if (clash !== undefined) {
    throw new ProtocolError('BAD_NOTE_OUTPUT', `one-time key already belongs to note ${clash}`);
  }
}

/** Shield-specific rules; the account rules (nonce, funds, signature) are checked by the caller. */
export function checkShield(state: L2State, tx: ShieldTx, from: Account): void {
  privacyParams(state);
  checkDenomination(state, from.assetId, tx.amount);
  checkObserver(state, tx.observerEpoch);
  checkMemo(tx.memo);
  checkOutput(state, tx.output);
}

export function applyShieldEffects(state: L2State, tx: ShieldTx, from: Account): PrivacyReceipt {
  const note = state.addNote({
    oneTimeKey: tx.output.oneTimeKey,
    txPublicKey: tx.output.txPublicKey,
    assetId: from.assetId,
    amount: tx.amount,
    commitment: noteCommitment(tx.output.oneTimeKey, from.assetId, tx.amount),
    origin: txHash(tx),
  });
  return {
    type: TxType.SHIELD,
    noteIndex: note.index,
    noteCommitment: note.commitment,
    binding: privacyBinding(tx, state.chainId),
  };
}

/** The one-time keys of a ring, after checking the ring against the notes. */
export function ringKeys(state: L2State, tx: RingTx): Point[] {
  const p = privacyParams(state);
  const { ring } = tx;
  if (ring.length < 1 || ring.length > p.maxRingSize) {
    throw new ProtocolError('BAD_RING', `ring size ${ring.length} is outside 1..${p.maxRingSize}`);
  }
  const keys: Point[] = [];
  for (let i = 0; i < ring.length; i++) {
    const index = ring[i]!;
    if (i > 0 && index <= ring[i - 1]!)
      throw new ProtocolError('BAD_RING', 'ring members must be strictly increasing note indices');
    const note = state.notes[index];
    if (!note) throw new ProtocolError('BAD_RING', `note ${index} does not exist`);
    if (note.assetId !== tx.assetId || note.amount !== tx.amount) {
      throw new ProtocolError('BAD_RING', `note ${index} is not a ${tx.amount} note of asset ${tx.assetId}`);
    }
    keys.push(note.oneTimeKey);
  }
  const required = Math.min(p.minRingSize, state.eligibleNotes(tx.assetId, tx.amount));
  if (ring.length < required) {
    throw new ProtocolError('BAD_RING', `ring has ${ring.length} members, at least ${required} are required`);
  }
  return keys;
}

export type CheckedRingTx = { signature: RingSignature; tag: bigint };

/** Every rule of a private transfer or unshield; the ring signature unless already verified. */
export function checkRingTx(state: L2State, tx: RingTx, signatureVerified = false): CheckedRingTx {
  checkDenomination(state, tx.assetId, tx.amount);
  const observer = checkObserver(state, tx.observerEpoch);
  checkMemo(tx.memo);
  const keys = ringKeys(state, tx);
  const signature = tryDecodeRingSignature(fromHex(tx.ringSignature));
  if (!signature || signature.s1.length !== tx.ring.length) {
    throw new ProtocolError('BAD_RING_SIGNATURE', 'ring signature is malformed or sized for another ring');
  }
  const tag = keyImageTag(signature.keyImage);
  const spent = state.keyImages.get(tag);
  if (spent)
    throw new ProtocolError(
      'KEY_IMAGE_SPENT',
      `key image already spent${spent.txHash ? ` by ${spent.txHash}` : ''}`,
    );
  if (tx.type === TxType.PRIVATE_TRANSFER) checkOutput(state, tx.output);
  else checkUnshieldRecipient(state, tx);
  if (!signatureVerified) {
    const message = fromHex(privacyBodyHash(tx, state.chainId));
    if (
      !verifyRing({ ring: keys, message, observer: { key: observer.key, epoch: observer.epoch } }, signature)
    ) {
      throw new ProtocolError('BAD_RING_SIGNATURE', 'ring signature does not verify');
    }
  }
  return { signature, tag };
}

function checkUnshieldRecipient(state: L2State, tx: UnshieldTx): Account {
  const to = state.account(tx.to);
  if (!to) throw new ProtocolError('UNKNOWN_ACCOUNT', `recipient account ${tx.to} does not exist`);
  if (isBanned(to)) throw new ProtocolError('ACCOUNT_BANNED', `recipient account ${tx.to} is banned`);
  if (to.assetId !== tx.assetId) {
    throw new ProtocolError(
      'ASSET_MISMATCH',
      `account ${tx.to} holds asset ${to.assetId}, the note ${tx.assetId}`,
    );
  }
  if (to.balance + tx.amount > MAX_BALANCE)
    throw new ProtocolError('BALANCE_OVERFLOW', 'recipient balance would exceed 2^128 - 1');
  return to;
}

export function applyRingTx(state: L2State, tx: RingTx, signatureVerified: boolean): PrivacyReceipt {
  const { signature, tag } = checkRingTx(state, tx, signatureVerified);
  const hash = txHash(tx);
  if (tx.type === TxType.PRIVATE_TRANSFER) {
    state.addKeyImage(tag, { keyImage: signature.keyImage, txHash: hash });
    const note = state.addNote({
      oneTimeKey: tx.output.oneTimeKey,
      txPublicKey: tx.output.txPublicKey,
      assetId: tx.assetId,
      amount: tx.amount,
      commitment: noteCommitment(tx.output.oneTimeKey, tx.assetId, tx.amount),
      origin: hash,
    });
    return {
      type: TxType.PRIVATE_TRANSFER,
      noteIndex: note.index,
      noteCommitment: note.commitment,
      keyImageTag: tag,
      binding: privacyBinding(tx, state.chainId),
    };
  }
  const to = checkUnshieldRecipient(state, tx);
  state.addKeyImage(tag, { keyImage: signature.keyImage, txHash: hash });
  state.putAccount({ ...to, balance: to.balance + tx.amount });
  return { type: TxType.UNSHIELD, keyImageTag: tag, binding: privacyBinding(tx, state.chainId) };
}

export function applyObserverKey(
  state: L2State,
  tx: ObserverKeyTx,
  signatureVerified: boolean,
): PrivacyReceipt {
  const admin = privacyParams(state).regulatorAdmin;
  if (!admin) throw new ProtocolError('NOT_REGULATOR_ADMIN', 'this chain has no regulator admin');
  const expected = (state.currentObserverKey()?.epoch ?? 0n) + 1n;
  if (tx.epoch !== expected || expected >= 1n << 32n) {
    throw new ProtocolError('STALE_OBSERVER_EPOCH', `next observer epoch is ${expected}, got ${tx.epoch}`);
  }
  if (!isValidGroupElement(tx.key)) {
    throw new ProtocolError(
      'BAD_OBSERVER_KEY',
      'observer key must be a non-identity point of the prime-order subgroup',
    );
  }
  if (!signatureVerified && !verifyPoseidon(observerKeyMessage(tx, state.chainId), tx.signature, admin)) {
    throw new ProtocolError(
      'NOT_REGULATOR_ADMIN',
      'observer key rotation is not signed by the regulator admin',
    );
  }
  state.addObserverKey({ epoch: tx.epoch, key: tx.key });
  return { type: TxType.OBSERVER_KEY, epoch: tx.epoch };
}

export function isPrivacyTx(tx: Tx): boolean {
  return tx.type >= TxType.SHIELD && tx.type <= TxType.UNSHIELD;
}
