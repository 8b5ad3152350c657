/**
 * Bit-for-bit cross-check against circomlibjs on 1,000 random keys and messages in both
 * directions. circomlibjs needs ~20-70 ms per key derivation, signature or verification on this
 * machine, hence the long timeouts; the two directions live in separate files so they run in parallel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { privateKeyToPublicKey, signPoseidon } from '../../src/crypto/index.ts';
import { circomlib, seededBytes, seededField, toCircomPoint } from './helpers.ts';

const N = 1000;
/** Long synchronous loops would starve vitest's worker RPC; give it a turn now and then. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
let c: Awaited<ReturnType<typeof circomlib>>;
beforeAll(async () => {
  c = await circomlib();
});

describe('EdDSA-Poseidon vs circomlibjs (verification)', () => {
  it('our signatures verify with circomlibjs', async () => {
    let verified = 0;
    for (let i = 0; i < N; i++) {
      const prv = seededBytes('ykey', i);
      const msg = seededField('ymsg', i);
      const pub = privateKeyToPublicKey(prv);
      const sig = signPoseidon(prv, msg);
      const ok = c.eddsa.verifyPoseidon(
        c.F.e(msg),
        { R8: toCircomPoint(c, sig.R8), S: sig.S },
        toCircomPoint(c, pub),
      );
      if (ok) verified++;
      if (i % 25 === 24) await yieldToEventLoop();
    }
    expect(verified).toBe(N);
  }, 600_000);
});
