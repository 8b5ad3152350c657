import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLinked, ringKeyImage, ringPublicKey, signRing, verifyRing } from '../../src/privacy/alsag.ts';
import { chainCloses } from '../../src/privacy/chain.ts';
import { G, add, fromAffine, mulVar, negCached, toAffine, toCached } from '../../src/privacy/curve.ts';
import {
  encodeRingSignature,
  ringSignatureLength,
  tryDecodeRingSignature,
} from '../../src/privacy/encoding.ts';
import { PrivacyError } from '../../src/privacy/errors.ts';
import { P } from '../../src/privacy/field.ts';
import { hashToPoint } from '../../src/privacy/hashToPoint.ts';
import { type Point, packPoint } from '../../src/privacy/primitives.ts';
import { L, scalarToBytes } from '../../src/privacy/scalar.ts';
import { hashToScalar } from '../../src/privacy/transcript.ts';
import type { RingSignature, RingStatement } from '../../src/privacy/types.ts';
import { forge } from './forge.ts';
import { MESSAGE, OBSERVER, keyset, scalarFrom, seededRandom } from './helpers.ts';

const ORDER2: Point = [0n, P - 1n];

function signAt(n: number, index: number, label = 'ring') {
  const ks = keyset(label, n);
  const st: RingStatement = { ring: ks.ring, message: MESSAGE, observer: OBSERVER };
  const sig = signRing({
    ...st,
    index,
    secretKey: ks.secrets[index]!,
    random: seededRandom(`${label}/${n}/${index}`),
  });
  return { ks, st, sig };
}

function pointAdd(a: Point, b: Point): Point {
  return toAffine(add(fromAffine(a), toCached(fromAffine(b))));
}

function pointSub(a: Point, b: Point): Point {
  return toAffine(add(fromAffine(a), negCached(toCached(fromAffine(b)))));
}

function mul(p: Point, k: bigint): Point {
  return toAffine(mulVar(fromAffine(p), k));
}

describe('A-LSAG completeness', () => {
  const sizes = [1, 2, 3, 11, 16, 64];
  for (const n of sizes) {
    const positions = [...new Set([0, n - 1, Number(scalarFrom(`pos/${n}`) % BigInt(n))])];
    for (const index of positions) {
      it(`ring of ${n}, signer at ${index}: verifies, round-trips through bytes`, () => {
        const { st, sig, ks } = signAt(n, index);
        expect(verifyRing(st, sig)).toBe(true);
        const bytes = encodeRingSignature(sig);
        expect(bytes.length).toBe(ringSignatureLength(n));
        expect(verifyRing(st, bytes)).toBe(true);
        expect(tryDecodeRingSignature(bytes)).toEqual(sig);
        expect(sig.keyImage).toEqual(ringKeyImage(ks.secrets[index]!));
      });
    }
  }

  it('signs with a fresh CSPRNG by default: two signatures differ, both verify, same key image', () => {
    const ks = keyset('ring', 4);
    const st: RingStatement = { ring: ks.ring, message: MESSAGE, observer: OBSERVER };
    const a = signRing({ ...st, index: 2, secretKey: ks.secrets[2]! });
    const b = signRing({ ...st, index: 2, secretKey: ks.secrets[2]! });
    expect(a.c0).not.toBe(b.c0);
    expect(a.c1).not.toEqual(b.c1);
    expect(verifyRing(st, a)).toBe(true);
    expect(verifyRing(st, b)).toBe(true);
    expect(isLinked(a, b)).toBe(true);
  });
});

