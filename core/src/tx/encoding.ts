import { keccak256 } from 'viem';
import { ByteReader, type Hex, concatBytes, fromHex, toHex, uintToBytes } from '../bytes.ts';
import { TxType } from '../constants.ts';
import { packPoint, packSignature, unpackPoint, unpackSignature } from '../crypto/index.ts';
import { MalformedError, ProtocolError } from '../errors.ts';
import { ringSignatureLength, tryDecodeRingSignature } from '../privacy/encoding.ts';
import { MEMO_CIPHERTEXT_LENGTH } from '../privacy/observer.ts';
import { privacyBody } from './privacy.ts';
import type { NoteOutput, Tx } from './types.ts';

/*
 * Canonical wire encoding (big-endian integers), also the preimage of the transaction hash:
 *   REGISTER  01 ‖ ethAddress 20 ‖ packed public key 32 ‖ assetId 4 ‖ binding signature 65
 *   TRANSFER  02 ‖ from 4 ‖ to 4 ‖ amount 16 ‖ nonce 5 ‖ packed signature 64
 *   DEPOSIT   03 ‖ queueIndex 8 ‖ depositor 20 ‖ to 4 ‖ assetId 4 ‖ amount 16
 *   WITHDRAW  04 ‖ from 4 ‖ amount 16 ‖ nonce 5 ‖ packed signature 64
 *   SHIELD    05 ‖ from 4 ‖ amount 16 ‖ nonce 5 ‖ P 32 ‖ R 32 ‖ epoch 8 ‖ memo 424 ‖ signature 64
 *   PRIVATE   06 ‖ assetId 4 ‖ amount 16 ‖ n 2 ‖ ring n×4 ‖ P 32 ‖ R 32 ‖ epoch 8 ‖ memo 424
 *                ‖ ring signature (its own encoding, ring size n)
 *   UNSHIELD  07 ‖ assetId 4 ‖ amount 16 ‖ n 2 ‖ ring n×4 ‖ to 4 ‖ epoch 8 ‖ memo 424 ‖ ring signature
 *   OBSERVER  10 ‖ epoch 8 ‖ packed key 32 ‖ packed signature 64
 * Decoding rejects unknown types, truncation, trailing bytes, off-curve or non-canonical points
 * and signatures, so two different byte strings never decode to the same transaction.
 */
export function encodeTx(tx: Tx): Uint8Array {
  switch (tx.type) {
    case TxType.REGISTER:
      return concatBytes(
        Uint8Array.of(tx.type),
        fromHex(tx.ethAddress, 20),
        packPoint(tx.publicKey),
        uintToBytes(BigInt(tx.assetId), 4),
        fromHex(tx.binding, 65),
      );
    case TxType.TRANSFER:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.from), 4),
        uintToBytes(BigInt(tx.to), 4),
        uintToBytes(tx.amount, 16),
        uintToBytes(tx.nonce, 5),
        packSignature(tx.signature),
      );
    case TxType.DEPOSIT:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(tx.queueIndex, 8),
        fromHex(tx.depositor, 20),
        uintToBytes(BigInt(tx.to), 4),
        uintToBytes(BigInt(tx.assetId), 4),
        uintToBytes(tx.amount, 16),
      );
    case TxType.WITHDRAW:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.from), 4),
        uintToBytes(tx.amount, 16),
        uintToBytes(tx.nonce, 5),
        packSignature(tx.signature),
      );
    case TxType.SHIELD:
      return concatBytes(privacyBody(tx), packSignature(tx.signature));
    case TxType.PRIVATE_TRANSFER:
    case TxType.UNSHIELD:
      return concatBytes(privacyBody(tx), fromHex(tx.ringSignature));
    case TxType.OBSERVER_KEY:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(tx.epoch, 8),
        packPoint(tx.key),
        packSignature(tx.signature),
      );
    default:
      throw new ProtocolError(
        'UNKNOWN_TX_TYPE',
        `cannot encode transaction type ${(tx as { type: unknown }).type}`,
      );
  }
}

