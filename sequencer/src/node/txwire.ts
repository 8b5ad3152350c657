import { keccak_256 } from '@noble/hashes/sha3';
import {
  type Block,
  type BlockHeader,
  FIELD_MODULUS,
  MalformedError,
  type Point,
  SUBGROUP_ORDER,
  type Tx,
  TxType,
  decodeTx,
  encodeTx,
  isOnCurve,
} from '@tessera/core';
import { Reader, Writer } from '../consensus/codec.ts';
import { toHex } from '../consensus/crypto.ts';
import type { Hex } from '../consensus/types.ts';

/*
 * Sequencer-internal transport of transactions. The canonical encoding (core/src/tx/encoding.ts)
 * compresses every curve point to its y coordinate and a sign bit; decompressing costs a modular
 * square root (milliseconds in JS), which at hundreds of transactions per second per node would
 * dominate the CPU. So between sequencers each transaction travels as its canonical bytes plus a
 * 32-byte "x hint" (the x coordinate of the signature's R8, or of the REGISTER public key).
 * A hint is accepted only if (x, y) is on the curve and x has the sign the canonical bytes encode,
 * which is exactly the point decompression would give — the hint saves work, never changes meaning.
 * Transaction hashes are always keccak256 of the canonical bytes.
 */

const HALF = (FIELD_MODULUS - 1n) / 2n;
const ZERO32 = new Uint8Array(32);

export interface WireTx {
  tx: Tx;
  /** Canonical bytes (core encodeTx). */
  bytes: Uint8Array;
  hash: Hex;
  /** Big-endian x coordinate hint, or zeros when the type has no point. */
  hint: Uint8Array;
}

