import { describe, expect, it } from 'vitest';
import { signRing, verifyRing } from '../../src/privacy/alsag.ts';
import { activeEngine, buildChain, useEngine } from '../../src/privacy/chain.ts';
import {
  FixedBase,
  G,
  add,
  fromAffine,
  isValidGroupElementBigint,
  mulG,
  mulVar,
  oddMultiples,
  straus,
  toAffine,
  toCached,
  wnaf,
} from '../../src/privacy/curve.ts';
import { CURVE_A, CURVE_D } from '../../src/privacy/curve.ts';
import { sqrtRatio, sqrtRatioUsesKernel } from '../../src/privacy/field-wasm.ts';
import { P, finv, fpow, fsqrt } from '../../src/privacy/field.ts';
import { DS_HASH_TO_POINT, DS_HASH_TO_POINT_SIGN, hashToPoint } from '../../src/privacy/hashToPoint.ts';
import { decodePoint } from '../../src/privacy/points.ts';
import {
  BASE8,
  type Point,
  addPoints,
  isInPrimeSubgroup,
  mulPoint,
  packPoint,
  poseidon,
  unpackPoint,
} from '../../src/privacy/primitives.ts';
import { L } from '../../src/privacy/scalar.ts';
import { hashToScalar, statementDigest } from '../../src/privacy/transcript.ts';
import { isValidGroupElement } from '../../src/privacy/validate.ts';
import { forge } from './forge.ts';
import { MESSAGE, OBSERVER, keyset, scalarFrom, seededRandom } from './helpers.ts';

const ORDER2: Point = [0n, P - 1n];
const scalars = [
  1n,
  2n,
  3n,
  255n,
  256n,
  1n << 200n,
  L - 1n,
  L - 2n,
  ...Array.from({ length: 12 }, (_, i) => scalarFrom(`k/${i}`)),
];

describe('BigInt curve layer agrees with the shared primitives', () => {
  const Q = mulPoint(BASE8, scalarFrom('Q'));
  it('mulVar, mulG, FixedBase (w = 4, 8) and Straus', () => {
    const fb4 = new FixedBase(fromAffine(Q), 4, false);
    const fb8 = new FixedBase(fromAffine(Q), 8, true);
    for (const k of scalars) {
      const ref = mulPoint(Q, k);
      expect(toAffine(mulVar(fromAffine(Q), k))).toEqual(ref);
      expect(toAffine(fb4.mul(k))).toEqual(ref);
      expect(toAffine(fb8.mul(k))).toEqual(ref);
      expect(toAffine(mulG(k))).toEqual(mulPoint(BASE8, k));
      const k2 = (k * 7n + 11n) % L;
      const both = straus([
        { digits: wnaf(k, 5), table: oddMultiples(G, 5) },
        { digits: wnaf(k2, 5), table: oddMultiples(fromAffine(Q), 5) },
      ]);
      expect(toAffine(both)).toEqual(addPoints(mulPoint(BASE8, k), mulPoint(Q, k2)));
      // The result carries T: adding to it works.
      expect(toAffine(add(both, toCached(G)))).toEqual(
        addPoints(addPoints(mulPoint(BASE8, k), mulPoint(Q, k2)), BASE8),
      );
    }
  });

  it('wNAF digits reconstruct the scalar and are odd, bounded and sparse', () => {
    for (const w of [5, 8]) {
      for (const k of scalars) {
        const d = wnaf(k, w);
        let acc = 0n;
        for (let i = d.length - 1; i >= 0; i--) acc = 2n * acc + BigInt(d[i]!);
        expect(acc).toBe(k);
        for (let i = 0; i < d.length; i++) {
          if (d[i] === 0) continue;
          expect(Math.abs(d[i]!) % 2).toBe(1);
          expect(Math.abs(d[i]!)).toBeLessThan(1 << (w - 1));
          for (let j = i + 1; j < Math.min(d.length, i + w); j++) expect(d[j]).toBe(0);
        }
      }
    }
  });

  it('subgroup validation: independent BigInt check and the shared one agree', () => {
    const cases: Point[] = [Q, BASE8, [0n, 1n], ORDER2, addPoints(Q, ORDER2), [1n, 2n], [Q[0], Q[1] + 1n]];
    // a point of order 4: x^2 = 1/a, y = 0
    const x4 = fsqrt(finv(CURVE_A));
    expect(x4).not.toBeNull();
    cases.push([x4!, 0n], addPoints(Q, [x4!, 0n]));
    const expected = [true, true, false, false, false, false, false, false, false];
    cases.forEach((pt, i) => {
      expect(isValidGroupElementBigint(pt)).toBe(expected[i]);
      expect(isValidGroupElement(pt)).toBe(expected[i]);
    });
  });

  it('field helpers: square roots and inverses', () => {
    for (let i = 1n; i < 40n; i++) {
      const a = (i * 0x1234567890abcdefn) % P;
      expect((a * finv(a)) % P).toBe(1n);
      const sq = (a * a) % P;
      const r = fsqrt(sq)!;
      expect((r * r) % P).toBe(sq);
      const isQr = fpow(a, (P - 1n) / 2n) === 1n;
      expect(fsqrt(a) !== null).toBe(isQr);
    }
  });
});

