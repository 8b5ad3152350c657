import { batchPublicInput, commitBatch } from '@tessera/core/block/publicData';
import { type Hex, concatHex, keccak256, numberToHex } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  BatchEncodingError,
  TX_TYPE,
  dataHash,
  decodeFloat40,
  depositElement,
  encodeExits,
  encodeFloat40,
  evaluate,
  exitLeaf,
  exitTree,
  publicVector,
  record,
} from '../src/batch.ts';
import { prepareBatch } from '../src/batch.ts';
import {
  CompilationError,
  EXPORTED,
  artifactOf,
  compileProjectSources,
  compileSources,
} from '../src/compile.ts';
import { buildPoseidonHasher } from '../src/poseidon.ts';

const A = '0x1111111111111111111111111111111111111111' as const;
const B = '0x2222222222222222222222222222222222222222' as const;

describe('generated artifacts', () => {
  it('src/abi.ts matches the current Solidity sources', async () => {
    const artifacts = await compileProjectSources();
    const generated = (await import('../src/abi.ts')) as Record<string, unknown>;
    for (const [name, ident] of Object.entries(EXPORTED)) {
      expect(generated[ident], `${ident} is stale: run npm run compile -w contracts`).toEqual(
        artifactOf(artifacts, name).abi,
      );
    }
  });

  it('keeps both contracts under the EIP-170 code size limit', async () => {
    const artifacts = await compileProjectSources();
    for (const name of ['TesseraRollup', 'TesseraBridge']) {
      expect((artifacts[name]!.deployedBytecode.length - 2) / 2).toBeLessThanOrEqual(24_576);
    }
  });

  it('reports solc errors as a CompilationError', async () => {
    const bad = { 'test/Bad.sol': 'pragma solidity ^0.8.0; contract Bad { function f() { x = 1; } }' };
    await expect(compileSources(bad)).rejects.toBeInstanceOf(CompilationError);
    await expect(compileSources(bad)).rejects.toMatchObject({ code: 'SOLC_COMPILATION_FAILED' });
  });
});

