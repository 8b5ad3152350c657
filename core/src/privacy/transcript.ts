/**
 * Fiat-Shamir transcript of the accountable ring signature. Everything is Poseidon over field
 * elements (circuit friendly); points enter as their standard affine coordinates.
 *
 *   d  = Sponge(DS_STATEMENT, n, epoch, m_hi, m_lo, Y, I, C1, C2, P_0, ..., P_{n-1})
 *   mu = H(DS_MU, d) mod l
 *   c_{i+1} = H(DS_ROUND, d, i, K1_i, K2_i, K3_i) mod l
 *
 * d commits to the whole statement (domain, ring in order, message, key image, ciphertext,
 * observer key, epoch), and every challenge hashes d, so each challenge depends on all of it.
 */
import { keccak_256 } from '@noble/hashes/sha3';
import { type Point, poseidon } from './primitives.ts';
import { L } from './scalar.ts';
import { fieldTag } from './tags.ts';

export const DOMAIN = 'tessera/alsag/v1';
export const DS_STATEMENT = fieldTag(`${DOMAIN}/statement`);
export const DS_MU = fieldTag(`${DOMAIN}/mu`);
export const DS_ROUND = fieldTag(`${DOMAIN}/round`);
export const MAX_EPOCH = (1n << 64n) - 1n;

const SPONGE_RATE = 15;

/**
 * acc = 0; for each 15-element chunk (the last zero-padded): acc = H(acc, chunk). Callers put the
 * length in the first chunk, so the padding is unambiguous.
 */
export function sponge(elements: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < elements.length; i += SPONGE_RATE) {
    const chunk = elements.slice(i, i + SPONGE_RATE);
    while (chunk.length < SPONGE_RATE) chunk.push(0n);
    acc = poseidon([acc, ...chunk]);
  }
  return acc;
}

/** keccak256(message) as two 128-bit halves (each below the field modulus). */
export function messageDigest(message: Uint8Array): readonly [bigint, bigint] {
  let v = 0n;
  for (const b of keccak_256(message)) v = (v << 8n) | BigInt(b);
  return [v >> 128n, v & ((1n << 128n) - 1n)];
}

/**
 * Poseidon output mod l. p = 8l - delta with delta < 2^126, so the reduction of a uniform field
 * element is within statistical distance delta(l - delta)/(p l) < 2^-127 of uniform on Z_l.
 */
export function hashToScalar(inputs: bigint[]): bigint {
  return poseidon(inputs) % L;
}

export interface TranscriptStatement {
  readonly ring: readonly Point[];
  readonly message: Uint8Array;
  readonly observerKey: Point;
  readonly epoch: bigint;
  readonly keyImage: Point;
  readonly c1: Point;
  readonly c2: Point;
}

export function statementDigest(s: TranscriptStatement): bigint {
  const [mHi, mLo] = messageDigest(s.message);
  const els: bigint[] = [
    DS_STATEMENT,
    BigInt(s.ring.length),
    s.epoch,
    mHi,
    mLo,
    ...s.observerKey,
    ...s.keyImage,
    ...s.c1,
    ...s.c2,
  ];
  for (const pt of s.ring) els.push(pt[0], pt[1]);
  return sponge(els);
}

export function aggregationCoefficient(d: bigint): bigint {
  return hashToScalar([DS_MU, d]);
}

export function roundChallenge(d: bigint, index: number, k1: Point, k2: Point, k3: Point): bigint {
  return hashToScalar([DS_ROUND, d, BigInt(index), k1[0], k1[1], k2[0], k2[1], k3[0], k3[1]]);
}
