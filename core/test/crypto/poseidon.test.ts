import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIELD_MODULUS,
  FieldElementRangeError,
  PoseidonArityError,
  poseidon,
} from '../../src/crypto/index.ts';
import { circomlib, seededField } from './helpers.ts';

let c: Awaited<ReturnType<typeof circomlib>>;
beforeAll(async () => {
  c = await circomlib();
});

const reference = (inputs: bigint[]): bigint => c.F.toObject(c.poseidon(inputs));

describe('poseidon', () => {
  it('matches circomlibjs buildPoseidon on 1,600 random vectors of 1..16 inputs', () => {
    let checked = 0;
    for (let n = 1; n <= 16; n++) {
      for (let i = 0; i < 100; i++) {
        const inputs = Array.from({ length: n }, (_, j) => seededField(`poseidon-${n}`, i * 16 + j));
        expect(poseidon(inputs)).toBe(reference(inputs));
        checked++;
      }
    }
    expect(checked).toBe(1600);
  });

  it('matches circomlibjs on edge values (0, 1, r-1, powers of two)', () => {
    const edges = [0n, 1n, 2n, FIELD_MODULUS - 1n, FIELD_MODULUS - 2n, (1n << 253n) - 1n, 1n << 128n];
    for (let n = 1; n <= 16; n++) {
      for (const e of edges) {
        const inputs = Array.from({ length: n }, (_, j) =>
          j % 2 === 0 ? e : edges[(j + 3) % edges.length]!,
        );
        expect(poseidon(inputs)).toBe(reference(inputs));
      }
    }
  });

  it('returns a canonical field element and is order sensitive', () => {
    const h1 = poseidon([1n, 2n]);
    const h2 = poseidon([2n, 1n]);
    expect(h1).not.toBe(h2);
    expect(h1 >= 0n && h1 < FIELD_MODULUS).toBe(true);
  });

  it('rejects inputs outside the field with a named error', () => {
    for (const bad of [FIELD_MODULUS, FIELD_MODULUS + 5n, -1n]) {
      expect(() => poseidon([1n, bad])).toThrowError(FieldElementRangeError);
    }
    expect(() => poseidon([1 as unknown as bigint])).toThrowError(FieldElementRangeError);
    try {
      poseidon([FIELD_MODULUS]);
      expect.unreachable();
    } catch (e) {
      expect((e as FieldElementRangeError).code).toBe('FIELD_ELEMENT_OUT_OF_RANGE');
      expect((e as Error).name).toBe('FieldElementRangeError');
    }
  });

  it('rejects 0 or more than 16 inputs', () => {
    expect(() => poseidon([])).toThrowError(PoseidonArityError);
    expect(() => poseidon(Array.from({ length: 17 }, () => 1n))).toThrowError(PoseidonArityError);
  });
});
