/*
 * Key layout of the explorer store. Every list key ends in fixed-width decimal fields so that
 * lexicographic order is numeric order; "newest first" lists store `10^w - 1 - n` (see `desc`).
 * Suffixes use only the characters of `KEY_ALPHABET`, which `scanAfter` relies on.
 */
export const KEY_ALPHABET = '0123456789:';

/** 2^64 < 10^20: heights, sequence numbers and L1 queue indexes fit in 20 digits. */
export const U64_WIDTH = 20;
/** 2^32 < 10^10: account indexes and asset ids. */
export const U32_WIDTH = 10;
/** 2^128 < 10^39: balances. */
export const U128_WIDTH = 39;

export function pad(n: bigint | number, width: number): string {
  const v = BigInt(n);
  if (v < 0n || v >= 10n ** BigInt(width))
    throw new RangeError(`${v} does not fit in ${width} decimal digits`);
  return v.toString().padStart(width, '0');
}

/** Descending encoding: larger `n` sorts first. */
export function desc(n: bigint | number, width: number = U64_WIDTH): string {
  const v = BigInt(n);
  return pad(10n ** BigInt(width) - 1n - v, width);
}

export function undesc(s: string): bigint {
  return 10n ** BigInt(s.length) - 1n - BigInt(s);
}

export const Keys = {
  meta: 'meta:index',
  l1Meta: 'meta:l1',
  blocks: 'blk:',
  block: (height: bigint) => `blk:${desc(height)}`,
  blockByHash: (hash: string) => `bh:${hash.toLowerCase()}`,
  tx: (hash: string) => `tx:${hash.toLowerCase()}`,
  txs: 'txs:',
  txSeq: (seq: bigint) => `txs:${desc(seq)}`,
  accounts: 'acct:',
  account: (index: number) => `acct:${pad(index, U32_WIDTH)}`,
  addressAccounts: (address: string) => `addr:${address.toLowerCase()}:`,
  addressAccount: (address: string, index: number) =>
    `addr:${address.toLowerCase()}:${pad(index, U32_WIDTH)}`,
  history: (index: number) => `hist:${pad(index, U32_WIDTH)}:`,
  historyEntry: (index: number, seq: bigint) => `hist:${pad(index, U32_WIDTH)}:${desc(seq)}`,
  assets: 'asset:',
  asset: (assetId: number) => `asset:${pad(assetId, U32_WIDTH)}`,
  holders: (assetId: number) => `hold:${pad(assetId, U32_WIDTH)}:`,
  holder: (assetId: number, balance: bigint, index: number) =>
    `hold:${pad(assetId, U32_WIDTH)}:${desc(balance, U128_WIDTH)}:${pad(index, U32_WIDTH)}`,
  batches: 'batch:',
  batch: (height: bigint) => `batch:${desc(height)}`,
  deposits: 'dep:',
  deposit: (queueIndex: bigint) => `dep:${desc(queueIndex)}`,
  depositsInFlight: 'depf:',
  depositInFlight: (queueIndex: bigint) => `depf:${pad(queueIndex, U64_WIDTH)}`,
  exits: 'exit:',
  exit: (height: bigint, j: number) => `exit:${desc(height)}:${pad(j, 6)}`,
  exitsInFlight: 'exitf:',
  exitInFlight: (height: bigint, j: number) => `exitf:${pad(height, U64_WIDTH)}:${pad(j, 6)}`,
  notes: 'note:',
  note: (index: number) => `note:${pad(index, U32_WIDTH)}`,
  keyImages: 'ki:',
  /** Key-image tags are field elements (< 2^254 < 10^77). */
  keyImage: (tag: bigint | string) => `ki:${pad(BigInt(tag), 77)}`,
  observerKeys: 'obs:',
  observerKey: (epoch: bigint | string) => `obs:${pad(BigInt(epoch), U64_WIDTH)}`,
  /** A claim seen on L1 before the explorer indexed the exit it pays out. */
  earlyClaim: (height: bigint, j: number) => `claim:${pad(height, U64_WIDTH)}:${pad(j, 6)}`,
} as const;
