import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MalformedError,
  ProtocolError,
  type Tx,
  TxType,
  decodeTx,
  encodeTx,
  signTransfer,
  signWithdraw,
  txFromJson,
  txHash,
  txToJson,
} from '../src/index.ts';
import { identity, registerTx } from './fixtures.ts';

const CHAIN = 31337n;

async function samples(): Promise<Tx[]> {
  return [
    signTransfer(identity(1).l2Key, CHAIN, { from: 1, to: 2, amount: 12_345n * 10n ** 14n, nonce: 3n }),
    signWithdraw(identity(2).l2Key, CHAIN, { from: 2, amount: 10n ** 18n, nonce: 0n }),
    await registerTx(3, 1, CHAIN),
    {
      type: TxType.DEPOSIT,
      queueIndex: 9n,
      depositor: identity(4).eth.address.toLowerCase() as `0x${string}`,
      to: 5,
      assetId: 2,
      amount: (1n << 128n) - 1n,
    },
  ];
}

describe('transaction encoding', () => {
  it('round-trips binary and JSON forms with a stable hash', async () => {
    for (const tx of await samples()) {
      const bytes = encodeTx(tx);
      expect(decodeTx(bytes)).toEqual(tx);
      expect(txFromJson(JSON.parse(JSON.stringify(txToJson(tx))))).toEqual(tx);
      expect(txHash(decodeTx(bytes))).toBe(txHash(tx));
    }
  });

  it('gives different transactions different hashes', async () => {
    const hashes = new Set((await samples()).map(txHash));
    expect(hashes.size).toBe(4);
  });

  it('rejects truncated, extended, unknown-type and corrupted bytes with a clear error', async () => {
    for (const tx of await samples()) {
      const bytes = encodeTx(tx);
      expect(() => decodeTx(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
      expect(() => decodeTx(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    }
    expect(() => decodeTx(new Uint8Array())).toThrow(MalformedError);
    expect(() => decodeTx(Uint8Array.of(99, 1, 2))).toThrow(/UNKNOWN_TX_TYPE/);
  });

  it('never throws anything but a ProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), (bytes) => {
        try {
          const tx = decodeTx(bytes);
          expect(encodeTx(tx)).toEqual(bytes); // anything accepted is canonical
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed JSON with the path of the problem', () => {
    expect(() => txFromJson({ type: 2, from: 1, to: 2, amount: 5, nonce: '0', signature: {} })).toThrow(
      /amount/,
    );
    expect(() =>
      txFromJson({
        type: 2,
        from: -1,
        to: 2,
        amount: '5',
        nonce: '0',
        signature: { R8: ['1', '2'], S: '3' },
      }),
    ).toThrow(/from/);
    expect(() => txFromJson({ type: 42 })).toThrow(/MALFORMED/);
    expect(() => txFromJson('nope')).toThrow(/MALFORMED/);
    expect(() =>
      txFromJson({ type: 4, from: 1, amount: '01', nonce: '0', signature: { R8: ['1', '2'], S: '3' } }),
    ).toThrow(/leading zeros/);
  });
});
