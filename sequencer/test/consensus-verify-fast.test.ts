import { secp256k1 } from '@noble/curves/secp256k1';
import { describe, expect, it } from 'vitest';
import {
  SignatureVerifier,
  addressOfPrivateKey,
  devValidatorKey,
  digestOf,
  isSignedBy,
  recoverSigner,
  signDigest,
  toHex,
} from '../src/consensus/crypto.ts';
import { type Hex, MsgType, type Vote } from '../src/consensus/types.ts';

const chainId = 31_337n;
const keys = [0, 1].map((i) => devValidatorKey('fast-path', i));
const addrs = keys.map(addressOfPrivateKey);
const hashOf = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

function vote(i: number, height: bigint, signer = i): Vote {
  const v = {
    type: MsgType.Prevote,
    height,
    round: 0,
    valueHash: hashOf(Number(height)),
    validator: addrs[i]!,
  } as const;
  return { ...v, signature: signDigest(digestOf(chainId, v), keys[signer]!) };
}

/** Flips the v byte (27 <-> 28): the same (r, s) recovers to another key. */
function flipV(sig: Hex): Hex {
  const v = sig.slice(-2) === '1b' ? '1c' : '1b';
  return `${sig.slice(0, -2)}${v}` as Hex;
}

/** The high-s twin (r, n - s) with the other parity: valid ECDSA, refused as non-canonical. */
function highS(sig: Hex): Hex {
  const n = secp256k1.CURVE.n;
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = sig.slice(-2) === '1b' ? '1c' : '1b';
  return `${sig.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${v}` as Hex;
}

describe('vote signature check against a known key', () => {
  const pub = secp256k1.ProjectivePoint.fromHex(secp256k1.getPublicKey(keys[0]!, false)).precompute(8);

  it('agrees with recovery on valid and tampered signatures', () => {
    for (let h = 1n; h <= 5n; h++) {
      const m = vote(0, h);
      const d = digestOf(chainId, m);
      expect(recoverSigner(d, m.signature)).toBe(addrs[0]);
      expect(isSignedBy(d, m.signature, pub)).toBe(true);
      // another digest, the other recovery bit, the high-s twin, another signer's key
      expect(isSignedBy(digestOf(chainId, { ...m, height: h + 100n }), m.signature, pub)).toBe(false);
      expect(isSignedBy(d, flipV(m.signature), pub)).toBe(false);
      expect(recoverSigner(d, flipV(m.signature))).not.toBe(addrs[0]);
      expect(isSignedBy(d, highS(m.signature), pub)).toBe(false);
      expect(() => recoverSigner(d, highS(m.signature))).toThrow(/high s/);
      expect(isSignedBy(d, vote(0, h, 1).signature, pub)).toBe(false);
      expect(isSignedBy(d, '0x1234', pub)).toBe(false);
    }
  });

  it('SignatureVerifier learns a key, then checks against it, and still rejects forgeries', () => {
    const v = new SignatureVerifier(chainId);
    expect(v.verify(vote(0, 1n))).toBe(true);
    expect(v.fastChecks).toBe(0);
    expect(v.verify(vote(0, 2n))).toBe(true);
    expect(v.verify(vote(0, 3n))).toBe(true);
    expect(v.fastChecks).toBe(2);
    // Claims validator 0, signed by validator 1: the fast check fails, recovery names the real signer.
    const forged = vote(0, 4n, 1);
    expect(v.verify(forged)).toBe(false);
    expect(v.signerOf({ ...forged })).toBe(addrs[1]);
    // Tampered after signing: another height, the other v, the high-s twin.
    const good = vote(0, 5n);
    expect(v.verify({ ...good, height: 6n })).toBe(false);
    expect(v.verify({ ...good, signature: flipV(good.signature) })).toBe(false);
    expect(v.verify({ ...good, signature: highS(good.signature) })).toBe(false);
    expect(v.verify(good)).toBe(true);
    expect(toHex(new Uint8Array([1]))).toBe('0x01');
  });
});
