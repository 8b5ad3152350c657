/**
 * The regulator ("observer") side of accountable privacy.
 *
 * 1. Opening a ring signature: with the observer secret y (Y = y*G) the signer's ring key is
 *    P = C2 - y*C1. The signature proves that (C1, C2) encrypts the very member whose key signed,
 *    so the opening names the signer (never an innocent member). `proveOpening` adds a
 *    Chaum-Pedersen proof that the decryption is correct (log_G Y = log_C1 (C2 - P)), bound to the
 *    signature's statement digest, so a regulator's claim can be checked by anyone.
 * 2. Transaction memos: sender, recipient, asset, amount and a free memo, encrypted to the
 *    observer key with ECIES (ephemeral ECDH on BabyJubJub, HKDF-SHA256, AES-256-GCM).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import {
  add,
  fromAffine,
  mulG,
  negCached,
  oddMultiples,
  straus,
  toAffineBatch,
  toCached,
  wnaf,
} from './curve.ts';
import { PrivacyError } from './errors.ts';
import { decodePoint } from './points.ts';
import { BASE8, type Point, addPoints, mulPoint, packPoint } from './primitives.ts';
import { L, type RandomSource, defaultRandom, isCanonicalScalar, randomScalar, smod } from './scalar.ts';
import type { StealthAddress } from './stealth.ts';
import { fieldTag } from './tags.ts';
import { MAX_EPOCH, hashToScalar, statementDigest } from './transcript.ts';
import type { ObserverKey, RingSignature, RingStatement } from './types.ts';
import { isValidGroupElement, samePoint } from './validate.ts';

export const DS_OPENING = fieldTag('tessera/alsag/v1/opening');

export interface ObserverKeyPair {
  readonly secret: bigint;
  readonly publicKey: ObserverKey;
}

function assertSecret(y: bigint): void {
  if (!isCanonicalScalar(y) || y === 0n)
    throw new PrivacyError('PRIVACY_BAD_KEY', 'observer secret must be in [1, l)');
}

function assertEpoch(epoch: bigint): void {
  if (typeof epoch !== 'bigint' || epoch < 0n || epoch > MAX_EPOCH)
    throw new PrivacyError('PRIVACY_BAD_INPUT', 'epoch must be a u64');
}

export function observerKeyFromSecret(secret: bigint, epoch: bigint): ObserverKeyPair {
  assertSecret(secret);
  assertEpoch(epoch);
  return { secret, publicKey: { key: mulPoint(BASE8, secret), epoch } };
}

export function generateObserverKey(epoch: bigint, random: RandomSource = defaultRandom): ObserverKeyPair {
  return observerKeyFromSecret(randomScalar(random), epoch);
}

// ---------------------------------------------------------------------------------------------
// Opening ring signatures

/** The ring key encrypted in the signature: C2 - y*C1. */
export function decryptSigner(sig: RingSignature, observerSecret: bigint): Point {
  assertSecret(observerSecret);
  if (!isValidGroupElement(sig.c1) || !isValidGroupElement(sig.c2))
    throw new PrivacyError('PRIVACY_MALFORMED', 'ciphertext points invalid');
  // C2 - y*C1 = C2 + (l - y)*C1
  return addPoints(sig.c2, mulPoint(sig.c1, L - observerSecret));
}

/** Index of the signer in the ring, or -1 when the ciphertext names nobody in it. */
export function identifySigner(ring: readonly Point[], sig: RingSignature, observerSecret: bigint): number {
  const p = decryptSigner(sig, observerSecret);
  return ring.findIndex((q) => samePoint(q, p));
}

export interface OpeningProof {
  readonly e: bigint;
  readonly z: bigint;
}

function openingChallenge(
  d: bigint,
  y: Point,
  c1: Point,
  c2: Point,
  signer: Point,
  a1: Point,
  a2: Point,
): bigint {
  return hashToScalar([DS_OPENING, d, ...y, ...c1, ...c2, ...signer, ...a1, ...a2]);
}

function digestOf(st: RingStatement, sig: RingSignature): bigint {
  return statementDigest({
    ring: st.ring,
    message: st.message,
    observerKey: st.observer.key,
    epoch: st.observer.epoch,
    keyImage: sig.keyImage,
    c1: sig.c1,
    c2: sig.c2,
  });
}

