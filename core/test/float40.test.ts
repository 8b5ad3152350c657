import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, decodeFloat40, encodeFloat40, isFloat40Representable } from '../src/index.ts';

describe('float40', () => {
  it('round-trips every m·10^e below 2^128', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 35n) - 1n }), fc.integer({ min: 0, max: 31 }), (m, e) => {
        const value = m * 10n ** BigInt(e);
        fc.pre(value < 1n << 128n);
        expect(decodeFloat40(encodeFloat40(value))).toBe(value);
      }),
    );
  });

  it('encodes with the largest exponent (canonical form)', () => {
    expect(encodeFloat40(1_000n)).toBe((3n << 35n) | 1n);
    expect(encodeFloat40(1_500_000_000_000_000_000n)).toBe((17n << 35n) | 15n);
  });

  it('rejects amounts with more than 35 bits of mantissa', () => {
    const tooPrecise = (1n << 35n) + 1n; // odd, so no factor of 10 can be taken out
    expect(isFloat40Representable(tooPrecise)).toBe(false);
    expect(() => encodeFloat40(tooPrecise)).toThrow(/AMOUNT_NOT_REPRESENTABLE/);
  });

  it('rejects values at or above 2^128 on both sides', () => {
    expect(() => encodeFloat40(1n << 128n)).toThrow(ProtocolError);
    expect(() => decodeFloat40((31n << 35n) | ((1n << 35n) - 1n))).toThrow(/AMOUNT_OUT_OF_RANGE/);
    expect(() => decodeFloat40(1n << 40n)).toThrow(/MALFORMED/);
  });
});
