/**
 * A deliberately unchecked signer for negative tests: it runs the A-LSAG signing equations with
 * whatever inputs it is given (a key that is not at `closeAt`, a ciphertext of someone else, a
 * chosen key image, a ring with duplicates). Honest `sign` refuses all of these.
 */
import { buildChain } from '../../src/privacy/chain.ts';
import { G, add, fromAffine, mulVar, toAffine, toAffineBatch, toCached } from '../../src/privacy/curve.ts';
import { hashToPoint } from '../../src/privacy/hashToPoint.ts';
import type { Point } from '../../src/privacy/primitives.ts';
import { L, type RandomSource, randomScalar, smod } from '../../src/privacy/scalar.ts';
import { roundChallenge } from '../../src/privacy/transcript.ts';
import type { ObserverKey, RingSignature } from '../../src/privacy/types.ts';

export interface ForgeOptions {
  ring: readonly Point[];
  message: Uint8Array;
  observer: ObserverKey;
  /** Where the chain is closed with the nonces. */
  closeAt: number;
  /** The secret used to close (honest: log_G ring[closeAt]). */
  x: bigint;
  /** What (C1, C2) encrypts (honest: ring[closeAt]). */
  plaintext?: Point;
  /** Honest: x * Hp(ring[closeAt]). */
  keyImage?: Point;
  /** Hp base used for the closing commitment (honest: Hp(ring[closeAt])). */
  random: RandomSource;
}

export function forge(o: ForgeOptions): RingSignature {
  const n = o.ring.length;
  const pi = o.closeAt;
  const hp = fromAffine(hashToPoint(o.ring[pi]!));
  const keyImage = o.keyImage ?? toAffine(mulVar(hp, o.x));
  const r = randomScalar(o.random);
  const plaintext = o.plaintext ?? o.ring[pi]!;
  const yExt = fromAffine(o.observer.key);
  const [c1, c2] = toAffineBatch([mulVar(G, r), add(mulVar(yExt, r), toCached(fromAffine(plaintext)))]);
  const st = { ring: o.ring, message: o.message, observer: o.observer };
  const ch = buildChain(st, keyImage, c1!, c2!);
  const a = randomScalar(o.random);
  const b = randomScalar(o.random);
  const aG = mulVar(G, (a + ch.mu * b) % L);
  const [k1, k2, k3] = toAffineBatch([aG, mulVar(hp, a), add(mulVar(yExt, b), toCached(aG))]);
  const c = new Array<bigint>(n).fill(0n);
  const s1 = new Array<bigint>(n).fill(0n);
  const s2 = new Array<bigint>(n).fill(0n);
  let next = roundChallenge(ch.d, pi, k1!, k2!, k3!);
  for (let k = 1; k < n; k++) {
    const i = (pi + k) % n;
    c[i] = next;
    s1[i] = randomScalar(o.random);
    s2[i] = randomScalar(o.random);
    next = ch.step(i, c[i]!, s1[i]!, s2[i]!);
  }
  c[pi] = next;
  s1[pi] = smod(a - next * o.x);
  s2[pi] = smod(b - next * r);
  return { c0: c[0]!, s1, s2, keyImage, c1: c1!, c2: c2! };
}
