import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE8,
  CURVE_ORDER,
  FIELD_MODULUS,
  IDENTITY,
  InvalidPointError,
  InvalidScalarError,
  type Point,
  SUBGROUP_ORDER,
  addPoints,
  isInPrimeSubgroup,
  isOnCurve,
  mulPoint,
  packPoint,
  unpackPoint,
} from '../../src/crypto/index.ts';
import {
  bytesToBigLE,
  circomlib,
  fromCircomPoint,
  seededBytes,
  seededField,
  toCircomPoint,
} from './helpers.ts';

let c: Awaited<ReturnType<typeof circomlib>>;
/** circomlib's Generator has order 8l; l * Generator has order 8. */
let generator: Point;
let smallOrder: Point[];

beforeAll(async () => {
  c = await circomlib();
  generator = fromCircomPoint(c, c.babyJub.Generator);
  const t8 = c.babyJub.mulPointEscalar(c.babyJub.Generator, SUBGROUP_ORDER);
  smallOrder = [];
  let acc = [c.F.e(0n), c.F.e(1n)];
  for (let i = 0; i < 8; i++) {
    smallOrder.push(fromCircomPoint(c, acc));
    acc = c.babyJub.addPoint(acc, t8);
  }
});

const refMul = (p: Point, k: bigint): Point =>
  fromCircomPoint(c, c.babyJub.mulPointEscalar(toCircomPoint(c, p), k));
const refAdd = (a: Point, b: Point): Point =>
  fromCircomPoint(c, c.babyJub.addPoint(toCircomPoint(c, a), toCircomPoint(c, b)));

/** Random points: subgroup points, and points with a random small-order component. */
function samplePoints(label: string, n: number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const k = seededField(label, i);
    const p = mulPoint(BASE8, k);
    out.push(i % 3 === 0 ? addPoints(p, smallOrder[i % 8]!) : p);
  }
  return out;
}

describe('babyjub constants', () => {
  it('match circomlibjs', () => {
    expect(BASE8).toEqual(fromCircomPoint(c, c.babyJub.Base8));
    expect(SUBGROUP_ORDER).toBe(c.babyJub.subOrder);
    expect(CURVE_ORDER).toBe(c.babyJub.order);
    expect(smallOrder).toHaveLength(8);
    expect(new Set(smallOrder.map((p) => `${p[0]},${p[1]}`)).size).toBe(8);
  });
});

describe('point arithmetic', () => {
  it('mulPoint matches circomlibjs for random and edge scalars, in and out of the subgroup', () => {
    const scalars = [
      0n,
      1n,
      2n,
      7n,
      8n,
      SUBGROUP_ORDER - 1n,
      SUBGROUP_ORDER,
      SUBGROUP_ORDER + 1n,
      CURVE_ORDER - 1n,
    ];
    scalars.push(CURVE_ORDER + 3n, (1n << 256n) + 5n);
    for (let i = 0; i < 40; i++) scalars.push(bytesToBigLE(seededBytes('mul-scalar', i)));
    for (const [i, k] of scalars.entries()) {
      const p = i % 2 === 0 ? BASE8 : generator;
      expect(mulPoint(p, k)).toEqual(refMul(p, k));
    }
  });

  it('addPoints matches circomlibjs, including small-order and identity operands', () => {
    const pts = samplePoints('add', 60).concat(smallOrder);
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!;
      const b = pts[(i * 7 + 3) % pts.length]!;
      expect(addPoints(a, b)).toEqual(refAdd(a, b));
    }
    expect(addPoints(BASE8, IDENTITY)).toEqual(BASE8);
    expect(addPoints(BASE8, [FIELD_MODULUS - BASE8[0], BASE8[1]])).toEqual(IDENTITY);
  });

  it('rejects bad inputs with named errors', () => {
    expect(() => addPoints([1n, 2n], BASE8)).toThrowError(InvalidPointError);
    expect(() => mulPoint([BASE8[0] + FIELD_MODULUS, BASE8[1]], 2n)).toThrowError(InvalidPointError);
    expect(() => mulPoint(BASE8, -1n)).toThrowError(InvalidScalarError);
  });
});

