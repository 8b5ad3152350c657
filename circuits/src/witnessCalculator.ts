/**
 * circom's generated wasm witness calculator (circuit_js/witness_calculator.js), loaded once per
 * circuit. Witness generation asserts every `===` constraint, so an invalid transaction makes
 * `calculate` throw.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export class WitnessCalculationError extends Error {
  override readonly name = 'WitnessCalculationError';
  readonly code = 'UNSATISFIED';
  /** The failing assertion's call chain, innermost first (template name and source line). */
  readonly trace: { template: string; line: number }[];
  constructor(message: string, trace: { template: string; line: number }[]) {
    super(message);
    this.trace = trace;
  }
}

type Calculator = {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
};

const cache = new Map<string, Promise<Calculator>>();

export function loadWitnessCalculator(wasmPath: string): Promise<Calculator> {
  let c = cache.get(wasmPath);
  if (!c) {
    c = (async () => {
      const builder = require(join(dirname(wasmPath), 'witness_calculator.js')) as (
        code: Uint8Array,
        options?: unknown,
      ) => Promise<Calculator>;
      return builder(await readFile(wasmPath));
    })();
    cache.set(wasmPath, c);
  }
  return c;
}

function wrap(err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const trace = [...msg.matchAll(/Error in template (\w+?)_\d+ line: (\d+)/g)].map((m) => ({
    template: m[1]!,
    line: Number(m[2]),
  }));
  return new WitnessCalculationError(
    `witness does not satisfy the circuit: ${msg.split('\n').slice(0, 4).join(' | ')}`,
    trace,
  );
}

/**
 * A failed run leaves the instance with its error log filled (the generated calculator never
 * clears it) and possibly mid-computation state, so it is discarded and the next call starts fresh.
 */
async function run<T>(wasmPath: string, f: (c: Calculator) => Promise<T>): Promise<T> {
  const calc = await loadWitnessCalculator(wasmPath);
  try {
    return await f(calc);
  } catch (err) {
    cache.delete(wasmPath);
    throw wrap(err);
  }
}

/** All witness values (index 1 is the public input). Throws WitnessCalculationError if unsatisfiable. */
export function calculateWitness(wasmPath: string, input: unknown): Promise<bigint[]> {
  return run(wasmPath, (c) => c.calculateWitness(input, true));
}

/** Binary .wtns for snarkjs's prover. */
export function calculateWtns(wasmPath: string, input: unknown): Promise<Uint8Array> {
  return run(wasmPath, (c) => c.calculateWTNSBin(input, true));
}
