import {
  BASE8,
  type Hex,
  type NoteOutput,
  type ObserverMemo,
  type Point,
  type PrivateTransferTx,
  SUBGROUP_ORDER,
  type ShieldTx,
  type Tx,
  TxType,
  type UnshieldTx,
  bytesToUint,
  decryptMemo,
  fromHex,
  identifySigner,
  memoAad,
  mulPoint,
  oneTimeKeyFor,
  privacyBodyHash,
  toHex,
  tryDecodeRingSignature,
  txFromJson,
  verifyRing,
} from '@tessera/core';
import { samePoint } from '@tessera/core/privacy/validate';
import { encodeStealthAddress } from '../privacy/address.ts';
import {
  NotAPrivacyTransactionError,
  OpeningFailedError,
  RegulatorError,
  TransactionNotCommittedError,
  TransactionNotFoundError,
} from './errors.ts';
import type { AccountRef, Regulator } from './regulator.ts';

export type PrivacyTxKind = 'shield' | 'private_transfer' | 'unshield';

/** What the observer key reveals about one privacy transaction (docs/PRIVACY.md "Regulator tool"). */
export type OpenedTransaction = {
  txHash: Hex;
  type: PrivacyTxKind;
  blockHeight: bigint | null;
  txIndex: number | null;
  observerEpoch: bigint;
  assetId: number;
  /** The note value moved (public and proven). */
  amount: bigint;
  sender: {
    /** The sender's L2 account key: public for a shield, stated in the memo for a ring spend. */
    publicKey: Point | null;
    source: 'shield-account' | 'memo';
    /** Accounts registered with that key (for a shield: the debited account). */
    accounts: AccountRef[];
  };
  /** The note really spent (from the ring signature's observer ciphertext: proven). */
  spentNote: { index: number; oneTimeKey: Point; origin: Hex } | null;
  ring: number[] | null;
  /** Whether the ring signature verifies (the quorum checked it; re-checked here). */
  ringSignatureValid: boolean | null;
  recipient:
    | {
        kind: 'note';
        /** The stealth address the memo names (tsa1…), null if the memo is unreadable. */
        address: string | null;
        oneTimeKey: Point;
        /** True when the memo's transaction secret r gives exactly this output for that address. */
        verified: boolean;
      }
    | { kind: 'account'; index: number; account: AccountRef | null; verified: true };
  /** Index of the note the transaction created (shield, private transfer). */
  createdNote: number | null;
  memo: {
    /** False when the epoch's key does not decrypt it: the sender wrote an unreadable memo. */
    readable: boolean;
    /** The user's memo text (UTF-8), or null if absent or not text. */
    text: string | null;
    /** The user's memo bytes. */
    hex: Hex | null;
    statedAssetId: number | null;
    statedAmount: bigint | null;
  };
  /** Inconsistencies between what the memo states and what the transaction proves. */
  warnings: string[];
};

type PrivacyTx = ShieldTx | PrivateTransferTx | UnshieldTx;

/** Fetches a committed privacy transaction by hash and opens it. */
export async function openTransaction(reg: Regulator, txHash: string): Promise<OpenedTransaction> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(txHash))
    throw new RegulatorError('TX_NOT_FOUND', `${txHash} is not a 32-byte 0x transaction hash`);
  const hash = txHash.toLowerCase() as Hex;
  const view = await reg.client.getTransaction(hash);
  if (!view) throw new TransactionNotFoundError(hash);
  if (view.status !== 'committed' || !view.tx) throw new TransactionNotCommittedError(hash, view.status);
  return openFetchedTransaction(reg, {
    hash,
    tx: txFromJson(view.tx),
    blockHeight: view.blockHeight !== undefined ? BigInt(view.blockHeight) : null,
    index: view.index ?? null,
  });
}

/** The memo's free bytes: the output's transaction secret r (32 bytes), then the user's memo. */
function splitPayload(memo: ObserverMemo): { txSecret: bigint | null; user: Uint8Array } {
  if (memo.memo.length < 32) return { txSecret: null, user: memo.memo };
  return { txSecret: bytesToUint(memo.memo.subarray(0, 32)), user: memo.memo.subarray(32) };
}

/** P = Hs(r·V, 0)·G + S and R = r·G for the memo's recipient and r. */
function recipientVerified(memo: ObserverMemo, txSecret: bigint | null, output: NoteOutput): boolean {
  if (txSecret === null || txSecret <= 0n || txSecret >= SUBGROUP_ORDER) return false;
  try {
    return (
      samePoint(oneTimeKeyFor(memo.recipient, txSecret, 0), output.oneTimeKey) &&
      samePoint(mulPoint(BASE8, txSecret), output.txPublicKey)
    );
  } catch {
    return false;
  }
}