describe('curve and subgroup membership', () => {
  it('isOnCurve accepts curve points and rejects anything else without throwing', () => {
    for (const p of samplePoints('on-curve', 20).concat(smallOrder)) expect(isOnCurve(p)).toBe(true);
    expect(isOnCurve([BASE8[0] + 1n, BASE8[1]])).toBe(false);
    expect(isOnCurve([BASE8[0] + FIELD_MODULUS, BASE8[1]])).toBe(false);
    expect(isOnCurve([-1n, 1n])).toBe(false);
    expect(isOnCurve(undefined as unknown as Point)).toBe(false);
    expect(isOnCurve([1, 2] as unknown as Point)).toBe(false);
  });

  it('isInPrimeSubgroup agrees with circomlibjs inSubgroup', () => {
    const pts = samplePoints('subgroup', 24).concat(smallOrder, [generator]);
    let inside = 0;
    for (const p of pts) {
      const expected = c.babyJub.inSubgroup(toCircomPoint(c, p));
      expect(isInPrimeSubgroup(p)).toBe(expected);
      if (expected) inside++;
    }
    expect(inside).toBeGreaterThan(10);
    expect(isInPrimeSubgroup(generator)).toBe(false);
    for (const p of smallOrder.slice(1)) expect(isInPrimeSubgroup(p)).toBe(false);
    expect(isInPrimeSubgroup([BASE8[0] + 1n, BASE8[1]])).toBe(false);
  });
});

describe('point packing', () => {
  it('packPoint/unpackPoint match circomlibjs and round-trip', () => {
    const pts = samplePoints('pack', 120).concat(smallOrder);
    let upperHalf = 0;
    for (const p of pts) {
      const packed = packPoint(p);
      expect(Buffer.from(packed).equals(Buffer.from(c.babyJub.packPoint(toCircomPoint(c, p))))).toBe(true);
      expect(unpackPoint(packed)).toEqual(p);
      // circomlibjs cannot unpack x = 0 (its Euler-criterion check rejects x^2 = 0): compare the rest
      if (p[0] !== 0n) expect(fromCircomPoint(c, c.babyJub.unpackPoint(Uint8Array.from(packed)))).toEqual(p);
      else expect(c.babyJub.unpackPoint(Uint8Array.from(packed))).toBeNull();
      if (packed[31]! & 0x80) upperHalf++;
    }
    expect(upperHalf).toBeGreaterThan(20);
  });

  it('unpackPoint returns null for malformed and non-canonical encodings', () => {
    expect(unpackPoint(new Uint8Array(31))).toBeNull();
    expect(unpackPoint(new Uint8Array(33))).toBeNull();
    // y >= r (y = r and y = r + 1 would alias valid points if reduced)
    for (const y of [FIELD_MODULUS, FIELD_MODULUS + 1n, (1n << 255n) - 1n]) {
      const b = new Uint8Array(32);
      let v = y;
      for (let i = 0; i < 32; i++) {
        b[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      expect(unpackPoint(b)).toBeNull();
    }
    // x = 0 with the sign bit set: (0, 1) and (0, -1) have a unique encoding with the bit clear
    for (const p of [IDENTITY, smallOrder[4]!]) {
      expect(p[0]).toBe(0n);
      const b = packPoint(p);
      expect(unpackPoint(b)).toEqual(p);
      b[31]! |= 0x80;
      expect(unpackPoint(b)).toBeNull();
    }
    // y values with no x on the curve
    let rejected = 0;
    for (let i = 0; i < 40 && rejected < 5; i++) {
      const b = seededBytes('no-x', i);
      b[31]! &= 0x3f;
      const y = bytesToBigLE(b);
      const onCurve = c.babyJub.unpackPoint(Uint8Array.from(b)) !== null;
      if (!onCurve && y < FIELD_MODULUS) {
        expect(unpackPoint(b)).toBeNull();
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