describe('A-LSAG linkability', () => {
  it('the same key in two different rings gives the same key image; other keys differ', () => {
    const a = keyset('link-a', 5);
    const b = keyset('link-b', 7);
    const shared = a.secrets[3]!;
    const ringB = [...b.ring];
    ringB[5] = a.ring[3]!;
    const sigA = signRing({
      ring: a.ring,
      index: 3,
      secretKey: shared,
      message: MESSAGE,
      observer: OBSERVER,
    });
    const msgB = new TextEncoder().encode('another transaction');
    const obsB = { key: ringPublicKey(scalarFrom('observer/epoch-8')), epoch: 8n };
    const sigB = signRing({ ring: ringB, index: 5, secretKey: shared, message: msgB, observer: obsB });
    expect(verifyRing({ ring: a.ring, message: MESSAGE, observer: OBSERVER }, sigA)).toBe(true);
    expect(verifyRing({ ring: ringB, message: msgB, observer: obsB }, sigB)).toBe(true);
    expect(sigA.keyImage).toEqual(sigB.keyImage);
    expect(isLinked(sigA, sigB)).toBe(true);
    const other = signRing({
      ring: a.ring,
      index: 1,
      secretKey: a.secrets[1]!,
      message: MESSAGE,
      observer: OBSERVER,
    });
    expect(isLinked(sigA, other)).toBe(false);
  });

  it('the key image is not computable from public data by an obvious map (I != h(P)*P, I != Hp(P))', () => {
    const { ks, sig } = signAt(6, 4);
    for (const pk of ks.ring) {
      expect(sig.keyImage).not.toEqual(mul(pk, hashToScalar([pk[0], pk[1]])));
      expect(sig.keyImage).not.toEqual(hashToPoint(pk));
      expect(sig.keyImage).not.toEqual(pk);
    }
  });

  it('signature length and layout do not depend on the signer index', () => {
    const lengths = [0, 3, 7].map((i) => encodeRingSignature(signAt(8, i).sig).length);
    expect(new Set(lengths).size).toBe(1);
  });
});

