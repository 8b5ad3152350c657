import { MAX_BALANCE, MAX_NONCE, TxType } from '../constants.ts';
import type { Point, Signature } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import type { ObserverKeyTx, PrivateTransferTx, ShieldTx, Tx, UnshieldTx } from '../tx/types.ts';
import { isBanned } from './account.ts';
import type { Receipt } from './apply.ts';
import type { L2State } from './state.ts';

/*
 * Replaying privacy and observer-key transactions from L1 public data alone (the auditor and the
 * escape-hatch replica). L1 has each one's record and its extras triple but no signature, ring,
 * output keys or memo, so this applies exactly what the validity proof constrains: account
 * effects, the accumulators and the observer keys; plus the one thing L1 data can prove about
 * ring spends without a proof — a key-image tag that repeats is a double spend.
 */

export type PublicRecord = { type: number; from: number; to: number; amount: bigint };
export type PublicExtras = { ax: bigint; ay: bigint; ethAddress: bigint };

const NO_POINT: Point = [0n, 1n];
const NO_SIGNATURE: Signature = { R8: [0n, 1n], S: 0n };
const placeholder = { observerEpoch: 0n, memo: '0x' as const };

/** Apply one privacy/observer-key record; returns a stand-in transaction and the receipt that re-encode to the same public data. */
export function replayPublicRecord(
  state: L2State,
  rec: PublicRecord,
  extras: PublicExtras,
): { tx: Tx; receipt: Receipt } {
  switch (rec.type) {
    case TxType.SHIELD:
      return replayShield(state, rec, extras);
    case TxType.PRIVATE_TRANSFER:
      return replayPrivate(state, rec, extras);
    case TxType.UNSHIELD:
      return replayUnshield(state, rec, extras);
    case TxType.OBSERVER_KEY:
      return replayObserverKey(state, rec, extras);
    default:
      throw new ProtocolError('UNKNOWN_TX_TYPE', `record type ${rec.type} is not a privacy record`);
  }
}

function spendTag(state: L2State, tag: bigint): void {
  if (state.keyImages.has(tag))
    throw new ProtocolError('KEY_IMAGE_SPENT', `key-image tag ${tag} is published twice (double spend)`);
  state.addKeyImage(tag, {});
}

function replayShield(state: L2State, rec: PublicRecord, x: PublicExtras) {
  const from = state.account(rec.from);
  if (!from) throw new ProtocolError('UNKNOWN_ACCOUNT', `shielding account ${rec.from} does not exist`);
  if (isBanned(from)) throw new ProtocolError('ACCOUNT_BANNED', `shielding account ${rec.from} is banned`);
  if (rec.amount <= 0n || rec.amount > from.balance)
    throw new ProtocolError('INSUFFICIENT_BALANCE', `account ${rec.from} cannot shield ${rec.amount}`);
  if (from.nonce >= MAX_NONCE)
    throw new ProtocolError('NONCE_EXHAUSTED', `account ${rec.from} has used every nonce`);
  if (x.ay !== 0n) throw new ProtocolError('BLOCK_INVALID', 'shield extras must be (cm, 0, binding)');
  state.putAccount({ ...from, nonce: from.nonce + 1n, balance: from.balance - rec.amount });
  state.foldNoteCommitment(x.ax);
  const tx: ShieldTx = {
    type: TxType.SHIELD,
    from: rec.from,
    amount: rec.amount,
    nonce: from.nonce,
    output: { oneTimeKey: NO_POINT, txPublicKey: NO_POINT },
    ...placeholder,
    signature: NO_SIGNATURE,
  };
  return {
    tx,
    receipt: { type: TxType.SHIELD, noteIndex: -1, noteCommitment: x.ax, binding: x.ethAddress } as Receipt,
  };
}

function replayPrivate(state: L2State, rec: PublicRecord, x: PublicExtras) {
  spendTag(state, x.ax);
  state.foldNoteCommitment(x.ay);
  const tx: PrivateTransferTx = {
    type: TxType.PRIVATE_TRANSFER,
    assetId: rec.from,
    amount: rec.amount,
    ring: [],
    output: { oneTimeKey: NO_POINT, txPublicKey: NO_POINT },
    ...placeholder,
    ringSignature: '0x',
  };
  const receipt: Receipt = {
    type: TxType.PRIVATE_TRANSFER,
    noteIndex: -1,
    noteCommitment: x.ay,
    keyImageTag: x.ax,
    binding: x.ethAddress,
  };
  return { tx, receipt };
}

function replayUnshield(state: L2State, rec: PublicRecord, x: PublicExtras) {
  const to = state.account(rec.to);
  if (!to) throw new ProtocolError('UNKNOWN_ACCOUNT', `unshield recipient ${rec.to} does not exist`);
  if (isBanned(to)) throw new ProtocolError('ACCOUNT_BANNED', `unshield recipient ${rec.to} is banned`);
  if (to.assetId !== rec.from)
    throw new ProtocolError('ASSET_MISMATCH', `account ${rec.to} does not hold asset ${rec.from}`);
  if (to.balance + rec.amount > MAX_BALANCE)
    throw new ProtocolError('BALANCE_OVERFLOW', 'unshield overflows');
  if (x.ay !== 0n) throw new ProtocolError('BLOCK_INVALID', 'unshield extras must be (tag, 0, binding)');
  spendTag(state, x.ax);
  state.putAccount({ ...to, balance: to.balance + rec.amount });
  const tx: UnshieldTx = {
    type: TxType.UNSHIELD,
    assetId: rec.from,
    amount: rec.amount,
    ring: [],
    to: rec.to,
    ...placeholder,
    ringSignature: '0x',
  };
  return { tx, receipt: { type: TxType.UNSHIELD, keyImageTag: x.ax, binding: x.ethAddress } as Receipt };
}

function replayObserverKey(state: L2State, rec: PublicRecord, x: PublicExtras) {
  const epoch = BigInt(rec.from);
  const expected = (state.currentObserverKey()?.epoch ?? 0n) + 1n;
  if (epoch !== expected)
    throw new ProtocolError('STALE_OBSERVER_EPOCH', `observer epoch ${epoch}, expected ${expected}`);
  state.addObserverKey({ epoch, key: [x.ax, x.ay] });
  const tx: ObserverKeyTx = { type: TxType.OBSERVER_KEY, epoch, key: [x.ax, x.ay], signature: NO_SIGNATURE };
  return { tx, receipt: { type: TxType.OBSERVER_KEY, epoch } as Receipt };
}