function be(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function le(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function be32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function txHashOf(bytes: Uint8Array): Hex {
  return toHex(keccak_256(bytes));
}

/**
 * Hash of transaction bytes this node has already hashed (e.g. its mempool's), looked up by the
 * exact bytes: a hit is the keccak of those very bytes, so it can stand in for txHashOf. Misses
 * are hashed. Proposals and gossip repeat transactions a node already holds; a lookup costs ~1 µs
 * against ~15 µs for keccak in JS.
 */
export type KnownHash = (bytes: Uint8Array) => Hex | undefined;

/** Map key of a transaction's exact bytes (for KnownHash lookups). */
export function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The point a packed 32-byte encoding denotes, given the x coordinate; null if inconsistent. */
function pointFromHint(packed: Uint8Array, hint: Uint8Array): Point | null {
  const sign = (packed[31]! & 0x80) !== 0;
  const yBytes = Uint8Array.from(packed);
  yBytes[31]! &= 0x7f;
  const y = le(yBytes);
  const x = be(hint);
  if (y >= FIELD_MODULUS || x >= FIELD_MODULUS) return null;
  if (sign ? x <= HALF : x > HALF) return null;
  const p: Point = [x, y];
  return isOnCurve(p) ? p : null;
}

function hintOf(tx: Tx): Uint8Array {
  if (tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW) return be32(tx.signature.R8[0]);
  if (tx.type === TxType.REGISTER) return be32(tx.publicKey[0]);
  return ZERO32;
}

/** From a decoded transaction (e.g. RPC JSON). Throws MalformedError if a point is off the curve. */
export function wireFromTx(tx: Tx): WireTx {
  if ((tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW) && !isOnCurve(tx.signature.R8)) {
    throw new MalformedError('signature R8 is not a point of BabyJubJub');
  }
  if (tx.type === TxType.REGISTER && !isOnCurve(tx.publicKey))
    throw new MalformedError('public key is not a point of BabyJubJub');
  const privacy = tx.type >= TxType.SHIELD;
  if (privacy) checkPrivacyPoints(tx);
  const bytes = encodeTx(tx);
  // A privacy transaction from JSON must be exactly what its canonical bytes decode to (what peers
  // and L1 see): this throws MalformedError for a non-canonical signature or a ring signature
  // that is malformed or sized for another ring.
  if (privacy) decodeTx(bytes);
  return { tx, bytes, hash: txHashOf(bytes), hint: hintOf(tx) };
}

function checkPrivacyPoints(tx: Tx): void {
  const points: Point[] = [];
  if (tx.type === TxType.SHIELD || tx.type === TxType.PRIVATE_TRANSFER)
    points.push(tx.output.oneTimeKey, tx.output.txPublicKey);
  if (tx.type === TxType.SHIELD || tx.type === TxType.OBSERVER_KEY) points.push(tx.signature.R8);
  if (tx.type === TxType.OBSERVER_KEY) points.push(tx.key);
  if (!points.every(isOnCurve)) throw new MalformedError('a point of the transaction is not on BabyJubJub');
}

/**
 * Decodes canonical bytes with an x hint. Equivalent to core decodeTx (tested against it) but
 * without square roots for transfers and withdrawals.
 */
export function decodeWithHint(bytes: Uint8Array, hint: Uint8Array): Tx {
  const type = bytes[0];
  if (
    (type === TxType.TRANSFER && bytes.length === 94) ||
    (type === TxType.WITHDRAW && bytes.length === 90)
  ) {
    const r = new Reader(bytes);
    r.u8();
    const from = r.u32();
    const to = type === TxType.TRANSFER ? r.u32() : 0;
    const amount = be(r.bytes(16));
    const nonce = be(r.bytes(5));
    const packed = r.bytes(32);
    const S = le(r.bytes(32));
    const R8 = pointFromHint(packed, hint);
    if (R8 === null || S >= SUBGROUP_ORDER) {
      // A bad hint is not proof of a bad transaction: fall back to the canonical decoder.
      return decodeTx(bytes);
    }
    const signature = { R8, S };
    return type === TxType.TRANSFER
      ? { type, from, to, amount, nonce, signature }
      : { type: TxType.WITHDRAW, from, amount, nonce, signature };
  }
  return decodeTx(bytes);
}

export function encodeWireTx(w: WireTx): Uint8Array {
  const out = new Uint8Array(2 + w.bytes.length + 32);
  out[0] = w.bytes.length >> 8;
  out[1] = w.bytes.length & 0xff;
  out.set(w.bytes, 2);
  out.set(w.hint, 2 + w.bytes.length);
  return out;
}

/** Gossip payload: a batch of wire transactions. */
export function encodeTxBatch(txs: WireTx[]): Uint8Array {
  const w = new Writer(txs.length * 130 + 4);
  w.u32(txs.length);
  for (const t of txs) w.bytes(encodeWireTx(t));
  return w.finish();
}

export function decodeTxBatch(
  payload: Uint8Array,
  max = 2_000,
  known?: KnownHash,
): { bytes: Uint8Array; hint: Uint8Array; hash: Hex }[] {
  const r = new Reader(payload);
  const n = r.u32();
  if (n > max) throw new MalformedError(`tx batch of ${n}`);
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = (r.u8() << 8) | r.u8();
    const bytes = r.bytes(len);
    out.push({ bytes, hint: r.bytes(32), hash: known?.(bytes) ?? txHashOf(bytes) });
  }
  r.end();
  return out;
}

// ------------------------------------------------------------------ consensus value = block

const HEADER_BYTES = 32 + 8 + 32 + 32 + 32 + 32 + 32 + 8 + 4 + 8;

/**
 * The consensus value of a height: core's block encoding (header, then length-prefixed canonical
 * transactions) followed by one 32-byte x hint per transaction. Its consensus hash is the block
 * hash (keccak of the ABI-encoded header), which is what validators sign and L1 checks.
 */
export function encodeBlockValue(header: BlockHeader, txs: WireTx[]): Uint8Array {
  const w = new Writer(HEADER_BYTES + 4 + txs.length * 130);
  w.bytes(be32(header.chainId)).u64(header.height).bytes(hexBytes(header.parentHash));
  w.bytes(be32(header.prevStateRoot)).bytes(be32(header.stateRoot)).bytes(hexBytes(header.dataHash));
  w.bytes(be32(header.dataCommitment))
    .u64(header.depositStart)
    .u32(header.depositCount)
    .u64(header.timestamp);
  w.u32(txs.length);
  for (const t of txs) {
    w.u8(t.bytes.length >> 8)
      .u8(t.bytes.length & 0xff)
      .bytes(t.bytes);
  }
  for (const t of txs) w.bytes(t.hint);
  return w.finish();
}

function hexBytes(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
}

export interface ParsedBlockValue {
  header: BlockHeader;
  /** Canonical bytes, hint and hash of each transaction; decoded lazily by the caller. */
  txs: { bytes: Uint8Array; hint: Uint8Array; hash: Hex }[];
}

export function parseBlockValue(value: Uint8Array, maxTxs = 10_000, known?: KnownHash): ParsedBlockValue {
  const r = new Reader(value);
  const header: BlockHeader = {
    chainId: be(r.bytes(32)),
    height: r.u64(),
    parentHash: toHex(r.bytes(32)),
    prevStateRoot: be(r.bytes(32)),
    stateRoot: be(r.bytes(32)),
    dataHash: toHex(r.bytes(32)),
    dataCommitment: be(r.bytes(32)),
    depositStart: r.u64(),
    depositCount: r.u32(),
    timestamp: r.u64(),
  };
  const n = r.u32();
  if (n > maxTxs) throw new MalformedError(`block with ${n} transactions`);
  const raw: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = (r.u8() << 8) | r.u8();
    raw.push(r.bytes(len));
  }
  const txs = raw.map((bytes) => ({ bytes, hint: r.bytes(32), hash: known?.(bytes) ?? txHashOf(bytes) }));
  r.end();
  return { header, txs };
}

export function blockFromValue(value: Uint8Array): Block & { hashes: Hex[] } {
  const p = parseBlockValue(value);
  return {
    header: p.header,
    txs: p.txs.map((t) => decodeWithHint(t.bytes, t.hint)),
    hashes: p.txs.map((t) => t.hash),
  };
}

export { be32 };