/**
 * Opens a (verified) signature and proves the opening: Chaum-Pedersen over (G, Y) and
 * (C1, C2 - P) with the challenge bound to the signature's statement digest.
 */
export function proveOpening(
  st: RingStatement,
  sig: RingSignature,
  observerSecret: bigint,
  random: RandomSource = defaultRandom,
): { signer: Point; index: number; proof: OpeningProof } {
  const signer = decryptSigner(sig, observerSecret);
  const index = st.ring.findIndex((q) => samePoint(q, signer));
  const k = randomScalar(random);
  const e = openingChallenge(
    digestOf(st, sig),
    st.observer.key,
    sig.c1,
    sig.c2,
    signer,
    mulPoint(BASE8, k),
    mulPoint(sig.c1, k),
  );
  return { signer, index, proof: { e, z: smod(k + e * observerSecret) } };
}

/** Checks a regulator's claim that `signer` is what (C1, C2) decrypts to. Never throws. */
export function verifyOpening(
  st: RingStatement,
  sig: RingSignature,
  signer: Point,
  proof: OpeningProof,
): boolean {
  try {
    if (!isCanonicalScalar(proof.e) || !isCanonicalScalar(proof.z)) return false;
    for (const pt of [st.observer.key, sig.c1, sig.c2, signer]) if (!isValidGroupElement(pt)) return false;
    const negE = L - proof.e;
    // A1 = z*G - e*Y, A2 = z*C1 - e*(C2 - P)
    const a1 = add(
      mulG(proof.z),
      toCached(straus([{ digits: wnaf(negE, 5), table: oddMultiples(fromAffine(st.observer.key), 5) }])),
    );
    const diff = add(fromAffine(sig.c2), negCached(toCached(fromAffine(signer))));
    const a2 = straus([
      { digits: wnaf(proof.z, 5), table: oddMultiples(fromAffine(sig.c1), 5) },
      { digits: wnaf(negE, 5), table: oddMultiples(diff, 5) },
    ]);
    const [p1, p2] = toAffineBatch([a1, a2]);
    return openingChallenge(digestOf(st, sig), st.observer.key, sig.c1, sig.c2, signer, p1!, p2!) === proof.e;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Encrypted memos (ECIES)

export const MEMO_VERSION = 1;
export const MEMO_MAX_BYTES = 256;
const PLAIN_LENGTH = 1 + 32 + 64 + 4 + 16 + 2 + MEMO_MAX_BYTES;
const TAG_LENGTH = 16;
/** version | E | ciphertext | tag: fixed length, so sizes leak nothing about the memo. */
export const MEMO_CIPHERTEXT_LENGTH = 1 + 32 + PLAIN_LENGTH + TAG_LENGTH;
const KDF_INFO = new TextEncoder().encode('tessera/observer-memo/v1');

export interface ObserverMemo {
  /** The sender's long-term public key (its registered identity key). */
  readonly sender: Point;
  readonly recipient: StealthAddress;
  readonly assetId: number;
  readonly amount: bigint;
  readonly memo: Uint8Array;
}

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodePlain(m: ObserverMemo): Uint8Array {
  if (!Number.isInteger(m.assetId) || m.assetId < 0 || m.assetId > 0xffffffff)
    throw new PrivacyError('PRIVACY_BAD_INPUT', 'assetId must be a u32');
  if (typeof m.amount !== 'bigint' || m.amount < 0n || m.amount >= 1n << 128n)
    throw new PrivacyError('PRIVACY_BAD_INPUT', 'amount must be < 2^128');
  if (!(m.memo instanceof Uint8Array) || m.memo.length > MEMO_MAX_BYTES)
    throw new PrivacyError('PRIVACY_BAD_INPUT', `memo must be at most ${MEMO_MAX_BYTES} bytes`);
  for (const pt of [m.sender, m.recipient.view, m.recipient.spend]) {
    if (!isValidGroupElement(pt))
      throw new PrivacyError('PRIVACY_BAD_KEY', 'memo keys must be valid subgroup points');
  }
  const out = new Uint8Array(PLAIN_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = MEMO_VERSION;
  out.set(packPoint(m.sender), 1);
  out.set(packPoint(m.recipient.view), 33);
  out.set(packPoint(m.recipient.spend), 65);
  view.setUint32(97, m.assetId);
  view.setBigUint64(101, m.amount >> 64n);
  view.setBigUint64(109, m.amount & ((1n << 64n) - 1n));
  view.setUint16(117, m.memo.length);
  out.set(m.memo, 119);
  return out;
}

function decodePlain(b: Uint8Array): ObserverMemo | null {
  if (b.length !== PLAIN_LENGTH || b[0] !== MEMO_VERSION) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sender = decodePoint(b.subarray(1, 33));
  const rv = decodePoint(b.subarray(33, 65));
  const rs = decodePoint(b.subarray(65, 97));
  // The sender chose these bytes: anything but valid group elements makes the memo malformed.
  if (!isValidGroupElement(sender) || !isValidGroupElement(rv) || !isValidGroupElement(rs)) return null;
  const len = view.getUint16(117);
  if (len > MEMO_MAX_BYTES) return null;
  for (let i = 119 + len; i < PLAIN_LENGTH; i++) if (b[i] !== 0) return null;
  return {
    sender,
    recipient: { view: rv, spend: rs },
    assetId: view.getUint32(97),
    amount: (view.getBigUint64(101) << 64n) | view.getBigUint64(109),
    memo: b.slice(119, 119 + len),
  };
}

function deriveKey(
  shared: Point,
  ephemeral: Point,
  observer: ObserverKey,
): { key: Uint8Array; iv: Uint8Array } {
  const okm = hkdf(
    sha256,
    packPoint(shared),
    concat(packPoint(ephemeral), packPoint(observer.key)),
    concat(KDF_INFO, u64(observer.epoch)),
    44,
  );
  return { key: okm.slice(0, 32), iv: okm.slice(32) };
}

/**
 * Encrypts a memo to the observer key of an epoch. `aad` binds the ciphertext to its transaction
 * (e.g. the ring signature's message); decryption needs the same bytes.
 */
export function encryptMemo(
  observer: ObserverKey,
  memo: ObserverMemo,
  options: { aad?: Uint8Array; random?: RandomSource } = {},
): Uint8Array {
  assertEpoch(observer.epoch);
  if (!isValidGroupElement(observer.key))
    throw new PrivacyError('PRIVACY_BAD_KEY', 'observer key is not a valid subgroup point');
  const plain = encodePlain(memo);
  const e = randomScalar(options.random ?? defaultRandom);
  const ephemeral = mulPoint(BASE8, e);
  const { key, iv } = deriveKey(mulPoint(observer.key, e), ephemeral, observer);
  const header = concat(new Uint8Array([MEMO_VERSION]), packPoint(ephemeral));
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(concat(header, u64(observer.epoch), options.aad ?? new Uint8Array()));
  const body = concat(new Uint8Array(cipher.update(plain)), new Uint8Array(cipher.final()));
  return concat(header, body, new Uint8Array(cipher.getAuthTag()));
}

/** Decrypts with the observer secret; null if anything is off (wrong key, epoch, aad, tampering). */
export function decryptMemo(
  observer: ObserverKeyPair,
  ciphertext: Uint8Array,
  options: { aad?: Uint8Array } = {},
): ObserverMemo | null {
  try {
    if (
      !(ciphertext instanceof Uint8Array) ||
      ciphertext.length !== MEMO_CIPHERTEXT_LENGTH ||
      ciphertext[0] !== MEMO_VERSION
    )
      return null;
    const ephBytes = ciphertext.subarray(1, 33);
    const ephemeral = decodePoint(ephBytes);
    if (!ephemeral || !isValidGroupElement(ephemeral)) return null;
    const again = packPoint(ephemeral);
    if (again.some((b, i) => b !== ephBytes[i])) return null;
    const shared = mulPoint(ephemeral, observer.secret);
    if (!samePoint(observer.publicKey.key, mulPoint(BASE8, observer.secret))) return null;
    const { key, iv } = deriveKey(shared, ephemeral, observer.publicKey);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(
      concat(ciphertext.subarray(0, 33), u64(observer.publicKey.epoch), options.aad ?? new Uint8Array()),
    );
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
    const plain = concat(
      new Uint8Array(decipher.update(ciphertext.subarray(33, ciphertext.length - TAG_LENGTH))),
      new Uint8Array(decipher.final()),
    );
    return decodePlain(plain);
  } catch {
    return null;
  }
}
