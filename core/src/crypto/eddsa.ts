/**
 * EdDSA-Poseidon on BabyJubJub, bit-for-bit compatible with circomlibjs (prv2pub, signPoseidon,
 * verifyPoseidon, packSignature) and with circomlib's EdDSAPoseidonVerifier circuit:
 *
 *   h1 = blake512(privateKey); s = prune(h1[0..32]) (little-endian); A = (s >> 3) * B8
 *   r = blake512(h1[32..64] || msg as 32 LE bytes) mod l; R8 = r * B8
 *   S = (r + poseidon(R8.x, R8.y, A.x, A.y, msg) * s) mod l
 *
 * Verification accepts exactly when S < l, R8 and A are on the curve, 8A is not the identity and
 * S * B8 == R8 + (8h) * A. That is the circuit's rule; circomlibjs' verifyPoseidon additionally
 * accepts small-order public keys, which we reject.
 *
 * Signing keeps the secret scalars inside wasm memory and uses the constant-time fixed-base comb;
 * verification handles only public values and is variable time.
 */
import { blake512 } from '@noble/hashes/blake1';
import { type Point, isPointLike, packPoint, unpackPoint } from './babyjub.ts';
import { curve, curveWithComb, wipeSecrets, writeWnaf } from './curve-runtime.ts';
import { InvalidPrivateKeyError } from './errors.ts';
import { assertFieldElement, isFieldElement } from './field.ts';
import { SUBGROUP_ORDER_L } from './params.ts';
import { poseidon } from './poseidon.ts';
import { WNAF_BASE, WNAF_VAR } from './wasm/curve-gen.ts';

export type Signature = { R8: Point; S: bigint };

function assertPrivateKey(privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw new InvalidPrivateKeyError();
}

/** blake512(privateKey) with the first half pruned into the scalar s (circomlibjs pruneBuffer). */
function expandKey(privateKey: Uint8Array): Uint8Array {
  const h = blake512(privateKey);
  h[0]! &= 0xf8;
  h[31]! &= 0x7f;
  h[31]! |= 0x40;
  return h;
}

/** Writes s >> 3 (s = pruned scalar, a multiple of 8) as 32 LE bytes at `dst`. */
function writeShifted(dst: Uint8Array, h: Uint8Array): void {
  for (let i = 0; i < 32; i++) dst[i] = ((h[i]! >> 3) | (i < 31 ? h[i + 1]! << 5 : 0)) & 0xff;
}

/** Public key A = (s >> 3) * B8 computed in the kernel; leaves A in extended form at `slot`. */
function publicKeyInto(h: Uint8Array, slot: number): void {
  const c = curveWithComb();
  const u8 = c.k.u8();
  writeShifted(u8.subarray(c.secret, c.secret + 32), h);
  c.k.fn.ed_mul_base_ct!(slot, c.secret);
}

function readAffine(slot: number): Point {
  const c = curve();
  c.k.fn.ed_store_affine!(c.b[2]!, c.b[3]!, slot);
  return [c.k.readBytes32(c.b[2]!), c.k.readBytes32(c.b[3]!)];
}

/** circomlibjs eddsa.prv2pub for a 32-byte private key. */
export function privateKeyToPublicKey(privateKey: Uint8Array): Point {
  assertPrivateKey(privateKey);
  const h = expandKey(privateKey);
  const c = curveWithComb();
  try {
    publicKeyInto(h, c.p0);
    return readAffine(c.p0);
  } finally {
    h.fill(0);
    wipeSecrets(c);
  }
}