describe('public data encoding', () => {
  it('encodes float40 with the largest exponent and decodes any form', () => {
    expect(encodeFloat40(0n)).toBe(0n);
    expect(encodeFloat40(5n)).toBe(5n);
    expect(encodeFloat40(10n ** 18n)).toBe((18n << 35n) | 1n);
    expect(decodeFloat40(encodeFloat40(10n ** 18n))).toBe(10n ** 18n);
    expect(decodeFloat40(encodeFloat40(123_450_000n))).toBe(123_450_000n);
    expect(encodeFloat40(123_450_000n)).toBe((4n << 35n) | 12345n);
    expect(decodeFloat40((2n << 35n) | 7n)).toBe(700n);
    expect(() => encodeFloat40((1n << 35n) + 1n)).toThrow(BatchEncodingError);
  });

  it('lays out records, deposits and exits as docs/PROTOCOL.md says', () => {
    const r = record(TX_TYPE.TRANSFER, 0x01020304, 0x05060708, 0x090a0b0c0dn);
    expect(numberToHex(r, { size: 14 })).toBe('0x02010203040506070809' + '0a0b0c0d');
    expect(depositElement(7, 1, 100n)).toBe(3n * 2n ** 192n + 7n * 2n ** 160n + 1n * 2n ** 128n + 100n);
    expect(encodeExits([{ recipient: A, assetId: 2, amount: 3n }])).toBe(
      `0x${'11'.repeat(20)}00000002${'00'.repeat(15)}03`,
    );
    const n = 4;
    const e = publicVector(
      {
        deposits: [{ element: 9n, depositor: B }],
        records: [r],
        registrations: [{ ax: 5n, ay: 6n, ethAddress: A }],
        exits: [{ recipient: A, assetId: 2, amount: 3n }],
      },
      n,
    );
    expect(e.length).toBe(7 * n);
    expect([e[0], e[1], e[2], e[3]]).toEqual([9n, BigInt(B), r, 0n]);
    expect([e[2 * n], e[2 * n + 1], e[2 * n + 2]]).toEqual([5n, 6n, BigInt(A)]);
    expect([e[5 * n], e[5 * n + 1]]).toEqual([(BigInt(A) << 32n) | 2n, 3n]);
    expect(e.filter((v) => v !== 0n).length).toBe(8);
  });

  it('hashes the data with the four uint32 counts first', () => {
    const data = { deposits: [], records: [5n], registrations: [], exits: [] };
    const expected = keccak256(
      concatHex(['0x00000000', '0x00000001', '0x00000000', '0x00000000', numberToHex(5n, { size: 14 })]),
    );
    expect(dataHash(data)).toBe(expected);
  });

  it('evaluates y by Horner exactly as the sum of E[j]·z^j', () => {
    const p = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const e = [3n, 0n, 5n, p - 1n];
    const z = 7n;
    expect(evaluate(e, z)).toBe((3n + 5n * 49n + (p - 1n) * 343n) % p);
  });

  it('builds exit trees whose proofs fold back to the root', () => {
    const exits = [1n, 2n, 3n, 4n, 5n].map((amount) => ({ recipient: A, assetId: 1, amount }));
    const tree = exitTree(exits, 9n);
    for (let j = 0; j < exits.length; j++) {
      let node: Hex = exitLeaf(exits[j]!, 9n, j);
      const proof = tree.proof(j);
      expect(proof.length).toBe(3);
      proof.forEach((sib, level) => {
        node =
          ((j >> level) & 1) === 0 ? keccak256(concatHex([node, sib])) : keccak256(concatHex([sib, node]));
      });
      expect(node).toBe(tree.root);
    }
    expect(exitTree(exits.slice(0, 1), 9n).root).toBe(exitLeaf(exits[0]!, 9n, 0));
    expect(BigInt(exitTree([], 9n).root)).toBe(0n);
  });
});

describe('agreement with core', () => {
  it('derives the same k, c, z, y and public input as core/block/publicData', async () => {
    const poseidon = await buildPoseidonHasher();
    const data = {
      deposits: [{ element: depositElement(3, 1, 10n ** 18n), depositor: B }],
      records: [
        record(TX_TYPE.TRANSFER, 3, 4, encodeFloat40(5n)),
        record(TX_TYPE.REGISTER, 5, 1, 0n),
        record(TX_TYPE.WITHDRAW, 4, 0, encodeFloat40(2n)),
      ],
      registrations: [{ ax: 123n, ay: 456n, ethAddress: A }],
      exits: [{ recipient: A, assetId: 1, amount: 2n }],
    };
    const slots = 8;
    const mine = prepareBatch(
      {
        chainId: 1n,
        slots,
        height: 1n,
        parentHash: `0x${'00'.repeat(32)}`,
        prevStateRoot: 11n,
        stateRoot: 12n,
        depositStart: 0n,
        timestamp: 1n,
        data,
      },
      poseidon,
    );
    const theirs = commitBatch(
      {
        deposits: data.deposits.map((d) => ({ element: d.element, depositor: BigInt(d.depositor) })),
        records: data.records.map((r) =>
          Uint8Array.from(Buffer.from(numberToHex(r, { size: 14 }).slice(2), 'hex')),
        ),
        registrations: data.registrations.map((r) => ({
          ax: r.ax,
          ay: r.ay,
          ethAddress: BigInt(r.ethAddress),
        })),
        exits: data.exits,
      },
      slots,
    );
    expect(mine.dataHash).toBe(theirs.dataHash);
    expect(mine.dataCommitment).toBe(theirs.dataCommitment);
    expect(mine.z).toBe(theirs.z);
    expect(mine.y).toBe(theirs.y);
    expect(mine.publicInput).toBe(batchPublicInput(11n, 12n, theirs));
  });
});
