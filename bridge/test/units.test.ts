// Unit tests of single modules: block parsing, sequencer RPC failover, certificate selection, backoff.
import { type Hex, concatHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { RpcBlockSource, certifiedBlockToJson, parseCertifiedBlock } from '../src/blockSource.ts';
import { l1Certificate } from '../src/certificate.ts';
import { BlockSourceError, CertificateError } from '../src/errors.ts';
import { backoffDelay, withRetry } from '../src/retry.ts';
import {
  L2_CHAIN_ID,
  TestChain,
  l2User,
  registerTx,
  sequencerAccounts,
  serveChain,
  signCertificate,
} from './helpers.ts';

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function chainWithBlocks(n: number): Promise<TestChain> {
  const chain = new TestChain();
  const fakeWallet = (i: number) => {
    const account = privateKeyToAccount(`0x${(i + 1).toString(16).padStart(64, '0')}` as Hex);
    return { account } as never;
  };
  for (let i = 0; i < n; i++) await chain.produce([await registerTx(l2User(fakeWallet(i), `u${i}`))]);
  return chain;
}

describe('block source', () => {
  it('parses the RPC block form and rejects blocks whose hash or certificate does not match', async () => {
    const chain = await chainWithBlocks(1);
    const block = chain.blocks[0]!;
    const json = JSON.parse(JSON.stringify(certifiedBlockToJson(block)));
    const parsed = parseCertifiedBlock(json);
    expect(parsed.hash).toBe(block.hash);
    expect(parsed.txs).toEqual(block.txs);
    expect(parsed.certificate.signatures.map((s) => s.signature)).toEqual(
      block.certificate.signatures.map((s) => s.signature),
    );

    const otherRoot = {
      ...json,
      header: { ...json.header, stateRoot: (BigInt(json.header.stateRoot) + 1n).toString() },
    };
    expect(() => parseCertifiedBlock(otherRoot)).toThrow(/is not the hash of its header/);
    const otherCert = { ...json, certificate: { ...json.certificate, valueHash: `0x${'11'.repeat(32)}` } };
    expect(() => parseCertifiedBlock(otherCert)).toThrow(/certificate is for/);
    // The concatenated form L1 takes is accepted too.
    const packed = {
      ...json,
      certificate: {
        ...json.certificate,
        signatures: concatHex(block.certificate.signatures.map((s) => s.signature)),
      },
    };
    expect(parseCertifiedBlock(packed).certificate.signatures).toHaveLength(4);
    expect(() => parseCertifiedBlock({ ...json, txs: [{ type: 2 }] })).toThrow(BlockSourceError);
  });

  it('fails over across endpoints and asks the next node when one is lagging', async () => {
    const full = await chainWithBlocks(2);
    const lagging = new TestChain();
    const [a, b] = await Promise.all([serveChain(lagging), serveChain(full)]);
    try {
      const source = new RpcBlockSource(['http://127.0.0.1:9/rpc', a.url, b.url], { timeoutMs: 2_000 });
      expect((await source.block(2n))?.hash).toBe(full.blocks[1]!.hash); // down, null, then the block
      expect(await source.block(3n)).toBeNull();
      expect(await source.head()).toBe(2n); // sticks to the endpoint that answered
      await expect(new RpcBlockSource(['http://127.0.0.1:9/rpc']).head()).rejects.toThrow(
        /no sequencer answered/,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('L1 certificate', () => {
  it('keeps exactly three signatures by distinct current sequencers', async () => {
    const hash = `0x${'ab'.repeat(32)}` as Hex;
    const cert = await signCertificate(5n, hash, [3, 0, 0, 1, 2]);
    const outsider = privateKeyToAccount(`0x${'77'.repeat(32)}`);
    const set = sequencerAccounts.map((a) => a.address);
    const { signers, signatures } = await l1Certificate(cert, L2_CHAIN_ID, set);
    expect(signers).toEqual([3, 0, 1].map((i) => sequencerAccounts[i]!.address.toLowerCase()));
    expect((signatures.length - 2) / 2).toBe(3 * 65);

    // A rotated set without keys 2 and 3: only two usable signatures remain.
    const rotated = [set[0]!, set[1]!, outsider.address, privateKeyToAccount(`0x${'78'.repeat(32)}`).address];
    await expect(l1Certificate(cert, L2_CHAIN_ID, rotated)).rejects.toThrow(CertificateError);

    // The malleable twin (s → n − s, v flipped) of a valid signature is not used: L1 would revert.
    const good = (await signCertificate(5n, hash, [0, 1])).signatures;
    const sig = good[0]!.signature;
    const highS = (SECP_N - BigInt(`0x${sig.slice(66, 130)}`)).toString(16).padStart(64, '0');
    const v = Number.parseInt(sig.slice(130), 16) === 27 ? '1c' : '1b';
    const twin = `${sig.slice(0, 66)}${highS}${v}` as Hex;
    const withTwin = {
      ...cert,
      signatures: [
        { signature: twin },
        ...good.slice(1),
        ...(await signCertificate(5n, hash, [2])).signatures,
      ],
    };
    await expect(l1Certificate(withTwin, L2_CHAIN_ID, set)).rejects.toThrow(/only 2 of 3/);
  });
});

describe('retry', () => {
  it('backs off exponentially within the cap and gives up after the bounded attempts', async () => {
    expect(backoffDelay(1, 100, 1_000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 1_000, () => 1)).toBe(400);
    expect(backoffDelay(10, 100, 1_000, () => 1)).toBe(1_000);
    let calls = 0;
    await expect(
      withRetry(
        'flaky',
        async () => {
          calls++;
          throw new Error('down');
        },
        { attempts: 3, baseMs: 1, maxMs: 2 },
      ),
    ).rejects.toThrow(/flaky failed 3 times: down/);
    expect(calls).toBe(3);
    let n = 0;
    expect(
      await withRetry('eventually', async () => (++n < 2 ? Promise.reject(new Error('x')) : 'ok'), {
        attempts: 3,
        baseMs: 1,
        maxMs: 2,
      }),
    ).toBe('ok');
  });
});
