import { randomBytes } from 'node:crypto';
import { RingTooSmallError } from './errors.ts';

/*
 * Ring member selection (docs/PRIVACY.md "Ring selection"):
 *   size   = min(eligible, max(16, minRingSize)), at most maxRingSize
 *   decoys = size − 1 notes drawn uniformly at random without replacement from the eligible notes
 *            (same asset and denomination) other than the spent one
 *   ring   = decoys + the spent note, sorted by note index (the chain requires strictly increasing
 *            indices, so the position says nothing about which member is real).
 */

export const DEFAULT_RING_SIZE = 16;

export type RandomBytes = (length: number) => Uint8Array;
const cryptoRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));

export type RingPolicy = {
  /** The chain's minimum (tessera_getPrivacyParams); the ring is at least min(this, eligible). */
  minRingSize?: number;
  /** The chain's maximum. */
  maxRingSize?: number;
  /** Target size (16). */
  target?: number;
  /** Allow a ring of one when the spent note is the only eligible note (no privacy at all). */
  allowNoDecoys?: boolean;
};

/** The ring size the policy gives for `eligible` notes (the spent one included). */
export function ringSize(eligible: number, policy: RingPolicy = {}): number {
  const target = Math.max(policy.target ?? DEFAULT_RING_SIZE, policy.minRingSize ?? 0);
  let size = Math.min(eligible, target);
  if (policy.maxRingSize !== undefined) size = Math.min(size, policy.maxRingSize);
  return size;
}

/** Uniform integer in [0, n) by rejection sampling on 48-bit draws (no modulo bias). */
export function uniformInt(n: number, random: RandomBytes = cryptoRandom): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError(`bad range ${n}`);
  const limit = Math.floor(2 ** 48 / n) * n;
  for (;;) {
    const b = random(6);
    let v = 0;
    for (let i = 0; i < 6; i++) v = v * 256 + b[i]!;
    if (v < limit) return v % n;
  }
}

/**
 * The ring for spending note `spent`, drawn from `eligible` (indices of every note of the same
 * asset and denomination, the spent one included, each once).
 */
export function selectRing(
  eligible: readonly number[],
  spent: number,
  policy: RingPolicy = {},
  random: RandomBytes = cryptoRandom,
): number[] {
  const seen = new Set<number>();
  for (const i of eligible) {
    if (!Number.isSafeInteger(i) || i < 0) throw new RangeError(`bad note index ${i}`);
    if (seen.has(i)) throw new RangeError(`note ${i} is listed twice among the eligible notes`);
    seen.add(i);
  }
  if (!seen.has(spent)) throw new RangeError(`the spent note ${spent} is not among the eligible notes`);
  const size = ringSize(eligible.length, policy);
  const required = Math.min(policy.minRingSize ?? 1, eligible.length);
  if (size < required)
    throw new RingTooSmallError(`the chain's maximum ring size ${policy.maxRingSize} is below its minimum`);
  if (size < 2 && !policy.allowNoDecoys)
    throw new RingTooSmallError(
      `note ${spent} is the only note of its asset and denomination: a spend now would show everyone which note it is (wait for more notes, or allow it explicitly)`,
    );
  // Partial Fisher–Yates over the candidates: the first size − 1 entries are a uniform sample.
  const candidates = eligible.filter((i) => i !== spent);
  const k = size - 1;
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(candidates.length - i, random);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return [...candidates.slice(0, k), spent].sort((a, b) => a - b);
}
