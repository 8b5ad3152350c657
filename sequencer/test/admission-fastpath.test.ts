import { signTransfer, txToJson } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { devAccounts } from '../src/node/genesis.ts';
import { DEFAULT_MEMPOOL, Mempool } from '../src/node/mempool.ts';
import { warmUpAdmission } from '../src/node/node.ts';
import {
  type WireTx,
  decodeTxBatch,
  encodeBlockValue,
  encodeTxBatch,
  parseBlockValue,
  txHashOf,
  wireFromTx,
} from '../src/node/txwire.ts';

const chainId = 31_337n;
const accts = devAccounts('admission-fastpath', 3);

function transfer(from: number, nonce: bigint): WireTx {
  const a = accts[from - 1]!;
  return wireFromTx(signTransfer(a.l2Key, chainId, { from, to: (from % 3) + 1, amount: 1n, nonce }));
}

describe('hashes of known transaction bytes', () => {
  const pool = () =>
    new Mempool(DEFAULT_MEMPOOL, chainId, (i) => accts[i - 1]?.account && { ...accts[i - 1]!.account });

  it('the mempool knows the hash of exactly the bytes it admitted, until they leave', () => {
    const p = pool();
    const w = transfer(1, 0n);
    expect(p.hashOfBytes(w.bytes)).toBeUndefined();
    p.add(w, 0, true);
    expect(p.hashOfBytes(Uint8Array.from(w.bytes))).toBe(w.hash);
    const tampered = Uint8Array.from(w.bytes);
    tampered[20]! ^= 1;
    expect(p.hashOfBytes(tampered)).toBeUndefined();
    p.onCommitted([w.hash], []);
    expect(p.hashOfBytes(w.bytes)).toBeUndefined();
  });

  it('proposal and gossip parsing use known hashes and hash everything else', () => {
    const p = pool();
    const a = transfer(1, 0n);
    const b = transfer(2, 0n);
    p.add(a, 0, true);
    const known = (bytes: Uint8Array) => p.hashOfBytes(bytes);
    const lookups: string[] = [];
    const spy = (bytes: Uint8Array) => {
      const h = known(bytes);
      lookups.push(h ?? 'miss');
      return h;
    };
    const batch = decodeTxBatch(encodeTxBatch([a, b]), 10, spy);
    expect(batch.map((t) => t.hash)).toEqual([a.hash, b.hash]);
    expect(lookups).toEqual([a.hash, 'miss']);

    // A proposal whose second transaction was altered in transit: its hash is computed afresh.
    const header = {
      chainId,
      height: 1n,
      parentHash: `0x${'00'.repeat(32)}`,
      prevStateRoot: 1n,
      stateRoot: 2n,
      dataHash: `0x${'11'.repeat(32)}`,
      dataCommitment: 3n,
      depositStart: 0n,
      depositCount: 0,
      timestamp: 4n,
    } as const;
    const value = encodeBlockValue(header, [a, b]);
    const altered = Uint8Array.from(value);
    // The first byte of the first transaction's body after header (4 count + 2 length + type).
    const at = value.length - 2 * 32 - b.bytes.length - 2 - a.bytes.length + 5;
    altered[at]! ^= 1;
    const plain = parseBlockValue(altered, 10);
    const withKnown = parseBlockValue(altered, 10, known);
    expect(withKnown.txs.map((t) => t.hash)).toEqual(plain.txs.map((t) => t.hash));
    expect(withKnown.txs[0]!.hash).not.toBe(a.hash);
    expect(withKnown.txs[0]!.hash).toBe(txHashOf(withKnown.txs[0]!.bytes));
    expect(parseBlockValue(value, 10, known).txs.map((t) => t.hash)).toEqual([a.hash, b.hash]);
  });

  it('the admission warm-up admits every transaction it makes', () => {
    expect(JSON.stringify(txToJson(transfer(1, 0n).tx))).toContain('"type"');
    const a = accts[0]!;
    expect(warmUpAdmission(chainId, { ...DEFAULT_MEMPOOL, maxSize: 10 }, a.l2Key, a.account, 40)).toBe(40);
  });
});
