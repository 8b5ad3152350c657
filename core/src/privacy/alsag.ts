/**
 * A-LSAG: accountable linkable ring signature on BabyJubJub (see docs/PRIVACY.md).
 *
 * One challenge chain proves, for a hidden index pi, knowledge of (x, r) with
 *   P_pi = x*G,  I = x*Hp(P_pi),  C1 = r*G,  C2 = P_pi + r*Y,
 * so the key image and the observer ciphertext are tied to the same ring member the signer holds
 * the key of. Per ring member i the verifier recomputes
 *   K1_i = t_i*G + c_i*(P_i + mu*C1)            t_i = s1_i + mu*s2_i
 *   K2_i = s1_i*Hp(P_i) + c_i*I
 *   K3_i = t_i*G + s2_i*Y + c_i*(C2 + mu*C1)
 *   c_{i+1} = H(DS_ROUND, d, i, K1_i, K2_i, K3_i)
 * and accepts iff the chain closes (c_n = c_0).
 */
import { sha512 } from '@noble/hashes/sha2';
import { z } from 'zod';
import { buildChain, chainCloses, isValidKey } from './chain.ts';
import { tryDecodeRingSignature } from './encoding.ts';
import { PrivacyError } from './errors.ts';
import { hashToPoint } from './hashToPoint.ts';
import { BASE8, type Point, addPoints, mulPoint } from './primitives.ts';
import {
  L,
  type RandomSource,
  defaultRandom,
  isCanonicalScalar,
  scalarFromWide,
  scalarToBytes,
  smod,
} from './scalar.ts';
import { MAX_EPOCH, messageDigest, roundChallenge } from './transcript.ts';
import { MAX_RING_SIZE, type RingSignature, type RingStatement, type SignInput } from './types.ts';
import { isPointShape, isValidGroupElement, pointKey, samePoint } from './validate.ts';

// ---------------------------------------------------------------------------------------------
// Signing

const pointSchema = z.tuple([z.bigint(), z.bigint()]);
const signInputSchema = z.object({
  ring: z.array(pointSchema).min(1).max(MAX_RING_SIZE),
  index: z.number().int().nonnegative(),
  secretKey: z.bigint(),
  message: z.instanceof(Uint8Array),
  observer: z.object({ key: pointSchema, epoch: z.bigint().nonnegative().max(MAX_EPOCH) }),
});

/** Key image I = x*Hp(x*G): depends on the key only, so it is the same in every ring. */
export function ringKeyImage(secretKey: bigint): Point {
  assertSecretKey(secretKey);
  return mulPoint(hashToPoint(mulPoint(BASE8, secretKey)), secretKey);
}

export function ringPublicKey(secretKey: bigint): Point {
  assertSecretKey(secretKey);
  return mulPoint(BASE8, secretKey);
}

function assertSecretKey(x: bigint): void {
  if (!isCanonicalScalar(x) || x === 0n)
    throw new PrivacyError('PRIVACY_BAD_KEY', 'secret key must be in [1, l)');
}

/** Checks a ring: size, every key a valid subgroup element, no key twice. Throws PrivacyError. */
export function assertValidRing(ring: readonly Point[]): void {
  if (ring.length < 1 || ring.length > MAX_RING_SIZE) {
    throw new PrivacyError('PRIVACY_BAD_RING', `ring size ${ring.length} outside 1..${MAX_RING_SIZE}`);
  }
  const seen = new Set<string>();
  ring.forEach((pt, i) => {
    if (!isValidKey(pt))
      throw new PrivacyError('PRIVACY_BAD_RING', `ring member ${i} is not a valid subgroup point`);
    const key = pointKey(pt);
    if (seen.has(key)) throw new PrivacyError('PRIVACY_BAD_RING', `ring member ${i} appears twice`);
    seen.add(key);
  });
}

/**
 * Hedged randomness: SHA-512 over a label, the secrets, the public context and 32 fresh random
 * bytes. A repeating or broken RNG then still gives distinct nonces for distinct statements, and
 * with a good RNG the nonces are uniform whatever the secrets are.
 */
function hedged(
  label: string,
  secrets: bigint[],
  context: bigint[],
  random: RandomSource,
): (j: number) => bigint {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`tessera/alsag/v1/${label}`)];
  for (const s of secrets) parts.push(scalarToBytes(smod(s)));
  for (const c of context) parts.push(enc.encode(`${c.toString(16)};`));
  parts.push(random(32));
  const seed = sha512(concat(parts));
  return (j: number) => {
    for (let ctr = 0; ; ctr++) {
      const s = scalarFromWide(sha512(concat([seed, u32(j), u32(ctr)])));
      if (s !== 0n) return s;
    }
  };
}

