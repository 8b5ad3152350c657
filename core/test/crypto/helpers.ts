import { sha256 } from '@noble/hashes/sha2';
import { buildBabyjub, buildEddsa, buildPoseidon } from 'circomlibjs';
import { FIELD_MODULUS, type Point } from '../../src/crypto/index.ts';

/** Reproducible pseudo-random bytes: sha256(label || counter). */
export function seededBytes(label: string, i: number, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let off = 0, block = 0; off < length; off += 32, block++) {
    const h = sha256(new TextEncoder().encode(`${label}/${i}/${block}`));
    out.set(h.subarray(0, Math.min(32, length - off)), off);
  }
  return out;
}

export function bytesToBigLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/** A reproducible field element (uniform enough for testing). */
export function seededField(label: string, i: number): bigint {
  return bytesToBigLE(seededBytes(label, i, 40)) % FIELD_MODULUS;
}

// circomlibjs ships no types: keep the reference handles loosely typed.
type Circom = { poseidon: any; babyJub: any; eddsa: any; F: any };
let circom: Promise<Circom> | undefined;

export function circomlib(): Promise<Circom> {
  circom ??= (async () => {
    const [poseidon, babyJub, eddsa] = await Promise.all([buildPoseidon(), buildBabyjub(), buildEddsa()]);
    return { poseidon, babyJub, eddsa, F: babyJub.F };
  })();
  return circom;
}

export function toCircomPoint(c: Circom, p: Point): unknown[] {
  return [c.F.e(p[0]), c.F.e(p[1])];
}

export function fromCircomPoint(c: Circom, p: unknown[]): Point {
  return [c.F.toObject(p[0]), c.F.toObject(p[1])];
}
