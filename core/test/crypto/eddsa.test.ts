import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE8,
  FIELD_MODULUS,
  FieldElementRangeError,
  IDENTITY,
  InvalidPrivateKeyError,
  type Point,
  SUBGROUP_ORDER,
  type Signature,
  addPoints,
  isInPrimeSubgroup,
  mulPoint,
  packPoint,
  packSignature,
  privateKeyToPublicKey,
  signPoseidon,
  unpackSignature,
  verifyPoseidon,
} from '../../src/crypto/index.ts';
import { circomlib, fromCircomPoint, seededBytes, seededField, toCircomPoint } from './helpers.ts';

let c: Awaited<ReturnType<typeof circomlib>>;
let smallOrder: Point[];
const prv = seededBytes('eddsa-key', 0);
let pub: Point;
let sig: Signature;
const msg = seededField('eddsa-msg', 0);

beforeAll(async () => {
  c = await circomlib();
  const t8 = c.babyJub.mulPointEscalar(c.babyJub.Generator, SUBGROUP_ORDER);
  smallOrder = [];
  let acc = [c.F.e(0n), c.F.e(1n)];
  for (let i = 0; i < 8; i++) {
    smallOrder.push(fromCircomPoint(c, acc));
    acc = c.babyJub.addPoint(acc, t8);
  }
  pub = privateKeyToPublicKey(prv);
  sig = signPoseidon(prv, msg);
});

const circomVerify = (m: bigint, s: Signature, a: Point): boolean =>
  c.eddsa.verifyPoseidon(c.F.e(m), { R8: toCircomPoint(c, s.R8), S: s.S }, toCircomPoint(c, a));

describe('EdDSA-Poseidon basics', () => {
  it('signs deterministically and verifies', () => {
    expect(verifyPoseidon(msg, sig, pub)).toBe(true);
    expect(signPoseidon(prv, msg)).toEqual(sig);
    expect(isInPrimeSubgroup(pub)).toBe(true);
    expect(sig.S < SUBGROUP_ORDER).toBe(true);
  });

  it('signs 0 and r - 1', () => {
    for (const m of [0n, FIELD_MODULUS - 1n]) {
      const s = signPoseidon(prv, m);
      expect(verifyPoseidon(m, s, pub)).toBe(true);
      expect(circomVerify(m, s, pub)).toBe(true);
    }
  });

  it('rejects bad keys and messages with named errors', () => {
    expect(() => signPoseidon(new Uint8Array(31), 1n)).toThrowError(InvalidPrivateKeyError);
    expect(() => privateKeyToPublicKey('00' as unknown as Uint8Array)).toThrowError(InvalidPrivateKeyError);
    expect(() => signPoseidon(prv, FIELD_MODULUS)).toThrowError(FieldElementRangeError);
    expect(() => signPoseidon(prv, -1n)).toThrowError(FieldElementRangeError);
  });
});

describe('verification rejects (false, never throws)', () => {
  it('tampered message, R8 or S', () => {
    expect(verifyPoseidon(msg + 1n, sig, pub)).toBe(false);
    expect(verifyPoseidon(msg, { R8: addPoints(sig.R8, BASE8), S: sig.S }, pub)).toBe(false);
    expect(verifyPoseidon(msg, { R8: sig.R8, S: (sig.S + 1n) % SUBGROUP_ORDER }, pub)).toBe(false);
    expect(verifyPoseidon(msg, { R8: sig.R8, S: (sig.S + SUBGROUP_ORDER - 1n) % SUBGROUP_ORDER }, pub)).toBe(
      false,
    );
    expect(verifyPoseidon(msg, sig, privateKeyToPublicKey(seededBytes('eddsa-key', 1)))).toBe(false);
  });

  it('non-canonical S (S + l satisfies the group equation but is rejected, as circomlib does)', () => {
    const s = { R8: sig.R8, S: sig.S + SUBGROUP_ORDER };
    expect(verifyPoseidon(msg, s, pub)).toBe(false);
    expect(circomVerify(msg, s, pub)).toBe(false);
    expect(verifyPoseidon(msg, { R8: sig.R8, S: -sig.S }, pub)).toBe(false);
  });

  it('points off the curve or with non-canonical coordinates', () => {
    expect(verifyPoseidon(msg, { R8: [sig.R8[0] + 1n, sig.R8[1]], S: sig.S }, pub)).toBe(false);
    expect(verifyPoseidon(msg, sig, [pub[0], pub[1] + 1n])).toBe(false);
    expect(verifyPoseidon(msg, { R8: [sig.R8[0] + FIELD_MODULUS, sig.R8[1]], S: sig.S }, pub)).toBe(false);
    expect(verifyPoseidon(msg, sig, [pub[0] + FIELD_MODULUS, pub[1]])).toBe(false);
    expect(verifyPoseidon(msg + FIELD_MODULUS, sig, pub)).toBe(false);
  });

  it('all 8 small-order public keys, even with signatures circomlibjs accepts', () => {
    expect(smallOrder).toHaveLength(8);
    expect(smallOrder[0]).toEqual(IDENTITY);
    for (const [i, a] of smallOrder.entries()) {
      // 8 h A = O for small-order A, so S B8 = R8 passes the plain group equation for any message
      const S = seededField('forge', i) % SUBGROUP_ORDER;
      const forged = { R8: mulPoint(BASE8, S), S };
      expect(circomVerify(msg, forged, a)).toBe(true);
      expect(verifyPoseidon(msg, forged, a)).toBe(false);
    }
  });

  it('identity R8 and malformed values', () => {
    expect(verifyPoseidon(msg, { R8: IDENTITY, S: sig.S }, pub)).toBe(false);
    const junk: unknown[] = [
      undefined,
      null,
      {},
      { R8: sig.R8 },
      { R8: [1, 2], S: sig.S },
      { R8: sig.R8, S: Number(7) },
      { R8: 'x', S: sig.S },
      { R8: [sig.R8[0]], S: sig.S },
    ];
    for (const j of junk) expect(verifyPoseidon(msg, j as Signature, pub)).toBe(false);
    expect(verifyPoseidon(msg, sig, null as unknown as Point)).toBe(false);
    expect(verifyPoseidon('1' as unknown as bigint, sig, pub)).toBe(false);
  });
});

describe('signature packing', () => {
  it('round-trips and rejects malformed encodings', () => {
    const packed = packSignature(sig);
    expect(packed).toHaveLength(64);
    expect(unpackSignature(packed)).toEqual(sig);
    expect(unpackSignature(packed.subarray(0, 63))).toBeNull();
    // S >= l
    const highS = Uint8Array.from(packed);
    let s = sig.S + SUBGROUP_ORDER;
    for (let i = 32; i < 64; i++) {
      highS[i] = Number(s & 0xffn);
      s >>= 8n;
    }
    expect(unpackSignature(highS)).toBeNull();
    // R8 with y >= r
    const badR = Uint8Array.from(packed);
    badR.fill(0xff, 0, 31);
    badR[31] = 0x7f;
    expect(unpackSignature(badR)).toBeNull();
    // identity R8 encoded with the sign bit set (non-canonical)
    const idR = Uint8Array.from(packed);
    idR.set(packPoint(IDENTITY), 0);
    idR[31]! |= 0x80;
    expect(unpackSignature(idR)).toBeNull();
  });
});
