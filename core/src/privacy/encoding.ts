import { PrivacyError } from './errors.ts';
import { decodePoint } from './points.ts';
import { type Point, packPoint } from './primitives.ts';
import { SCALAR_BYTES, scalarFromBytes, scalarToBytes } from './scalar.ts';
/**
 * Byte encoding of ring signatures. Strict: one canonical encoding per signature, so a decoded
 * signature re-encodes to the same bytes.
 *
 *   version (1) | n (2, big-endian) | c0 (32) | s1[0..n) (32 each) | s2[0..n) (32 each)
 *   | I (32) | C1 (32) | C2 (32)
 *
 * Scalars are 32-byte big-endian and must be < l; points use the shared 32-byte BabyJubJub
 * packing and must unpack and re-pack to the same bytes.
 */
import { MAX_RING_SIZE, type RingSignature } from './types.ts';

export const RING_SIGNATURE_VERSION = 1;
const HEADER = 3;
const POINT_BYTES = 32;

export function ringSignatureLength(n: number): number {
  return HEADER + SCALAR_BYTES * (2 * n + 1) + 3 * POINT_BYTES;
}

export function encodeRingSignature(sig: RingSignature): Uint8Array {
  const n = sig.s1.length;
  if (n < 1 || n > MAX_RING_SIZE || sig.s2.length !== n)
    throw new PrivacyError('PRIVACY_MALFORMED', `bad ring size ${n}`);
  const out = new Uint8Array(ringSignatureLength(n));
  out[0] = RING_SIGNATURE_VERSION;
  out[1] = n >> 8;
  out[2] = n & 0xff;
  let o = HEADER;
  for (const s of [sig.c0, ...sig.s1, ...sig.s2]) {
    out.set(scalarToBytes(s), o);
    o += SCALAR_BYTES;
  }
  for (const pt of [sig.keyImage, sig.c1, sig.c2]) {
    out.set(packPoint(pt), o);
    o += POINT_BYTES;
  }
  return out;
}

function strictPoint(bytes: Uint8Array): Point | null {
  const pt = decodePoint(bytes);
  if (pt === null) return null;
  const again = packPoint(pt);
  for (let i = 0; i < POINT_BYTES; i++) if (again[i] !== bytes[i]) return null;
  return pt;
}

/** Decodes, or returns null for any deviation from the canonical encoding. Never throws. */
export function tryDecodeRingSignature(bytes: Uint8Array): RingSignature | null {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length < HEADER) return null;
    if (bytes[0] !== RING_SIGNATURE_VERSION) return null;
    const n = (bytes[1]! << 8) | bytes[2]!;
    if (n < 1 || n > MAX_RING_SIZE || bytes.length !== ringSignatureLength(n)) return null;
    const scalars: bigint[] = [];
    let o = HEADER;
    for (let i = 0; i < 2 * n + 1; i++) {
      const s = scalarFromBytes(bytes.subarray(o, o + SCALAR_BYTES));
      if (s === null) return null;
      scalars.push(s);
      o += SCALAR_BYTES;
    }
    const points: Point[] = [];
    for (let i = 0; i < 3; i++) {
      const pt = strictPoint(bytes.subarray(o, o + POINT_BYTES));
      if (pt === null) return null;
      points.push(pt);
      o += POINT_BYTES;
    }
    return {
      c0: scalars[0]!,
      s1: scalars.slice(1, n + 1),
      s2: scalars.slice(n + 1),
      keyImage: points[0]!,
      c1: points[1]!,
      c2: points[2]!,
    };
  } catch {
    return null;
  }
}

export function decodeRingSignature(bytes: Uint8Array): RingSignature {
  const sig = tryDecodeRingSignature(bytes);
  if (sig === null) throw new PrivacyError('PRIVACY_MALFORMED', 'not a canonical ring signature encoding');
  return sig;
}