describe('point decoding', () => {
  it('accepts exactly what the shared unpackPoint accepts', () => {
    const samples: Uint8Array[] = [];
    for (const k of scalars) {
      const pt = mulPoint(BASE8, k);
      samples.push(packPoint(pt), packPoint(addPoints(pt, ORDER2)));
    }
    samples.push(packPoint([0n, 1n]), packPoint(ORDER2));
    // sign bit on x = 0, y >= p, and arbitrary bytes (about half are not on the curve)
    const zeroWithSign = packPoint([0n, 1n]);
    zeroWithSign[31] = zeroWithSign[31]! | 0x80;
    samples.push(zeroWithSign);
    const big = new Uint8Array(32).fill(0xff);
    big[31] = 0x7f;
    samples.push(big);
    for (let i = 0; i < 40; i++) samples.push(seededRandom(`bytes/${i}`)(32));
    samples.push(new Uint8Array(31), new Uint8Array(33));
    let valid = 0;
    for (const b of samples) {
      const mine = decodePoint(b);
      expect(mine).toEqual(unpackPoint(b));
      if (mine) {
        valid++;
        expect(packPoint(mine)).toEqual(b);
      }
    }
    expect(valid).toBeGreaterThan(2 * scalars.length);
  });
});

describe('hash to point', () => {
  const keys = keyset('hp', 12).ring;

  it('is deterministic, lands in the prime-order subgroup, never the identity, distinct per key', () => {
    const seen = new Set<string>();
    for (const pk of keys) {
      const h = hashToPoint(pk);
      expect(hashToPoint([pk[0], pk[1]])).toEqual(h);
      expect(isInPrimeSubgroup(h)).toBe(true);
      expect(h).not.toEqual([0n, 1n]);
      seen.add(`${h[0]}:${h[1]}`);
    }
    expect(seen.size).toBe(keys.length);
  });

  it('matches an independent reading of the specification (try-and-increment, sign bit, cofactor 8)', () => {
    for (const pk of keys) {
      let expected: Point | undefined;
      for (let ctr = 0n; !expected; ctr++) {
        const y = poseidon([DS_HASH_TO_POINT, pk[0], pk[1], ctr]);
        const y2 = (y * y) % P;
        const x2 = (((((1n - y2) % P) + P) % P) * fpow((((CURVE_A - CURVE_D * y2) % P) + P) % P, P - 2n)) % P;
        if (x2 === 0n || fpow(x2, (P - 1n) / 2n) !== 1n) continue;
        let x = fsqrt(x2)!;
        const bit = poseidon([DS_HASH_TO_POINT_SIGN, pk[0], pk[1], ctr]) & 1n;
        if ((x & 1n) !== bit) x = P - x;
        expected = mulPoint([x, y], 8n);
      }
      expect(hashToPoint(pk)).toEqual(expected);
    }
  });
});