describe('A-LSAG rejections', () => {
  const n = 5;
  const index = 2;
  const { ks, st, sig } = signAt(n, index, 'neg');

  it('baseline verifies', () => {
    expect(verifyRing(st, sig)).toBe(true);
  });

  it('wrong message, wrong observer key, wrong epoch', () => {
    expect(verifyRing({ ...st, message: new TextEncoder().encode('tessera private transfer #2') }, sig)).toBe(
      false,
    );
    const otherObserver = { key: ringPublicKey(scalarFrom('observer/other')), epoch: OBSERVER.epoch };
    expect(verifyRing({ ...st, observer: otherObserver }, sig)).toBe(false);
    expect(verifyRing({ ...st, observer: { ...OBSERVER, epoch: 8n } }, sig)).toBe(false);
  });

  it('wrong index: honest sign refuses, a forced signature does not verify', () => {
    expect(() => signRing({ ...st, index: 3, secretKey: ks.secrets[index]! })).toThrowError(PrivacyError);
    try {
      signRing({ ...st, index: 3, secretKey: ks.secrets[index]! });
    } catch (e) {
      expect((e as PrivacyError).code).toBe('PRIVACY_KEY_NOT_IN_RING');
    }
    const forged = forge({ ...st, closeAt: 3, x: ks.secrets[index]!, random: seededRandom('wrong-index') });
    expect(chainCloses(st, forged)).toBe(false);
    expect(verifyRing(st, forged)).toBe(false);
  });

  it('tampered challenge or any response', () => {
    expect(verifyRing(st, { ...sig, c0: (sig.c0 + 1n) % L })).toBe(false);
    for (let i = 0; i < n; i++) {
      const s1 = [...sig.s1];
      s1[i] = (s1[i]! + 1n) % L;
      expect(verifyRing(st, { ...sig, s1 })).toBe(false);
      const s2 = [...sig.s2];
      s2[i] = (s2[i]! + 1n) % L;
      expect(verifyRing(st, { ...sig, s2 })).toBe(false);
    }
  });

  it('substituted, reordered, truncated, extended or duplicated ring', () => {
    const stranger = keyset('stranger', 1).ring[0]!;
    for (let j = 0; j < n; j++) {
      const ring = [...ks.ring];
      ring[j] = stranger;
      expect(verifyRing({ ...st, ring }, sig)).toBe(false);
    }
    const swapped = [...ks.ring];
    [swapped[0], swapped[4]] = [swapped[4]!, swapped[0]!];
    expect(verifyRing({ ...st, ring: swapped }, sig)).toBe(false);
    const rotated = [...ks.ring.slice(1), ks.ring[0]!];
    expect(verifyRing({ ...st, ring: rotated }, sig)).toBe(false);
    expect(
      verifyRing(
        { ...st, ring: ks.ring.slice(0, 4) },
        { ...sig, s1: sig.s1.slice(0, 4), s2: sig.s2.slice(0, 4) },
      ),
    ).toBe(false);
    expect(
      verifyRing(
        { ...st, ring: [...ks.ring, stranger] },
        { ...sig, s1: [...sig.s1, 1n], s2: [...sig.s2, 1n] },
      ),
    ).toBe(false);

    // A ring listing the signer twice: honest sign refuses; a forged one closes but is rejected.
    const dup = [ks.ring[0]!, ks.ring[1]!, ks.ring[2]!, ks.ring[2]!];
    expect(() => signRing({ ...st, ring: dup, index: 2, secretKey: ks.secrets[2]! })).toThrowError(
      /appears twice/,
    );
    const forged = forge({ ...st, ring: dup, closeAt: 2, x: ks.secrets[2]!, random: seededRandom('dup') });
    expect(chainCloses({ ...st, ring: dup }, forged)).toBe(true);
    expect(verifyRing({ ...st, ring: dup }, forged)).toBe(false);
  });

  it('signer not in the ring', () => {
    const outsider = scalarFrom('outsider');
    expect(() => signRing({ ...st, index: 0, secretKey: outsider })).toThrowError(/not the public key/);
    for (let at = 0; at < n; at++) {
      const forged = forge({ ...st, closeAt: at, x: outsider, random: seededRandom(`outsider/${at}`) });
      expect(verifyRing(st, forged)).toBe(false);
    }
  });

  it('key image replaced: by another key image, by a forged image for the same key, by random points', () => {
    const other = ringKeyImage(ks.secrets[0]!);
    expect(verifyRing(st, { ...sig, keyImage: other })).toBe(false);
    // The signer tries to close the chain with an image of a different Hp base.
    const forged = forge({
      ...st,
      closeAt: index,
      x: ks.secrets[index]!,
      keyImage: mul(hashToPoint(ks.ring[0]!), ks.secrets[index]!),
      random: seededRandom('ki'),
    });
    expect(verifyRing(st, forged)).toBe(false);
    expect(verifyRing(st, { ...sig, keyImage: mul(sig.keyImage, 2n) })).toBe(false);
  });

  it('identity key image and small-order key images', () => {
    expect(verifyRing(st, { ...sig, keyImage: [0n, 1n] })).toBe(false);
    expect(verifyRing(st, { ...sig, keyImage: ORDER2 })).toBe(false);
    expect(verifyRing(st, { ...sig, keyImage: pointAdd(sig.keyImage, ORDER2) })).toBe(false);
  });

  it('I + T (T of order 2) with a ground nonce closes the bare chain but is rejected by the subgroup check', () => {
    const torsioned = pointAdd(ringKeyImage(ks.secrets[index]!), ORDER2);
    let closing: RingSignature | undefined;
    for (let attempt = 0; attempt < 64 && !closing; attempt++) {
      const cand = forge({
        ...st,
        closeAt: index,
        x: ks.secrets[index]!,
        keyImage: torsioned,
        random: seededRandom(`grind/${attempt}`),
      });
      if (chainCloses(st, cand)) closing = cand;
    }
    expect(closing).toBeDefined();
    expect(verifyRing(st, closing!)).toBe(false);
  });

  it('non-canonical scalars s + l and c + l (the chain alone would accept them)', () => {
    const s1 = [...sig.s1];
    s1[1] = s1[1]! + L;
    expect(chainCloses(st, { ...sig, s1 })).toBe(true);
    expect(verifyRing(st, { ...sig, s1 })).toBe(false);
    const s2 = [...sig.s2];
    s2[3] = s2[3]! + L;
    expect(verifyRing(st, { ...sig, s2 })).toBe(false);
    expect(verifyRing(st, { ...sig, c0: sig.c0 + L })).toBe(false);
    expect(verifyRing(st, { ...sig, s1: sig.s1.map((s) => -s) })).toBe(false);

    // The same in bytes: 32-byte big-endian s + l still fits, and is refused by the decoder.
    const bytes = encodeRingSignature(sig);
    const off = 3 + 32 * 2;
    const big = (sig.s1[1]! + L).toString(16).padStart(64, '0');
    const patched = bytes.slice();
    patched.set(Uint8Array.from(Buffer.from(big, 'hex')), off);
    expect(tryDecodeRingSignature(patched)).toBeNull();
    expect(verifyRing(st, patched)).toBe(false);
  });

  it('non-canonical point encodings (y + p) and other malformed bytes', () => {
    const bytes = encodeRingSignature(sig);
    const pointsAt = 3 + 32 * (2 * n + 1);
    for (let k = 0; k < 3; k++) {
      const pt = [sig.keyImage, sig.c1, sig.c2][k]!;
      const packed = packPoint(pt);
      const y = pt[1] + P;
      if (y >= 1n << 255n) continue;
      const alt = new Uint8Array(32);
      let v = y;
      for (let i = 0; i < 32; i++) {
        alt[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      alt[31] = (alt[31]! & 0x7f) | (packed[31]! & 0x80);
      const patched = bytes.slice();
      patched.set(alt, pointsAt + 32 * k);
      expect(tryDecodeRingSignature(patched)).toBeNull();
      expect(verifyRing(st, patched)).toBe(false);
    }
    expect(verifyRing(st, bytes.slice(0, bytes.length - 1))).toBe(false);
    expect(verifyRing(st, new Uint8Array([...bytes, 0]))).toBe(false);
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 2;
    expect(verifyRing(st, wrongVersion)).toBe(false);
    const wrongN = bytes.slice();
    wrongN[2] = n + 1;
    expect(verifyRing(st, wrongN)).toBe(false);
    // Coordinates out of range in the object form.
    expect(verifyRing(st, { ...sig, keyImage: [sig.keyImage[0] + P, sig.keyImage[1]] })).toBe(false);
    expect(
      verifyRing({ ...st, ring: [[ks.ring[0]![0], ks.ring[0]![1] + P], ...ks.ring.slice(1)] }, sig),
    ).toBe(false);
  });

  it('a ciphertext of another ring member (framing) never verifies, wherever the chain is closed', () => {
    const victim = ks.ring[0]!;
    const framed = forge({
      ...st,
      closeAt: index,
      x: ks.secrets[index]!,
      plaintext: victim,
      random: seededRandom('frame'),
    });
    expect(verifyRing(st, framed)).toBe(false);
    const framed2 = forge({
      ...st,
      closeAt: 0,
      x: ks.secrets[index]!,
      plaintext: victim,
      random: seededRandom('frame2'),
    });
    expect(verifyRing(st, framed2)).toBe(false);
    // A ciphertext of a key outside the ring, or of the identity, fails too.
    const outsider = forge({
      ...st,
      closeAt: index,
      x: ks.secrets[index]!,
      plaintext: keyset('stranger', 1).ring[0]!,
      random: seededRandom('frame3'),
    });
    expect(verifyRing(st, outsider)).toBe(false);
  });

  it('a re-randomised ciphertext (same plaintext) is rejected', () => {
    const rho = scalarFrom('rerandomise');
    const c1 = pointAdd(sig.c1, mul(toAffine(G), rho));
    const c2 = pointAdd(sig.c2, mul(OBSERVER.key, rho));
    // Still an encryption of the same key under Y ...
    const y = scalarFrom('observer/epoch-7');
    expect(pointSub(c2, mul(c1, y))).toEqual(pointSub(sig.c2, mul(sig.c1, y)));
    // ... but the statement changed.
    expect(verifyRing(st, { ...sig, c1, c2 })).toBe(false);
    expect(verifyRing(st, { ...sig, c1 })).toBe(false);
    expect(verifyRing(st, { ...sig, c2 })).toBe(false);
  });

  it('identity or small-order ciphertext and observer keys are rejected', () => {
    expect(verifyRing(st, { ...sig, c1: [0n, 1n] })).toBe(false);
    expect(verifyRing(st, { ...sig, c2: pointAdd(sig.c2, ORDER2) })).toBe(false);
    expect(verifyRing({ ...st, observer: { key: [0n, 1n], epoch: 7n } }, sig)).toBe(false);
    expect(verifyRing({ ...st, observer: { key: pointAdd(OBSERVER.key, ORDER2), epoch: 7n } }, sig)).toBe(
      false,
    );
    expect(() =>
      signRing({ ...st, observer: { key: ORDER2, epoch: 7n }, index, secretKey: ks.secrets[index]! }),
    ).toThrowError(PrivacyError);
  });

  it('torsioned ring member is rejected', () => {
    const ring = [...ks.ring];
    ring[1] = pointAdd(ring[1]!, ORDER2);
    expect(verifyRing({ ...st, ring }, sig)).toBe(false);
  });

  it('malformed inputs return false instead of throwing', () => {
    const junk: unknown[] = [
      null,
      undefined,
      0,
      'sig',
      {},
      [],
      new Uint8Array(0),
      { ...sig, s1: null },
      { ...sig, keyImage: [1, 2] },
      { ...sig, c0: 5 },
      { ...sig, s1: [...sig.s1, 0n] },
    ];
    for (const j of junk) expect(verifyRing(st, j as RingSignature)).toBe(false);
    const badStatements: unknown[] = [
      null,
      { ...st, ring: [] },
      { ...st, ring: 'x' },
      { ...st, message: 'text' },
      { ...st, observer: null },
      { ...st, observer: { key: OBSERVER.key, epoch: -1n } },
      { ...st, observer: { key: OBSERVER.key, epoch: 1n << 64n } },
      { ...st, ring: [[1n, 2n], ...ks.ring.slice(1)] },
    ];
    for (const b of badStatements) expect(verifyRing(b as RingStatement, sig)).toBe(false);
  });

  it('random byte flips of an encoded signature never verify and never throw', () => {
    const bytes = encodeRingSignature(sig);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, mask) => {
          const mutated = bytes.slice();
          mutated[pos] = mutated[pos]! ^ mask;
          return verifyRing(st, mutated) === false;
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    // Every single bit flip of the header and of the three points.
    const pointsAt = 3 + 32 * (2 * n + 1);
    for (const pos of [
      0,
      1,
      2,
      pointsAt,
      pointsAt + 31,
      pointsAt + 32,
      pointsAt + 63,
      pointsAt + 64,
      pointsAt + 95,
    ]) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = bytes.slice();
        mutated[pos] = mutated[pos]! ^ (1 << bit);
        expect(verifyRing(st, mutated)).toBe(false);
      }
    }
  });

  it('rejects out-of-range secret keys and indexes at signing', () => {
    for (const bad of [0n, L, L + 1n, -1n]) {
      expect(() => signRing({ ...st, index, secretKey: bad })).toThrowError(PrivacyError);
    }
    expect(() => signRing({ ...st, index: n, secretKey: ks.secrets[index]! })).toThrowError(PrivacyError);
    expect(() => signRing({ ...st, index: -1, secretKey: ks.secrets[index]! })).toThrowError(PrivacyError);
    expect(() => ringKeyImage(0n)).toThrowError(PrivacyError);
  });

  it('scalars encode canonically (helper sanity)', () => {
    expect(() => scalarToBytes(L)).toThrow();
    expect(scalarToBytes(L - 1n).length).toBe(32);
  });
});