function u32(v: number): Uint8Array {
  return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Signs `message` for the ring with the key at `index`. The signer's position changes no branch:
 * every ring member gets the same hash-to-point and the same chain step, and every product with
 * a secret scalar (x, r, the nonces) goes through the shared constant-time mulPoint.
 */
export function signRing(input: SignInput): RingSignature {
  const parsed = signInputSchema.safeParse(input);
  if (!parsed.success)
    throw new PrivacyError(
      'PRIVACY_BAD_INPUT',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const { ring, index, secretKey: x, message, observer } = input;
  const random = input.random ?? defaultRandom;
  const n = ring.length;
  if (index >= n) throw new PrivacyError('PRIVACY_BAD_INPUT', `index ${index} outside ring of ${n}`);
  assertSecretKey(x);
  if (!isValidGroupElement(observer.key))
    throw new PrivacyError('PRIVACY_BAD_KEY', 'observer key is not a valid subgroup point');
  assertValidRing(ring);
  const signerKey = ring[index]!;
  if (!samePoint(mulPoint(BASE8, x), signerKey)) {
    throw new PrivacyError(
      'PRIVACY_KEY_NOT_IN_RING',
      `ring member ${index} is not the public key of the secret key`,
    );
  }

  // Hp of every member first (the chain step needs them all), so the signer's is not special.
  const hpSigner = hashToPoint(signerKey);
  const keyImage = mulPoint(hpSigner, x);
  const context = [BigInt(n), observer.epoch, ...observer.key, ...ring.flat(), ...messageDigest(message)];
  const r = hedged('elgamal', [x], context, random)(0);
  const c1 = mulPoint(BASE8, r);
  const c2 = addPoints(signerKey, mulPoint(observer.key, r));
  const ch = buildChain({ ring, message, observer }, keyImage, c1, c2);

  const draw = hedged('nonce', [x, r], [ch.d], random);
  const a = draw(0);
  const b = draw(1);
  const k1 = mulPoint(BASE8, (a + ch.mu * b) % L);
  const k2 = mulPoint(hpSigner, a);
  const k3 = addPoints(k1, mulPoint(observer.key, b));

  const c = new Array<bigint>(n).fill(0n);
  const s1 = new Array<bigint>(n).fill(0n);
  const s2 = new Array<bigint>(n).fill(0n);
  let next = roundChallenge(ch.d, index, k1, k2, k3);
  for (let k = 1; k < n; k++) {
    const i = (index + k) % n;
    c[i] = next;
    s1[i] = draw(2 * i + 2);
    s2[i] = draw(2 * i + 3);
    next = ch.step(i, next, s1[i]!, s2[i]!);
  }
  c[index] = next;
  s1[index] = smod(a - next * x);
  s2[index] = smod(b - next * r);
  return { c0: c[0]!, s1, s2, keyImage, c1, c2 };
}

// ---------------------------------------------------------------------------------------------
// Verification

/**
 * Full verification: shapes and canonical scalars first (cheap), then every point on the curve,
 * in the prime-order subgroup and not the identity, ring keys pairwise distinct, then the chain.
 * Returns false for anything malformed; never throws.
 */
export function verifyRing(st: RingStatement, sig: RingSignature | Uint8Array): boolean {
  try {
    const decoded = sig instanceof Uint8Array ? tryDecodeRingSignature(sig) : sig;
    if (decoded === null) return false;
    return verifyUnsafe(st, decoded);
  } catch {
    return false;
  }
}

function verifyUnsafe(st: RingStatement, sig: RingSignature): boolean {
  if (typeof st !== 'object' || st === null || typeof sig !== 'object' || sig === null) return false;
  const { ring, message, observer } = st;
  if (!Array.isArray(ring) || !(message instanceof Uint8Array)) return false;
  if (typeof observer !== 'object' || observer === null) return false;
  const n = ring.length;
  if (n < 1 || n > MAX_RING_SIZE) return false;
  if (typeof observer.epoch !== 'bigint' || observer.epoch < 0n || observer.epoch > MAX_EPOCH) return false;
  if (!Array.isArray(sig.s1) || !Array.isArray(sig.s2) || sig.s1.length !== n || sig.s2.length !== n)
    return false;
  if (!isCanonicalScalar(sig.c0)) return false;
  for (let i = 0; i < n; i++)
    if (!isCanonicalScalar(sig.s1[i]) || !isCanonicalScalar(sig.s2[i])) return false;
  for (const pt of [observer.key, sig.keyImage, sig.c1, sig.c2, ...ring]) if (!isPointShape(pt)) return false;
  const seen = new Set<string>();
  for (const pt of ring) {
    const key = pointKey(pt);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  for (const pt of [sig.keyImage, sig.c1, sig.c2]) if (!isValidGroupElement(pt)) return false;
  if (!isValidKey(observer.key)) return false;
  for (const pt of ring) if (!isValidKey(pt)) return false;

  return chainCloses(st, sig);
}

/** Two signatures come from the same key iff their key images are equal. */
export function isLinked(a: RingSignature, b: RingSignature): boolean {
  return a.keyImage[0] === b.keyImage[0] && a.keyImage[1] === b.keyImage[1];
}
