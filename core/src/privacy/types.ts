import type { Point } from './primitives.ts';
import type { RandomSource } from './scalar.ts';

/** Largest ring accepted (verification time is linear in n). */
export const MAX_RING_SIZE = 128;

/** A regulator observer key for one epoch (taken from chain state, never from the transaction). */
export interface ObserverKey {
  readonly key: Point;
  readonly epoch: bigint;
}

/** What a ring signature is about: the ring in order, the message and the observer key. */
export interface RingStatement {
  readonly ring: readonly Point[];
  readonly message: Uint8Array;
  readonly observer: ObserverKey;
}

export interface RingSignature {
  readonly c0: bigint;
  readonly s1: readonly bigint[];
  readonly s2: readonly bigint[];
  /** I = x*Hp(P): the linking tag (spent-set key). */
  readonly keyImage: Point;
  /** (C1, C2) = (r*G, P + r*Y): ElGamal encryption of the signer's ring key P to the observer. */
  readonly c1: Point;
  readonly c2: Point;
}

export interface SignInput extends RingStatement {
  /** Position of the signer's key in the ring. */
  readonly index: number;
  readonly secretKey: bigint;
  readonly random?: RandomSource;
}
