import { describe, expect, it } from 'vitest';
import { ringPublicKey, signRing, verifyRing } from '../../src/privacy/alsag.ts';
import { PrivacyError } from '../../src/privacy/errors.ts';
import {
  MEMO_CIPHERTEXT_LENGTH,
  MEMO_MAX_BYTES,
  type ObserverMemo,
  decryptMemo,
  decryptSigner,
  encryptMemo,
  generateObserverKey,
  identifySigner,
  observerKeyFromSecret,
  proveOpening,
  verifyOpening,
} from '../../src/privacy/observer.ts';
import { L } from '../../src/privacy/scalar.ts';
import type { RingStatement } from '../../src/privacy/types.ts';
import { MESSAGE, OBSERVER, OBSERVER_SECRET, keyset, scalarFrom, seededRandom } from './helpers.ts';

const observer = observerKeyFromSecret(OBSERVER_SECRET, OBSERVER.epoch);
const otherObserver = observerKeyFromSecret(scalarFrom('observer/other'), OBSERVER.epoch);

describe('opening ring signatures', () => {
  for (const [n, indexes] of [
    [1, [0]],
    [5, [0, 2, 4]],
    [16, [0, 9, 15]],
  ] as const) {
    it(`the observer recovers the signer's key for a ring of ${n}; no other key opens it`, () => {
      const ks = keyset('open', n);
      const st: RingStatement = { ring: ks.ring, message: MESSAGE, observer: OBSERVER };
      for (const index of indexes) {
        const sig = signRing({
          ...st,
          index,
          secretKey: ks.secrets[index]!,
          random: seededRandom(`open/${n}/${index}`),
        });
        expect(verifyRing(st, sig)).toBe(true);
        expect(decryptSigner(sig, observer.secret)).toEqual(ks.ring[index]);
        expect(identifySigner(ks.ring, sig, observer.secret)).toBe(index);
        // Without the observer secret: another observer secret, or a ring member's own secret.
        expect(identifySigner(ks.ring, sig, otherObserver.secret)).toBe(-1);
        expect(identifySigner(ks.ring, sig, ks.secrets[index]!)).toBe(-1);
      }
    });
  }

  const ks = keyset('open-proof', 6);
  const st: RingStatement = { ring: ks.ring, message: MESSAGE, observer: OBSERVER };
  const sig = signRing({ ...st, index: 3, secretKey: ks.secrets[3]!, random: seededRandom('open-proof') });

  it('the opening proof verifies and is bound to the signer, the signature and the observer key', () => {
    const { signer, index, proof } = proveOpening(st, sig, observer.secret, seededRandom('dleq'));
    expect(index).toBe(3);
    expect(signer).toEqual(ks.ring[3]);
    expect(verifyOpening(st, sig, signer, proof)).toBe(true);
    // A false accusation of another member with the same proof.
    for (const j of [0, 1, 2, 4, 5]) expect(verifyOpening(st, sig, ks.ring[j]!, proof)).toBe(false);
    // Transplanted to another signature by the same signer.
    const sig2 = signRing({
      ...st,
      message: new TextEncoder().encode('other'),
      index: 3,
      secretKey: ks.secrets[3]!,
    });
    expect(verifyOpening({ ...st, message: new TextEncoder().encode('other') }, sig2, signer, proof)).toBe(
      false,
    );
    // Claimed under another observer key.
    expect(verifyOpening({ ...st, observer: otherObserver.publicKey }, sig, signer, proof)).toBe(false);
    // Tampered or non-canonical proof scalars.
    expect(verifyOpening(st, sig, signer, { ...proof, z: (proof.z + 1n) % L })).toBe(false);
    expect(verifyOpening(st, sig, signer, { ...proof, e: (proof.e + 1n) % L })).toBe(false);
    expect(verifyOpening(st, sig, signer, { ...proof, z: proof.z + L })).toBe(false);
    expect(verifyOpening(st, sig, signer, { e: 'x', z: null } as never)).toBe(false);
  });

  it('a proof by another observer key for a fabricated opening fails', () => {
    const forged = proveOpening(st, sig, otherObserver.secret, seededRandom('dleq-other'));
    expect(forged.index).toBe(-1);
    expect(verifyOpening(st, sig, forged.signer, forged.proof)).toBe(false);
  });
});

