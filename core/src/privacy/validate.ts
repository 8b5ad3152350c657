/** Validation of points received from outside, on the shared primitives. Never throws. */
import { type Point, isInPrimeSubgroup } from './primitives.ts';
import { FIELD_MODULUS } from './primitives.ts';

export function isCanonicalCoordinate(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < FIELD_MODULUS;
}

/** A pair of canonical coordinates (says nothing about the curve). */
export function isPointShape(pt: unknown): pt is Point {
  return Array.isArray(pt) && pt.length === 2 && isCanonicalCoordinate(pt[0]) && isCanonicalCoordinate(pt[1]);
}

/** Canonical coordinates, on the curve, in the prime-order subgroup, not the identity. */
export function isValidGroupElement(pt: unknown): pt is Point {
  if (!isPointShape(pt)) return false;
  if (pt[0] === 0n && pt[1] === 1n) return false;
  try {
    return isInPrimeSubgroup(pt);
  } catch {
    return false;
  }
}

export function pointKey(pt: Point): string {
  return `${pt[0].toString(16)}:${pt[1].toString(16)}`;
}

export function samePoint(a: Point, b: Point): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
