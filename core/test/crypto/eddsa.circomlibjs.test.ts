/**
 * Bit-for-bit cross-check against circomlibjs on 1,000 random keys and messages in both
 * directions. circomlibjs needs ~20-70 ms per key derivation, signature or verification on this
 * machine, hence the long timeouts; the two directions live in separate files so they run in parallel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  packPoint,
  packSignature,
  privateKeyToPublicKey,
  signPoseidon,
  verifyPoseidon,
} from '../../src/crypto/index.ts';
import { circomlib, fromCircomPoint, seededBytes, seededField, toCircomPoint } from './helpers.ts';

const N = 1000;
/** Long synchronous loops would starve vitest's worker RPC; give it a turn now and then. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
let c: Awaited<ReturnType<typeof circomlib>>;
beforeAll(async () => {
  c = await circomlib();
});

describe('EdDSA-Poseidon vs circomlibjs', () => {
  it('same public keys, signatures and packed encodings; circomlibjs signatures verify with ours', async () => {
    let verified = 0;
    for (let i = 0; i < N; i++) {
      const prv = seededBytes('xkey', i);
      const msg = seededField('xmsg', i);
      const pub = privateKeyToPublicKey(prv);
      const refPub = fromCircomPoint(c, c.eddsa.prv2pub(prv));
      expect(pub).toEqual(refPub);
      expect(
        Buffer.from(packPoint(pub)).equals(Buffer.from(c.babyJub.packPoint(toCircomPoint(c, pub)))),
      ).toBe(true);
      const ref = c.eddsa.signPoseidon(prv, c.F.e(msg));
      const refSig = { R8: fromCircomPoint(c, ref.R8), S: ref.S as bigint };
      const sig = signPoseidon(prv, msg);
      expect(sig).toEqual(refSig);
      expect(Buffer.from(packSignature(sig)).equals(Buffer.from(c.eddsa.packSignature(ref)))).toBe(true);
      if (verifyPoseidon(msg, refSig, refPub)) verified++;
      if (i % 25 === 24) await yieldToEventLoop();
    }
    expect(verified).toBe(N);
  }, 600_000);
});
