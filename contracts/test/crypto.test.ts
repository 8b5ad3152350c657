import {
  http,
  type Abi,
  type Address,
  type PublicClient,
  createPublicClient,
  createWalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Anvil, startAnvil } from '../src/anvil.ts';
import { FIELD_P } from '../src/batch.ts';
import { deployContract, deployPoseidon } from '../src/deploy.ts';
import { PoseidonWidthError, buildPoseidonHasher, poseidonArtifact } from '../src/poseidon.ts';
import { type SolidityProof, type TinyCircuit, fifthRoot, prove, tinyCircuit } from './helpers/groth16.ts';
import { type Wallet, compileFixtures } from './helpers/system.ts';

let anvil: Anvil;
let client: PublicClient;
let wallet: Wallet;

beforeAll(async () => {
  anvil = await startAnvil();
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  client = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 20 }) as PublicClient;
  wallet = createWalletClient({
    chain,
    transport: http(anvil.rpcUrl),
    account: mnemonicToAccount('test test test test test test test test test test test junk'),
    pollingInterval: 20,
  });
});
afterAll(async () => {
  await anvil?.stop();
});

/** Deterministic pseudo-random field elements (xorshift), with the edge values mixed in. */
function inputs(n: number, seed: number): bigint[] {
  let x = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & ((1n << 256n) - 1n);
    x ^= x >> 7n;
    x ^= (x << 17n) & ((1n << 256n) - 1n);
    out.push(x % FIELD_P);
  }
  if (seed % 3 === 0) out[0] = 0n;
  if (seed % 3 === 1) out[n - 1] = FIELD_P - 1n;
  return out;
}

describe('Poseidon on L1', () => {
  it('matches circomlibjs buildPoseidon for every width it can generate (1..6 inputs)', async () => {
    const poseidon = await buildPoseidonHasher();
    const addresses = await deployPoseidon(wallet, client, [1, 2, 3, 4, 5, 6]);
    for (let n = 1; n <= 6; n++) {
      const { abi } = await poseidonArtifact(n);
      for (let seed = 0; seed < 4; seed++) {
        const xs = inputs(n, seed + 10 * n);
        const onChain = await client.readContract({
          address: addresses[n]!,
          abi,
          functionName: 'poseidon',
          args: [xs],
        });
        expect(onChain).toBe(poseidon(xs));
      }
    }
    // The two per-batch hashes of docs/PROTOCOL.md, with known-answer inputs.
    const { abi: abi3 } = await poseidonArtifact(3);
    expect(
      await client.readContract({
        address: addresses[3]!,
        abi: abi3,
        functionName: 'poseidon',
        args: [[1n, 2n, 3n]],
      }),
    ).toBe(6542985608222806190361240322586112750744169038454362455181422643027100751666n);
  });

  it('refuses widths circomlibjs cannot generate', async () => {
    await expect(poseidonArtifact(7)).rejects.toBeInstanceOf(PoseidonWidthError);
    await expect(poseidonArtifact(0)).rejects.toMatchObject({ code: 'POSEIDON_WIDTH' });
  });
});

describe('Groth16 verifier (snarkjs export of the fifth-root test circuit)', () => {
  let circuit: TinyCircuit;
  let verifier: Address;
  let abi: Abi;

  beforeAll(async () => {
    circuit = await tinyCircuit();
    const art = (await compileFixtures(circuit)).Groth16Verifier!;
    abi = art.abi;
    verifier = (await deployContract(wallet, client, art.abi, art.bytecode)).address;
  });

  const check = (p: SolidityProof, input: bigint) =>
    client.readContract({
      address: verifier,
      abi,
      functionName: 'verifyProof',
      args: [p.a, p.b, p.c, [input]],
    });

  it('derives the unique witness', () => {
    const v = 123456789n;
    const r = fifthRoot(v);
    expect(r ** 5n % FIELD_P).toBe(v);
  });

  it('accepts a real proof and rejects it for another input or with any point altered', async () => {
    const input = 0x0badc0ffeen;
    const proof = await prove(circuit, input);
    expect(await check(proof, input)).toBe(true);
    expect(await check(proof, input + 1n)).toBe(false);
    expect(await check({ ...proof, a: [proof.a[0], FIELD_P - proof.a[1]] }, input)).toBe(false);
    expect(await check({ ...proof, b: [proof.b[1], proof.b[0]] }, input)).toBe(false);
    expect(await check({ ...proof, c: [proof.c[0] + 1n, proof.c[1]] }, input)).toBe(false);
    const other = await prove(circuit, input + 1n);
    expect(await check({ ...proof, c: other.c }, input)).toBe(false);
  });
});
