/**
 * @tessera/circuits — the batch validity circuit, its development trusted setup and witnesses.
 *
 * Consumers:
 * - prover/: `setupCircuit`, `buildBlockWitness` / `stateFromPreState`, `calculateWtns`, `proofToSolidity`.
 * - contracts/: `exportSolidityVerifier()` (the Groth16 verifier for the configured circuit, cached in
 *   ~/.cache/tessera/<circuitHash>/Groth16Verifier.sol) and `proofToSolidity` for calldata.
 */
import { readFile } from 'node:fs/promises';
import * as snarkjs from 'snarkjs';
import { type CircuitKeys, setupCircuit } from './build.ts';
import { type BatchParams, configuredCircuits } from './config.ts';

export * from './config.ts';
export {
  type BuildOptions,
  type CircuitKeys,
  type CompiledCircuit,
  cacheRoot,
  circuitHash,
  compileCircuit,
  compileSource,
  setupCircuit,
} from './build.ts';
export * from './witness.ts';
export { WitnessCalculationError, calculateWitness, calculateWtns } from './witnessCalculator.ts';
export { runDevCeremony } from './setup/ceremony.ts';

export type Groth16Proof = {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
};

/** Arguments of the generated verifier's `verifyProof(uint[2], uint[2][2], uint[2], uint[1])`. */
export type SolidityProof = {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
  input: [bigint];
};

/** Convert a snarkjs proof to the verifier's calldata (G2 coordinates in EVM order: imaginary first). */
export function proofToSolidity(proof: Groth16Proof, publicSignals: string[]): SolidityProof {
  const [a0, a1] = proof.pi_a;
  const [[b00, b01], [b10, b11]] = proof.pi_b as [[string, string], [string, string]];
  const [c0, c1] = proof.pi_c;
  return {
    a: [BigInt(a0!), BigInt(a1!)],
    b: [
      [BigInt(b01), BigInt(b00)],
      [BigInt(b11), BigInt(b10)],
    ],
    c: [BigInt(c0!), BigInt(c1!)],
    input: [BigInt(publicSignals[0]!)],
  };
}

/**
 * The Solidity Groth16 verifier of a batch circuit (default: the first configured one), generated
 * by `snarkjs zkey export solidityverifier` during setup. Runs the (cached) setup if needed.
 */
export async function exportSolidityVerifier(
  params: BatchParams = configuredCircuits()[0]!,
): Promise<{ path: string; source: string; keys: CircuitKeys }> {
  const keys = await setupCircuit(params);
  return { path: keys.solidityVerifier, source: await readFile(keys.solidityVerifier, 'utf8'), keys };
}

/** Prove a witness (binary .wtns) with snarkjs. */
export async function proveWtns(keys: Pick<CircuitKeys, 'zkey'>, wtns: Uint8Array) {
  const { proof, publicSignals } = await snarkjs.groth16.prove(keys.zkey, wtns);
  return { proof: proof as Groth16Proof, publicSignals: publicSignals as string[] };
}

export async function verifyProof(
  vkey: Record<string, unknown>,
  publicInput: bigint,
  proof: Groth16Proof,
): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, [publicInput.toString()], proof);
}
export { SetupError } from './errors.ts';
