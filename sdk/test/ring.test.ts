import { describe, expect, it } from 'vitest';
import { RingTooSmallError, ringSize, selectRing, uniformInt } from '../src/privacy/index.ts';
import { seededRandom } from './support/users.ts';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

function checkRing(ring: number[], eligible: number[], spent: number, size: number) {
  expect(ring).toHaveLength(size);
  expect(new Set(ring).size).toBe(ring.length); // no duplicates
  for (let i = 1; i < ring.length; i++) expect(ring[i]!).toBeGreaterThan(ring[i - 1]!); // sorted
  expect(ring).toContain(spent);
  for (const m of ring) expect(eligible).toContain(m);
}

describe('ring selection policy', () => {
  it('sizes: min(16, eligible), at least the chain minimum, at most its maximum', () => {
    expect(ringSize(5, { minRingSize: 8 })).toBe(5);
    expect(ringSize(12, { minRingSize: 8 })).toBe(12);
    expect(ringSize(16, { minRingSize: 8 })).toBe(16);
    expect(ringSize(40, { minRingSize: 8, maxRingSize: 64 })).toBe(16);
    expect(ringSize(40, { minRingSize: 20, maxRingSize: 64 })).toBe(20);
    expect(ringSize(40, { minRingSize: 4, maxRingSize: 10 })).toBe(10);
    expect(ringSize(40)).toBe(16);
  });

  it('draws distinct eligible decoys, sorted, always with the spent note', () => {
    const random = seededRandom('ring-shape');
    // Eligible notes are scattered indices (other assets and values sit in between).
    const eligible = range(0, 60).map((i) => i * 3 + 1);
    for (let t = 0; t < 200; t++) {
      const spent = eligible[t % eligible.length]!;
      checkRing(
        selectRing(eligible, spent, { minRingSize: 8, maxRingSize: 64 }, random),
        eligible,
        spent,
        16,
      );
    }
    const few = [4, 9, 17, 30, 31];
    expect(selectRing(few, 17, { minRingSize: 8 }, random)).toEqual(few); // all of them
    checkRing(selectRing(eligible, 7, { minRingSize: 24, maxRingSize: 64 }, random), eligible, 7, 24);
  });

  it('picks each decoy with the same probability (uniform, without replacement)', () => {
    const random = seededRandom('ring-uniform');
    const eligible = range(100, 31); // 30 candidates besides the spent note
    const spent = 130; // the newest note: uniform draws must not favour its neighbours
    const draws = 3000;
    const hits = new Map<number, number>();
    for (let t = 0; t < draws; t++)
      for (const m of selectRing(eligible, spent, {}, random))
        if (m !== spent) hits.set(m, (hits.get(m) ?? 0) + 1);
    // 15 decoys out of 30 candidates: each is chosen with probability 1/2.
    expect(hits.size).toBe(30);
    const expected = (draws * 15) / 30;
    for (const [, n] of hits) expect(Math.abs(n - expected)).toBeLessThan(expected * 0.1);
    // Old and new candidates alike (no recency weighting).
    const oldHalf = range(100, 15).reduce((s, i) => s + hits.get(i)!, 0);
    const newHalf = range(115, 15).reduce((s, i) => s + hits.get(i)!, 0);
    expect(Math.abs(oldHalf - newHalf)).toBeLessThan(draws * 15 * 0.05);
  });

  it('refuses a spend without decoys unless allowed, and bad inputs', () => {
    expect(() => selectRing([5], 5, { minRingSize: 8 })).toThrow(RingTooSmallError);
    expect(selectRing([5], 5, { minRingSize: 8, allowNoDecoys: true })).toEqual([5]);
    expect(() => selectRing([1, 2, 3], 9)).toThrow(/not among the eligible/);
    expect(() => selectRing([1, 2, 2, 3], 1)).toThrow(/listed twice/);
    expect(() => selectRing(range(0, 30), 3, { minRingSize: 20, maxRingSize: 10 })).toThrow(
      RingTooSmallError,
    );
  });

  it('uniformInt covers its range without bias', () => {
    const random = seededRandom('uniform-int');
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[uniformInt(3, random)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(100);
    // A source that returns the top of the 48-bit range is rejected and redrawn.
    let first = true;
    const edge = (n: number) => {
      const out = new Uint8Array(n).fill(first ? 0xff : 0);
      first = false;
      return out;
    };
    expect(uniformInt(3, edge)).toBe(0);
    expect(() => uniformInt(0)).toThrow(RangeError);
  });
});