describe('observer memos (ECIES)', () => {
  const ks = keyset('memo', 3);
  const memo: ObserverMemo = {
    sender: ks.ring[0]!,
    recipient: { view: ks.ring[1]!, spend: ks.ring[2]! },
    assetId: 42,
    amount: (1n << 127n) + 12345n,
    memo: new TextEncoder().encode('invoice 2024-118, coupon payment'),
  };
  const aad = new TextEncoder().encode('tx digest');

  it('round-trips with the observer secret; fixed-length ciphertext', () => {
    const ct = encryptMemo(OBSERVER, memo, { aad, random: seededRandom('memo') });
    expect(ct.length).toBe(MEMO_CIPHERTEXT_LENGTH);
    expect(decryptMemo(observer, ct, { aad })).toEqual(memo);
    const empty = { ...memo, memo: new Uint8Array() };
    const full = { ...memo, memo: new Uint8Array(MEMO_MAX_BYTES).fill(7) };
    expect(decryptMemo(observer, encryptMemo(OBSERVER, empty, { aad }), { aad })).toEqual(empty);
    const ctFull = encryptMemo(OBSERVER, full, { aad });
    expect(ctFull.length).toBe(MEMO_CIPHERTEXT_LENGTH);
    expect(decryptMemo(observer, ctFull, { aad })).toEqual(full);
  });

  it('nothing opens without the observer secret, the right epoch and the right context', () => {
    const ct = encryptMemo(OBSERVER, memo, { aad });
    expect(decryptMemo(otherObserver, ct, { aad })).toBeNull();
    expect(decryptMemo(generateObserverKey(OBSERVER.epoch), ct, { aad })).toBeNull();
    const wrongEpoch = observerKeyFromSecret(OBSERVER_SECRET, OBSERVER.epoch + 1n);
    expect(decryptMemo(wrongEpoch, ct, { aad })).toBeNull();
    expect(decryptMemo(observer, ct, { aad: new TextEncoder().encode('other tx') })).toBeNull();
    expect(decryptMemo(observer, ct)).toBeNull();
    // A key pair whose public half does not match its secret is refused.
    expect(
      decryptMemo({ secret: observer.secret, publicKey: otherObserver.publicKey }, ct, { aad }),
    ).toBeNull();
    for (const pos of [0, 1, 20, 33, 100, ct.length - 17, ct.length - 1]) {
      const t = ct.slice();
      t[pos] = t[pos]! ^ 1;
      expect(decryptMemo(observer, t, { aad })).toBeNull();
    }
    expect(decryptMemo(observer, ct.slice(0, -1), { aad })).toBeNull();
  });

  it('refuses out-of-range fields and invalid keys', () => {
    expect(() => encryptMemo(OBSERVER, { ...memo, amount: 1n << 128n })).toThrowError(PrivacyError);
    expect(() => encryptMemo(OBSERVER, { ...memo, amount: -1n })).toThrowError(PrivacyError);
    expect(() => encryptMemo(OBSERVER, { ...memo, assetId: 2 ** 32 })).toThrowError(PrivacyError);
    expect(() => encryptMemo(OBSERVER, { ...memo, memo: new Uint8Array(MEMO_MAX_BYTES + 1) })).toThrowError(
      PrivacyError,
    );
    expect(() => encryptMemo({ key: [0n, 1n], epoch: 1n }, memo)).toThrowError(PrivacyError);
    expect(() => observerKeyFromSecret(0n, 1n)).toThrowError(PrivacyError);
    expect(() => observerKeyFromSecret(1n, -1n)).toThrowError(PrivacyError);
    expect(ringPublicKey(OBSERVER_SECRET)).toEqual(observer.publicKey.key);
  });
});
