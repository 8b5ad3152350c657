/**
 * Strict decoding of the shared 32-byte BabyJubJub point encoding (circomlibjs packPoint: y
 * little-endian, bit 255 set when x > (p-1)/2). Same acceptance rule as the shared unpackPoint
 * (tests cross-check both); this one takes a single square root, which matters when every
 * signature and memo carries several points.
 */
import { CURVE_A, CURVE_D } from './curve.ts';
import { sqrtRatio } from './field-wasm.ts';
import { P, fmod } from './field.ts';
import type { Point } from './primitives.ts';

const HALF = (P - 1n) / 2n;

/** The point encoded by `bytes`, or null unless they are the canonical encoding of a curve point. */
export function decodePoint(bytes: Uint8Array): Point | null {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return null;
  const sign = (bytes[31]! & 0x80) !== 0;
  let y = BigInt(bytes[31]! & 0x7f);
  for (let i = 30; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i]!);
  if (y >= P) return null;
  const y2 = (y * y) % P;
  // a/d is not a square, so the denominator never vanishes
  let x = sqrtRatio(fmod(1n - y2), fmod(CURVE_A - CURVE_D * y2));
  if (x === null) return null;
  if (x > HALF) x = P - x;
  if (sign) {
    if (x === 0n) return null;
    x = P - x;
  }
  return [x, y];
}
