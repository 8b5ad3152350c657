import type { KVStore } from '@tessera/core';
import { KEY_ALPHABET } from './keys.ts';

/**
 * Keyset pagination on a store that can only iterate a prefix. The keys strictly greater than
 * `after` (same prefix, suffixes over KEY_ALPHABET) are exactly the keys that share `after`'s
 * first i characters and have a larger character at position i, for some i. Walking i from the
 * last position to the first, and the larger characters in order, visits them in ascending key
 * order with one seek per (i, character): O(width · |alphabet|) seeks, independent of how many
 * entries precede the cursor.
 */
export async function scanAfter(
  kv: KVStore,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  if (limit <= 0) return out;
  const ranges = after === undefined ? [prefix] : rangesAfter(prefix, after);
  for (const range of ranges) {
    for await (const entry of kv.entries(range)) {
      out.push(entry);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

function rangesAfter(prefix: string, after: string): string[] {
  const ranges: string[] = [];
  for (let i = after.length - 1; i >= 0; i--) {
    const rank = KEY_ALPHABET.indexOf(after[i]!);
    for (const ch of KEY_ALPHABET.slice(rank + 1)) ranges.push(prefix + after.slice(0, i) + ch);
  }
  return ranges;
}

export function isValidCursor(cursor: string): boolean {
  return cursor.length > 0 && cursor.length <= 80 && [...cursor].every((c) => KEY_ALPHABET.includes(c));
}
