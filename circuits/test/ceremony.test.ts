import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/build.ts';
import { runDevCeremony } from '../src/setup/ceremony.ts';
import { readR1cs } from '../src/setup/r1cs.ts';
import { zkeyPower } from '../src/setup/zkey.ts';

// A small circuit with a public input, a public output and a few hundred constraints.
const SOURCE = `pragma circom 2.1.0;
include "circomlib/circuits/poseidon.circom";
template Tiny() {
  signal input a;
  signal input b;
  signal output h;
  component p = Poseidon(2);
  p.inputs[0] <== a;
  p.inputs[1] <== b;
  signal ab <== a * b;
  h <== p.out + ab;
}
component main {public [a]} = Tiny();
`;

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let circuit: { dir: string; r1cs: string; wasm: string };
let power: number;
let ptau: string;
let zkey: string;

beforeAll(async () => {
  circuit = await compileSource('tiny', SOURCE);
  const r = await readR1cs(circuit.r1cs);
  // one power above the circuit's domain: zkey new reads level power+1 of the Lagrange section
  power = zkeyPower(r.nConstraints, r.nOutputs + r.nPubInputs) + 1;
  ptau = join(circuit.dir, `dev_${Date.now()}.ptau`);
  zkey = join(circuit.dir, `dev_${Date.now()}.zkey`);
  await runDevCeremony({ r1cs: circuit.r1cs, zkey, ptau: { file: ptau, power } });
}, 300_000);

describe('development ceremony', () => {
  it('writes a ptau that snarkjs powersoftau verify accepts (incl. the phase-2 Lagrange sections)', async () => {
    expect(await snarkjs.powersOfTau.verify(ptau, silent)).toBe(true);
  }, 120_000);

  it('rejects a ptau with one altered point (the verification can fail)', async () => {
    const bytes = new Uint8Array(await readFile(ptau));
    // the 3rd point of tauG1 (section 2 starts after the 12-byte file header and the 56-byte header section)
    const at = 12 + 12 + 44 + 12 + 2 * 64;
    const other = new Uint8Array(bytes);
    other.set(bytes.subarray(at + 64, at + 128), at); // τ^2·G1 := τ^3·G1
    const bad = `${ptau}.bad`;
    await writeFile(bad, other);
    expect(await snarkjs.powersOfTau.verify(bad, silent)).toBe(false);
  }, 120_000);

  it('derives a zkey equal to zkey new + contribute on that ptau (snarkjs zkey verify)', async () => {
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, zkey, silent)).toBe(true);
  }, 120_000);

  it('a zkey from another ceremony does not verify against this ptau', async () => {
    const other = join(circuit.dir, `other_${Date.now()}.zkey`);
    await runDevCeremony({ r1cs: circuit.r1cs, zkey: other });
    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, other, silent)).toBe(false);
    // ...but it is a working key of its own
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 2, b: 9 }, circuit.wasm, other);
    expect(
      await snarkjs.groth16.verify(await snarkjs.zKey.exportVerificationKey(other), publicSignals, proof),
    ).toBe(true);
  }, 120_000);

  it('proves and verifies with the derived key; a wrong public signal fails', async () => {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: 3, b: 5 }, circuit.wasm, zkey);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    expect(publicSignals[1]).toBe('3');
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(vkey, [publicSignals[0], '4'], proof)).toBe(false);
  }, 120_000);
});
