import { describe, expect, it } from 'vitest';
import { ringKeyImage, signRing, verifyRing } from '../../src/privacy/alsag.ts';
import { PrivacyError } from '../../src/privacy/errors.ts';
import { decryptSigner } from '../../src/privacy/observer.ts';
import { BASE8, mulPoint } from '../../src/privacy/primitives.ts';
import {
  createOneTimeAddress,
  createOutputs,
  generateStealthKeys,
  oneTimeSecret,
  scanOutput,
  stealthKeysFromSecrets,
} from '../../src/privacy/stealth.ts';
import { MESSAGE, OBSERVER, OBSERVER_SECRET, keyset, scalarFrom, seededRandom } from './helpers.ts';

const alice = stealthKeysFromSecrets(scalarFrom('alice/view'), scalarFrom('alice/spend'));
const bob = stealthKeysFromSecrets(scalarFrom('bob/view'), scalarFrom('bob/spend'));

describe('stealth addresses', () => {
  it('round trip: only the view-key owner finds the output; the spend key it derives controls it', () => {
    const { outputs } = createOutputs([alice.address, bob.address, alice.address], seededRandom('tx1'));
    const [a0, b1, a2] = outputs as [(typeof outputs)[0], (typeof outputs)[0], (typeof outputs)[0]];
    expect(a0.txPublicKey).toEqual(b1.txPublicKey);
    // one-time keys are unlinkable to the address and to each other
    expect(new Set(outputs.map((o) => `${o.oneTimeKey[0]}`)).size).toBe(3);
    for (const o of outputs) {
      expect(o.oneTimeKey).not.toEqual(alice.address.spend);
      expect(o.oneTimeKey).not.toEqual(bob.address.spend);
    }
    const scan = (k: typeof alice, o: typeof a0) =>
      scanOutput(k.viewSecret, k.address.spend, o.txPublicKey, o.oneTimeKey, o.outputIndex);
    expect([scan(alice, a0), scan(alice, b1), scan(alice, a2)]).toEqual([true, false, true]);
    expect([scan(bob, a0), scan(bob, b1), scan(bob, a2)]).toEqual([false, true, false]);
    // The spend secret alone, or the wrong output index, finds nothing.
    expect(scanOutput(alice.spendSecret, alice.address.spend, a0.txPublicKey, a0.oneTimeKey, 0)).toBe(false);
    expect(scanOutput(alice.viewSecret, alice.address.spend, a0.txPublicKey, a0.oneTimeKey, 1)).toBe(false);
    // A stranger with a fresh key pair finds nothing.
    const eve = generateStealthKeys();
    expect(outputs.some((o) => scan(eve, o))).toBe(false);

    const x0 = oneTimeSecret(alice, a0);
    const x2 = oneTimeSecret(alice, a2);
    expect(mulPoint(BASE8, x0)).toEqual(a0.oneTimeKey);
    expect(mulPoint(BASE8, x2)).toEqual(a2.oneTimeKey);
    expect(ringKeyImage(x0)).not.toEqual(ringKeyImage(x2));
    expect(() => oneTimeSecret(bob, a0)).toThrowError(PrivacyError);
    expect(() => oneTimeSecret(alice, b1)).toThrowError(PrivacyError);
  });

  it('a found output is spendable in a ring, and the observer opens the spend to that output', () => {
    const out = createOneTimeAddress(bob.address, seededRandom('tx2'));
    expect(scanOutput(bob.viewSecret, bob.address.spend, out.txPublicKey, out.oneTimeKey, 0)).toBe(true);
    const x = oneTimeSecret(bob, out);
    const decoys = keyset('stealth-decoys', 7).ring;
    const ring = [...decoys.slice(0, 3), out.oneTimeKey, ...decoys.slice(3)];
    const st = { ring, message: MESSAGE, observer: OBSERVER };
    const sig = signRing({ ...st, index: 3, secretKey: x });
    expect(verifyRing(st, sig)).toBe(true);
    expect(decryptSigner(sig, OBSERVER_SECRET)).toEqual(out.oneTimeKey);
  });

  it('malformed scan inputs return false; bad keys are refused', () => {
    const out = createOneTimeAddress(alice.address);
    expect(scanOutput(alice.viewSecret, alice.address.spend, [0n, 1n], out.oneTimeKey, 0)).toBe(false);
    expect(scanOutput(alice.viewSecret, alice.address.spend, [1n, 2n], out.oneTimeKey, 0)).toBe(false);
    expect(scanOutput(alice.viewSecret, alice.address.spend, out.txPublicKey, out.oneTimeKey, -1)).toBe(
      false,
    );
    expect(scanOutput(0n, alice.address.spend, out.txPublicKey, out.oneTimeKey, 0)).toBe(false);
    expect(() => createOutputs([{ view: [0n, 1n], spend: alice.address.spend }])).toThrowError(PrivacyError);
    expect(() => stealthKeysFromSecrets(0n, 1n)).toThrowError(PrivacyError);
  });
});
