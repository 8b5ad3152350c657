import { CURVE_A, CURVE_D, dbl, fromAffine, isIdentity, toAffine } from './curve.ts';
import { sqrtRatio } from './field-wasm.ts';
/**
 * Hp: a hash onto the prime-order subgroup with no known discrete logarithm relative to Base8.
 *
 * Try-and-increment on Poseidon: for ctr = 0, 1, ... take y = H(DS_HP, Px, Py, ctr) as a
 * candidate y-coordinate; when x^2 = (1 - y^2)/(a - d y^2) has a nonzero root, pick the root whose
 * parity is the low bit of H(DS_HP_SIGN, Px, Py, ctr) and return 8*(x, y). Treating Poseidon as a
 * random oracle, an accepted (x, y) is uniform over the curve points with x != 0, so 8*(x, y) is
 * uniform over the subgroup (multiplication by the cofactor is 8-to-1 onto it). Nobody, the
 * implementer included, learns log_G(Hp(P)): the map never computes a multiple of G.
 *
 * The loop count depends only on the public key P (expected 2 rounds), never on a secret.
 */
import { P, fmod } from './field.ts';
import { type Point, poseidon } from './primitives.ts';
import { fieldTag } from './tags.ts';

export const DS_HASH_TO_POINT = fieldTag('tessera/alsag/v1/hash-to-point');
export const DS_HASH_TO_POINT_SIGN = fieldTag('tessera/alsag/v1/hash-to-point/sign');
/** Each round succeeds with probability ~1/2; 256 failures in a row do not happen (2^-256). */
export const HASH_TO_POINT_MAX_TRIES = 256;

const CACHE_LIMIT = 1 << 16;
const cache = new Map<string, Point>();

export function clearHashToPointCache(): void {
  cache.clear();
}

function compute(pk: Point): Point {
  const [px, py] = pk;
  for (let ctr = 0n; ctr < BigInt(HASH_TO_POINT_MAX_TRIES); ctr++) {
    const y = poseidon([DS_HASH_TO_POINT, px, py, ctr]);
    const y2 = (y * y) % P;
    const num = fmod(1n - y2);
    const den = fmod(CURVE_A - CURVE_D * y2); // never 0: a/d is not a square
    if (den === 0n) continue;
    const root = sqrtRatio(num, den);
    if (root === null || root === 0n) continue;
    const sign = poseidon([DS_HASH_TO_POINT_SIGN, px, py, ctr]) & 1n;
    const x = (root & 1n) === sign ? root : P - root;
    const cleared = dbl(dbl(dbl(fromAffine([x, y]))));
    if (isIdentity(cleared)) continue; // (x, y) of order dividing 8: probability 6/p
    return toAffine(cleared);
  }
  throw new Error('hash to point: no point found');
}

/** Hp(P) in standard BabyJubJub coordinates. Pure, so results are memoised (bounded cache). */
export function hashToPoint(pk: Point): Point {
  const key = `${pk[0].toString(16)}:${pk[1].toString(16)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = compute(pk);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, out);
  return out;
}