function memoText(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function kindOf(tx: PrivacyTx): PrivacyTxKind {
  return tx.type === TxType.SHIELD
    ? 'shield'
    : tx.type === TxType.PRIVATE_TRANSFER
      ? 'private_transfer'
      : 'unshield';
}

/** Opens a transaction already fetched and decoded. */
export async function openFetchedTransaction(
  reg: Regulator,
  fetched: { hash: Hex; tx: Tx; blockHeight: bigint | null; index: number | null },
): Promise<OpenedTransaction> {
  const { hash, tx } = fetched;
  if (tx.type !== TxType.SHIELD && tx.type !== TxType.PRIVATE_TRANSFER && tx.type !== TxType.UNSHIELD)
    throw new NotAPrivacyTransactionError(hash, tx.type);
  // The key first: without the right secret for this epoch nothing below runs.
  const observer = await reg.observer(tx.observerEpoch);
  const warnings: string[] = [];

  let assetId: number;
  let sender: OpenedTransaction['sender'];
  let spentNote: OpenedTransaction['spentNote'] = null;
  let ringSignatureValid: boolean | null = null;
  if (tx.type === TxType.SHIELD) {
    const account = await reg.account(tx.from);
    if (!account)
      throw new RegulatorError(
        'BAD_RPC_RESPONSE',
        `shield ${hash} debits account ${tx.from}, unknown to the sequencer`,
      );
    assetId = account.assetId;
    sender = { publicKey: account.publicKey, source: 'shield-account', accounts: [account] };
  } else {
    assetId = tx.assetId;
    const notes = await Promise.all(tx.ring.map((i) => reg.note(i)));
    const keys = notes.map((n) => n.oneTimeKey);
    const sig = tryDecodeRingSignature(fromHex(tx.ringSignature));
    if (!sig) throw new OpeningFailedError(hash, 'the ring signature is not canonically encoded');
    const at = identifySigner(keys, sig, observer.secret);
    if (at < 0) throw new OpeningFailedError(hash, 'the observer ciphertext names no member of the ring');
    const spent = notes[at]!;
    spentNote = { index: spent.index, oneTimeKey: spent.oneTimeKey, origin: spent.origin };
    ringSignatureValid = verifyRing(
      {
        ring: keys,
        message: fromHex(privacyBodyHash(tx, await reg.chainId())),
        observer: observer.publicKey,
      },
      sig,
    );
    if (!ringSignatureValid)
      warnings.push('the ring signature does not verify: the transaction should not have been committed');
    if (notes.some((n) => n.assetId !== tx.assetId || n.amount !== tx.amount))
      warnings.push('the ring holds notes of another asset or value');
    sender = { publicKey: null, source: 'memo', accounts: [] };
  }

  const memo = decryptMemo(observer, fromHex(tx.memo), { aad: memoAad(tx) });
  const payload = memo ? splitPayload(memo) : null;
  if (!memo) {
    warnings.push(
      tx.type === TxType.SHIELD
        ? 'the observer memo does not decrypt with the epoch key: the sender wrote an unreadable memo'
        : 'the observer memo does not decrypt with the epoch key: the sender wrote an unreadable memo (the spent note above is still proven by the ring signature)',
    );
  } else {
    if (memo.assetId !== assetId || memo.amount !== tx.amount)
      warnings.push(
        `the memo states ${memo.amount} of asset ${memo.assetId}; the transaction moves ${tx.amount} of asset ${assetId}`,
      );
    if (tx.type === TxType.SHIELD) {
      if (!samePoint(memo.sender, sender.publicKey!))
        warnings.push('the memo names another sender key than the shielding account');
    } else {
      sender = { publicKey: memo.sender, source: 'memo', accounts: await reg.accountsOf(memo.sender) };
      if (sender.accounts.length === 0)
        warnings.push('the sender key stated in the memo belongs to no account');
    }
  }

  let recipient: OpenedTransaction['recipient'];
  let createdNote: number | null = null;
  if (tx.type === TxType.UNSHIELD) {
    recipient = { kind: 'account', index: tx.to, account: await reg.account(tx.to), verified: true };
  } else {
    const verified = memo !== null && recipientVerified(memo, payload!.txSecret, tx.output);
    recipient = {
      kind: 'note',
      address: memo ? encodeStealthAddress(memo.recipient) : null,
      oneTimeKey: tx.output.oneTimeKey,
      verified,
    };
    if (memo && !verified)
      warnings.push(
        'the recipient stated in the memo does not match the output (wrong transaction secret or address)',
      );
    createdNote = await createdNoteOf(reg, hash, tx.output);
  }

  return {
    txHash: hash,
    type: kindOf(tx),
    blockHeight: fetched.blockHeight,
    txIndex: fetched.index,
    observerEpoch: tx.observerEpoch,
    assetId,
    amount: tx.amount,
    sender,
    spentNote,
    ring: tx.type === TxType.SHIELD ? null : [...tx.ring],
    ringSignatureValid,
    recipient,
    createdNote,
    memo: {
      readable: memo !== null,
      text: payload ? memoText(payload.user) : null,
      hex: payload && payload.user.length > 0 ? toHex(payload.user) : null,
      statedAssetId: memo ? memo.assetId : null,
      statedAmount: memo ? memo.amount : null,
    },
    warnings,
  };
}

/** The note index from the receipt, checked against the note's one-time key. */
async function createdNoteOf(reg: Regulator, hash: Hex, output: NoteOutput): Promise<number | null> {
  const r = await reg.client.getReceipt(hash);
  const index = (r?.receipt as { noteIndex?: unknown } | null | undefined)?.noteIndex;
  if (typeof index !== 'number') return null;
  const note = await reg.note(index);
  if (!samePoint(note.oneTimeKey, output.oneTimeKey))
    throw new RegulatorError(
      'BAD_RPC_RESPONSE',
      `receipt of ${hash} names note ${index}, which holds another key`,
    );
  return index;
}
