import { sha256 } from '@noble/hashes/sha2';
import { ringPublicKey } from '../../src/privacy/alsag.ts';
import type { Point } from '../../src/privacy/primitives.ts';
import { L, type RandomSource } from '../../src/privacy/scalar.ts';
import type { ObserverKey } from '../../src/privacy/types.ts';

/** Deterministic byte stream (SHA-256 in counter mode) so failures reproduce. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (length: number) => {
    const out = new Uint8Array(length);
    let o = 0;
    while (o < length) {
      const block = sha256(new TextEncoder().encode(`${seed}/${counter++}`));
      out.set(block.subarray(0, Math.min(32, length - o)), o);
      o += 32;
    }
    return out;
  };
}

export function scalarFrom(label: string): bigint {
  let v = 0n;
  for (const b of sha256(new TextEncoder().encode(label))) v = (v << 8n) | BigInt(b);
  return (v % (L - 1n)) + 1n;
}

export interface Keyset {
  secrets: bigint[];
  ring: Point[];
}

const keyCache = new Map<string, { secret: bigint; pk: Point }>();

export function keyset(label: string, n: number): Keyset {
  const secrets: bigint[] = [];
  const ring: Point[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${label}/${i}`;
    let k = keyCache.get(id);
    if (!k) {
      const secret = scalarFrom(id);
      k = { secret, pk: ringPublicKey(secret) };
      keyCache.set(id, k);
    }
    secrets.push(k.secret);
    ring.push(k.pk);
  }
  return { secrets, ring };
}

export const OBSERVER_SECRET = scalarFrom('observer/epoch-7');
export const OBSERVER: ObserverKey = { key: ringPublicKey(OBSERVER_SECRET), epoch: 7n };
export const MESSAGE = new TextEncoder().encode('tessera private transfer #1');