export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length === 0) throw new MalformedError('empty transaction');
  const r = new ByteReader(bytes);
  const type = Number(r.uint(1, 'type'));
  let tx: Tx;
  switch (type) {
    case TxType.REGISTER: {
      const ethAddress = toHex(r.take(20, 'ethAddress'));
      const publicKey = unpackPoint(r.take(32, 'publicKey'));
      if (!publicKey) throw new MalformedError('public key is not a canonical point on BabyJubJub');
      tx = {
        type,
        ethAddress,
        publicKey,
        assetId: Number(r.uint(4, 'assetId')),
        binding: toHex(r.take(65, 'binding')),
      };
      break;
    }
    case TxType.TRANSFER: {
      const from = Number(r.uint(4, 'from'));
      const to = Number(r.uint(4, 'to'));
      const amount = r.uint(16, 'amount');
      const nonce = r.uint(5, 'nonce');
      tx = { type, from, to, amount, nonce, signature: readSignature(r) };
      break;
    }
    case TxType.DEPOSIT:
      tx = {
        type,
        queueIndex: r.uint(8, 'queueIndex'),
        depositor: toHex(r.take(20, 'depositor')),
        to: Number(r.uint(4, 'to')),
        assetId: Number(r.uint(4, 'assetId')),
        amount: r.uint(16, 'amount'),
      };
      break;
    case TxType.WITHDRAW: {
      const from = Number(r.uint(4, 'from'));
      const amount = r.uint(16, 'amount');
      const nonce = r.uint(5, 'nonce');
      tx = { type, from, amount, nonce, signature: readSignature(r) };
      break;
    }
    case TxType.SHIELD: {
      const from = Number(r.uint(4, 'from'));
      const amount = r.uint(16, 'amount');
      const nonce = r.uint(5, 'nonce');
      const output = readOutput(r);
      const observerEpoch = r.uint(8, 'observerEpoch');
      const memo = toHex(r.take(MEMO_CIPHERTEXT_LENGTH, 'memo'));
      tx = { type, from, amount, nonce, output, observerEpoch, memo, signature: readSignature(r) };
      break;
    }
    case TxType.PRIVATE_TRANSFER: {
      const assetId = Number(r.uint(4, 'assetId'));
      const amount = r.uint(16, 'amount');
      const ring = readRing(r);
      const output = readOutput(r);
      const observerEpoch = r.uint(8, 'observerEpoch');
      const memo = toHex(r.take(MEMO_CIPHERTEXT_LENGTH, 'memo'));
      const ringSignature = readRingSignature(r, ring.length);
      tx = { type, assetId, amount, ring, output, observerEpoch, memo, ringSignature };
      break;
    }
    case TxType.UNSHIELD: {
      const assetId = Number(r.uint(4, 'assetId'));
      const amount = r.uint(16, 'amount');
      const ring = readRing(r);
      const to = Number(r.uint(4, 'to'));
      const observerEpoch = r.uint(8, 'observerEpoch');
      const memo = toHex(r.take(MEMO_CIPHERTEXT_LENGTH, 'memo'));
      const ringSignature = readRingSignature(r, ring.length);
      tx = { type, assetId, amount, ring, to, observerEpoch, memo, ringSignature };
      break;
    }
    case TxType.OBSERVER_KEY: {
      const epoch = r.uint(8, 'epoch');
      const key = readPoint(r, 'key');
      tx = { type, epoch, key, signature: readSignature(r) };
      break;
    }
    default:
      throw new ProtocolError('UNKNOWN_TX_TYPE', `unknown transaction type ${type}`);
  }
  r.end();
  return tx;
}

function readPoint(r: ByteReader, what: string) {
  const p = unpackPoint(r.take(32, what));
  if (!p) throw new MalformedError(`${what} is not a canonical point on BabyJubJub`);
  return p;
}

function readOutput(r: ByteReader): NoteOutput {
  return { oneTimeKey: readPoint(r, 'output.oneTimeKey'), txPublicKey: readPoint(r, 'output.txPublicKey') };
}

function readRing(r: ByteReader): number[] {
  const n = Number(r.uint(2, 'ring size'));
  const ring: number[] = [];
  for (let i = 0; i < n; i++) ring.push(Number(r.uint(4, 'ring member')));
  return ring;
}

function readRingSignature(r: ByteReader, n: number): Hex {
  if (n < 1) throw new MalformedError('ring is empty');
  const bytes = r.take(ringSignatureLength(n), 'ring signature');
  if (!tryDecodeRingSignature(bytes)) throw new MalformedError('ring signature is not canonical');
  return toHex(bytes);
}

function readSignature(r: ByteReader) {
  const signature = unpackSignature(r.take(64, 'signature'));
  if (!signature) throw new MalformedError('signature is not canonical (R8 off-curve or S ≥ subgroup order)');
  return signature;
}

export function txHash(tx: Tx): Hex {
  return keccak256(encodeTx(tx));
}
