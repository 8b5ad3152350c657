import { MAX_BALANCE } from '../constants.ts';
import { ProtocolError } from '../errors.ts';

/**
 * float40: a 40-bit amount format, value = m·10^e with a 35-bit mantissa and a 5-bit exponent.
 * It keeps a transfer's L1 record at 14 bytes while representing every amount a wallet would
 * type (up to 10 significant digits, then zeros).
 */
const MANTISSA_BITS = 35n;
const MANTISSA_MAX = (1n << MANTISSA_BITS) - 1n;
const EXPONENT_MAX = 31n;

export function decodeFloat40(f: bigint): bigint {
  if (f < 0n || f >= 1n << 40n) throw new ProtocolError('MALFORMED', `float40 out of range: ${f}`);
  const m = f & MANTISSA_MAX;
  const e = f >> MANTISSA_BITS;
  const value = m * 10n ** e;
  if (value > MAX_BALANCE) throw new ProtocolError('AMOUNT_OUT_OF_RANGE', `float40 value ${value} ≥ 2^128`);
  return value;
}

/** Canonical encoding: the largest exponent. Throws if the amount has no exact float40 form. */
export function encodeFloat40(amount: bigint): bigint {
  if (amount < 0n || amount > MAX_BALANCE) {
    throw new ProtocolError('AMOUNT_OUT_OF_RANGE', `amount ${amount} outside [0, 2^128)`);
  }
  if (amount === 0n) return 0n;
  let m = amount;
  let e = 0n;
  while (m % 10n === 0n && e < EXPONENT_MAX) {
    m /= 10n;
    e += 1n;
  }
  if (m > MANTISSA_MAX) {
    throw new ProtocolError(
      'AMOUNT_NOT_REPRESENTABLE',
      `amount ${amount} needs more than 35 bits of mantissa; round it to at most 10 significant digits`,
    );
  }
  return (e << MANTISSA_BITS) | m;
}

export function isFloat40Representable(amount: bigint): boolean {
  try {
    encodeFloat40(amount);
    return true;
  } catch {
    return false;
  }
}