describe('transcript binding', () => {
  const ks = keyset('fs', 4);
  const base = {
    ring: ks.ring,
    message: MESSAGE,
    observerKey: OBSERVER.key,
    epoch: OBSERVER.epoch,
    keyImage: mulPoint(BASE8, 5n),
    c1: mulPoint(BASE8, 6n),
    c2: mulPoint(BASE8, 7n),
  };
  it('every statement field changes the digest', () => {
    const d = statementDigest(base);
    const other = mulPoint(BASE8, 99n);
    const variants = [
      { ...base, message: new Uint8Array([...MESSAGE, 0]) },
      { ...base, observerKey: other },
      { ...base, epoch: base.epoch + 1n },
      { ...base, keyImage: other },
      { ...base, c1: other },
      { ...base, c2: other },
      { ...base, ring: [...ks.ring].reverse() },
      { ...base, ring: ks.ring.slice(0, 3) },
      ...ks.ring.map((_, i) => ({ ...base, ring: ks.ring.map((p, j) => (j === i ? other : p)) })),
    ];
    for (const v of variants) expect(statementDigest(v)).not.toBe(d);
  });

  it('challenges are canonical scalars', () => {
    for (let i = 0n; i < 50n; i++) expect(hashToScalar([i, i * i])).toBeLessThan(L);
  });
});

describe('verification engines', () => {
  it('the wasm engine is active and both engines compute identical chains', () => {
    expect(activeEngine()).toBe('wasm');
    const ks = keyset('engines', 6);
    const st = { ring: ks.ring, message: MESSAGE, observer: OBSERVER };
    const sig = signRing({ ...st, index: 4, secretKey: ks.secrets[4]!, random: seededRandom('engines') });
    const bad = forge({
      ...st,
      closeAt: 4,
      x: ks.secrets[4]!,
      plaintext: ks.ring[1]!,
      random: seededRandom('engines-bad'),
    });
    const run = (name: 'wasm' | 'bigint') => {
      useEngine(name);
      const ch = buildChain(st, sig.keyImage, sig.c1, sig.c2);
      const cs: bigint[] = [];
      let c = sig.c0;
      for (let i = 0; i < 6; i++) {
        c = ch.step(i, c, sig.s1[i]!, sig.s2[i]!);
        cs.push(c);
      }
      return { cs, ok: verifyRing(st, sig), bad: verifyRing(st, bad) };
    };
    try {
      const w = run('wasm');
      const b = run('bigint');
      expect(b.cs).toEqual(w.cs);
      expect(w.cs[5]).toBe(sig.c0);
      expect([w.ok, b.ok, w.bad, b.bad]).toEqual([true, true, false, false]);
      // A signature made with the bigint engine verifies with the wasm engine.
      const sigB = signRing({
        ...st,
        index: 1,
        secretKey: ks.secrets[1]!,
        random: seededRandom('engines-b'),
      });
      useEngine('wasm');
      expect(verifyRing(st, sigB)).toBe(true);
    } finally {
      useEngine('wasm');
    }
  });
});

describe('square roots on the kernel', () => {
  it('sqrtRatio agrees with the BigInt field and uses the kernel', () => {
    expect(sqrtRatioUsesKernel()).toBe(true);
    for (let i = 1n; i < 60n; i++) {
      const u = (i * 0x9e3779b97f4a7c15n * i) % P;
      const v = (i * 0x1234567n + 5n) % P;
      const r = sqrtRatio(u, v);
      const w = (u * finv(v)) % P;
      const ref = fsqrt(w);
      expect(r === null).toBe(ref === null);
      if (r !== null) expect((((r * r) % P) * v) % P).toBe(u);
    }
    expect(sqrtRatio(0n, 5n)).toBe(0n);
  });
});
