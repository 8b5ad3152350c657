import type { BatchOp, KVStore } from '@tessera/core';

/** JSON with bigints preserved (tagged), for the services' small records in RocksDB. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v)),
  );
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(bytes), (_k, v) =>
    v &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    typeof v.$bigint === 'string' &&
    Object.keys(v).length === 1
      ? BigInt(v.$bigint)
      : v,
  ) as T;
}

export function putJson(key: string, value: unknown): BatchOp {
  return { type: 'put', key, value: encodeJson(value) };
}

export async function getJson<T>(kv: KVStore, key: string): Promise<T | undefined> {
  const raw = await kv.get(key);
  return raw ? decodeJson<T>(raw) : undefined;
}

/** Fixed-width decimal so that lexicographic key order is numeric order. */
export function padHeight(h: bigint | number): string {
  return h.toString().padStart(20, '0');
}