/** circomlibjs eddsa.signPoseidon: deterministic signature of a field element. */
export function signPoseidon(privateKey: Uint8Array, msg: bigint): Signature {
  assertPrivateKey(privateKey);
  assertFieldElement(msg, 'msg');
  const h = expandKey(privateKey);
  const c = curveWithComb();
  const k = c.k;
  const nonceInput = new Uint8Array(64);
  try {
    publicKeyInto(h, c.p0);
    const A = readAffine(c.p0);
    // r = blake512(h[32..64] || msg LE32) mod l, reduced inside wasm
    nonceInput.set(h.subarray(32, 64), 0);
    let m = msg;
    for (let i = 32; i < 64; i++) {
      nonceInput[i] = Number(m & 0xffn);
      m >>= 8n;
    }
    const rIn = blake512(nonceInput);
    const sR = c.secret; // r (32 bytes)
    const sIn = c.secret + 32; // nonce hash (64 bytes)
    const sS = c.secret + 96; // s (32 bytes)
    const sH = c.secret + 128; // poseidon hash (public)
    const sOut = c.secret + 160;
    k.u8().set(rIn, sIn);
    rIn.fill(0);
    k.fn.sc_reduce512!(sR, sIn);
    k.fn.ed_mul_base_ct!(c.p1, sR);
    const R8 = readAffine(c.p1);
    const hm = poseidon([R8[0], R8[1], A[0], A[1], msg]);
    k.writeBytes32(sH, hm);
    k.u8().set(h.subarray(0, 32), sS);
    k.fn.sc_muladd!(sOut, sR, sH, sS);
    const S = k.readBytes32(sOut);
    return { R8, S };
  } finally {
    h.fill(0);
    nonceInput.fill(0);
    wipeSecrets(c);
  }
}

/**
 * Verifies an EdDSA-Poseidon signature. Returns false (never throws) for any invalid input:
 * malformed values, S >= l, points off the curve or with non-canonical coordinates, a small-order
 * public key, or a wrong signature.
 */
export function verifyPoseidon(msg: bigint, sig: Signature, publicKey: Point): boolean {
  try {
    if (!isFieldElement(msg) || typeof sig !== 'object' || sig === null) return false;
    const { R8, S } = sig;
    if (!isPointLike(R8) || !isPointLike(publicKey)) return false;
    if (typeof S !== 'bigint' || S < 0n || S >= SUBGROUP_ORDER_L) return false;
    const c = curve();
    const k = c.k;
    // (8h) A = (h mod l) (8A) because 8A lies in the subgroup of order l
    const h = poseidon([R8[0], R8[1], publicKey[0], publicKey[1], msg]) % SUBGROUP_ORDER_L;
    const topS = writeWnaf(c, c.nafA, S, WNAF_BASE);
    const topH = writeWnaf(c, c.nafB, h, WNAF_VAR);
    const b = c.b;
    k.writeBytes32(b[0]!, R8[0]);
    k.writeBytes32(b[1]!, R8[1]);
    k.writeBytes32(b[2]!, publicKey[0]);
    k.writeBytes32(b[3]!, publicKey[1]);
    return k.fn.ed_verify!(b[0]!, b[1]!, b[2]!, b[3]!, c.nafA, c.nafB, Math.max(topS, topH, 0)) === 1;
  } catch {
    return false;
  }
}

/** 64 bytes: packed R8 || S little-endian (circomlibjs eddsa.packSignature). */
export function packSignature(sig: Signature): Uint8Array {
  const out = new Uint8Array(64);
  out.set(packPoint(sig.R8), 0);
  let s = sig.S;
  if (typeof s !== 'bigint' || s < 0n || s >= 1n << 256n) throw new RangeError('S must fit in 32 bytes');
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

/**
 * Inverse of packSignature; null when the length is not 64, R8 is not a canonical point encoding
 * or S >= l (such a signature can never verify, and rejecting it here removes malleability).
 */
export function unpackSignature(b: Uint8Array): Signature | null {
  if (!(b instanceof Uint8Array) || b.length !== 64) return null;
  const R8 = unpackPoint(b.subarray(0, 32));
  if (!R8) return null;
  let S = 0n;
  for (let i = 63; i >= 32; i--) S = (S << 8n) | BigInt(b[i]!);
  if (S >= SUBGROUP_ORDER_L) return null;
  return { R8, S };
}
