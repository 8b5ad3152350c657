/**
 * Prover worker thread: keeps the proving key in memory, the circuit's witness calculator
 * instantiated and one BN254 curve initialised, and turns circuit inputs into Groth16 proofs.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { calculateWtns } from '@tessera/circuits';
import { buildBn128 } from 'ffjavascript';
import * as snarkjs from 'snarkjs';

export type ProverWorkerInit = {
  zkey: string;
  wasm: string;
  /** Threads of this worker's BN254 curve: 1 = single-threaded, otherwise ffjavascript's pool. */
  threads?: number;
};
export type ProveRequest = { id: number; input: Record<string, unknown> };
export type ProveResponse =
  | {
      id: number;
      proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol: string; curve: string };
      publicSignals: string[];
      witnessMs: number;
      proveMs: number;
    }
  | { id: number; error: string; unsatisfied: boolean };

const port = parentPort!;
const init = (workerData as { init: ProverWorkerInit }).init;
// One curve per worker, installed as the instance snarkjs looks up, is reused by every proof.
// Multi-threaded curves start ffjavascript's pool (one thread per CPU) through nestedWebWorker.ts.
(globalThis as { curve_bn128?: unknown }).curve_bn128 = await buildBn128(init.threads === 1);
const zkey = { type: 'mem', data: new Uint8Array(await readFile(init.zkey)) };

port.on('message', async (req: ProveRequest) => {
  const t0 = performance.now();
  let wtns: Uint8Array;
  try {
    wtns = await calculateWtns(init.wasm, req.input);
  } catch (err) {
    port.postMessage({
      id: req.id,
      error: err instanceof Error ? err.message : String(err),
      unsatisfied: true,
    });
    return;
  }
  const t1 = performance.now();
  try {
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, { type: 'mem', data: wtns });
    port.postMessage({
      id: req.id,
      proof,
      publicSignals,
      witnessMs: t1 - t0,
      proveMs: performance.now() - t1,
    });
  } catch (err) {
    port.postMessage({
      id: req.id,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      unsatisfied: false,
    });
  }
});
port.postMessage({ ready: true });
