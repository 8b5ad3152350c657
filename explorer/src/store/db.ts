import type { BatchOp, KVStore } from '@tessera/core';
import { BadRequestError, PageOutOfRangeError } from '../errors.ts';
import { isValidCursor, scanAfter } from './scan.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

export const putJson = (key: string, value: unknown): BatchOp => ({
  type: 'put',
  key,
  value: encodeJson(value),
});
export const putMarker = (key: string): BatchOp => ({ type: 'put', key, value: new Uint8Array(0) });
export const del = (key: string): BatchOp => ({ type: 'del', key });

export type Page<T> = { items: T[]; nextCursor: string | null };

export const MAX_PAGE = 100;

/**
 * Typed JSON access to the key-value store, keyset pagination, and one writer at a time: the
 * L2 indexer and the L1 watcher both read-modify-write shared records (batches, deposits).
 */
export class ExplorerDb {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly kv: KVStore) {}

  async get<T>(key: string): Promise<T | undefined> {
    const bytes = await this.kv.get(key);
    return bytes ? decodeJson<T>(bytes) : undefined;
  }

  async has(key: string): Promise<boolean> {
    return (await this.kv.get(key)) !== undefined;
  }

  write(ops: BatchOp[]): Promise<void> {
    return ops.length ? this.kv.write(ops) : Promise.resolve();
  }

  /** Run `fn` after every earlier exclusive section has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * One page of the entries under `prefix`. The cursor is the key suffix of the last entry of the
   * previous page; a malformed cursor is a 400, a cursor past the end a 404.
   */
  async page<T>(
    prefix: string,
    cursor: string | undefined,
    limit: number,
    map?: (key: string, bytes: Uint8Array) => T | Promise<T>,
  ): Promise<Page<T>> {
    if (cursor !== undefined && !isValidCursor(cursor))
      throw new BadRequestError(`"${cursor}" is not a valid page cursor`, 'INVALID_CURSOR');
    const rows = await scanAfter(this.kv, prefix, cursor, limit + 1);
    if (cursor !== undefined && rows.length === 0) throw new PageOutOfRangeError();
    const items: T[] = [];
    for (const [key, bytes] of rows.slice(0, limit))
      items.push(map ? await map(key, bytes) : decodeJson<T>(bytes));
    const last = rows[limit - 1];
    const nextCursor = rows.length > limit && last ? last[0].slice(prefix.length) : null;
    return { items, nextCursor };
  }

  /** Every entry under `prefix` (exports); callers stream, nothing is buffered here. */
  async *all<T>(prefix: string): AsyncIterable<[string, T]> {
    for await (const [key, bytes] of this.kv.entries(prefix)) yield [key, decodeJson<T>(bytes)];
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}

export function parseLimit(raw: string | undefined, fallback = 25): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,4}$/.test(raw))
    throw new BadRequestError(`limit must be an integer between 1 and ${MAX_PAGE}`);
  const n = Number(raw);
  if (n < 1 || n > MAX_PAGE) throw new BadRequestError(`limit must be an integer between 1 and ${MAX_PAGE}`);
  return n;
}
