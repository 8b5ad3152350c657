// A real Groth16 setup for the contract tests: the tiny fifth-root circuit in ../fixtures, compiled
// with circom2, a bn128 powers-of-tau at 2^8 with one contribution, a phase-2 contribution and the
// snarkjs Solidity verifier. Everything is cached in ~/.cache/tessera keyed by the circuit hash;
// nothing lands in the repository.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIELD_P } from '../../src/batch.ts';
import { cacheDir } from '../../src/compile.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
export const CIRCUIT_FILE = resolve(here, '../fixtures/fifth_root.circom');

export interface TinyCircuit {
  dir: string;
  wasm: string;
  zkey: string;
  verifierSource: string;
}

export interface SolidityProof {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
}

function bin(name: string): string {
  // circom2 and snarkjs are hoisted to the root node_modules by the circuits workspace.
  const pkg = (require.resolve.paths(name) ?? [])
    .map((d) => join(d, name, 'package.json'))
    .find((f) => existsSync(f));
  if (!pkg) throw new Error(`${name} is not installed (npm install from the repository root)`);
  const meta = JSON.parse(readFileSync(pkg, 'utf8')) as { bin: string | Record<string, string> };
  const rel = typeof meta.bin === 'string' ? meta.bin : meta.bin[name]!;
  return join(dirname(pkg), rel);
}

async function node(script: string, args: string[], cwd: string): Promise<void> {
  await run(process.execPath, [script, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
}

async function build(dir: string): Promise<void> {
  const snarkjs = bin('snarkjs');
  await node(bin('circom2'), [CIRCUIT_FILE, '--r1cs', '--wasm', '-o', dir], dir);
  const entropy = () => randomBytes(32).toString('hex');
  await node(snarkjs, ['powersoftau', 'new', 'bn128', '8', 'pot_0.ptau'], dir);
  await node(
    snarkjs,
    ['powersoftau', 'contribute', 'pot_0.ptau', 'pot_1.ptau', '--name=tessera-test', `-e=${entropy()}`],
    dir,
  );
  await node(snarkjs, ['powersoftau', 'prepare', 'phase2', 'pot_1.ptau', 'pot_final.ptau'], dir);
  await node(snarkjs, ['groth16', 'setup', 'fifth_root.r1cs', 'pot_final.ptau', 'circuit_0.zkey'], dir);
  await node(
    snarkjs,
    ['zkey', 'contribute', 'circuit_0.zkey', 'circuit.zkey', '--name=tessera-test', `-e=${entropy()}`],
    dir,
  );
  await node(snarkjs, ['zkey', 'export', 'solidityverifier', 'circuit.zkey', 'Verifier.sol'], dir);
  for (const f of ['pot_0.ptau', 'pot_1.ptau', 'circuit_0.zkey']) rmSync(join(dir, f));
}

/** Builds (once per circuit source) and returns the cached setup. */
export async function tinyCircuit(): Promise<TinyCircuit> {
  const source = readFileSync(CIRCUIT_FILE);
  const key = createHash('sha256').update(source).update('snarkjs-0.7/pot8').digest('hex').slice(0, 24);
  const dir = join(cacheDir(), 'groth16-fifth-root', key);
  const done = join(dir, 'Verifier.sol');
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  while (!existsSync(done)) {
    try {
      mkdirSync(lock);
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (!existsSync(done)) {
        const tmp = `${dir}.${process.pid}.tmp`;
        rmSync(tmp, { recursive: true, force: true });
        mkdirSync(tmp, { recursive: true });
        await build(tmp);
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return {
    dir,
    wasm: join(dir, 'fifth_root_js', 'fifth_root.wasm'),
    zkey: join(dir, 'circuit.zkey'),
    verifierSource: readFileSync(done, 'utf8'),
  };
}

interface Snarkjs {
  groth16: {
    fullProve(
      input: Record<string, string>,
      wasm: string,
      zkey: string,
      logger?: unknown,
      wtnsOptions?: unknown,
      proverOptions?: { singleThread?: boolean },
    ): Promise<{ proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] }; publicSignals: string[] }>;
  };
}

function powmod(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  let k = e;
  while (k > 0n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
    k >>= 1n;
  }
  return r;
}

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** The unique x with x^5 = v in the BN254 scalar field. */
export function fifthRoot(v: bigint): bigint {
  return powmod(v, inverse(5n, FIELD_P - 1n), FIELD_P);
}

/** A real Groth16 proof that the prover knows the fifth root of `publicInput`, in Solidity layout. */
export async function prove(circuit: TinyCircuit, publicInput: bigint): Promise<SolidityProof> {
  const name: string = 'snarkjs';
  const snarkjs = (await import(name)) as Snarkjs;
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    { publicInput: publicInput.toString(), root: fifthRoot(publicInput).toString() },
    circuit.wasm,
    circuit.zkey,
    undefined,
    undefined,
    { singleThread: true },
  );
  if (publicSignals[0] !== publicInput.toString()) throw new Error('snarkjs returned another public signal');
  const n = (s: string | undefined): bigint => BigInt(s!);
  // G2 coordinates go to the EVM pairing precompile as (imaginary, real).
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(proof.pi_b[0]![1]), n(proof.pi_b[0]![0])],
      [n(proof.pi_b[1]![1]), n(proof.pi_b[1]![0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}
