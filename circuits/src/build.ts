/**
 * Compile the batch circuit with circom2 and run its (development) trusted setup, caching every
 * artifact under ~/.cache/tessera/<circuitHash>/ where circuitHash covers the circuit sources,
 * the parameters and the tool versions. Nothing here is ever written into the repository.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import type { BatchParams } from './config.ts';
import { SetupError } from './errors.ts';
import { runDevCeremony } from './setup/ceremony.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
export const CIRCOM_DIR = resolve(here, '../circom');
const NODE_MODULES = resolve(dirname(require.resolve('circomlib/package.json')), '..');

/** A package's root directory (snarkjs does not export its package.json). */
function packageDir(name: string): string {
  return join(NODE_MODULES, name);
}

export function cacheRoot(): string {
  return process.env.TESSERA_CACHE_DIR ?? join(homedir(), '.cache', 'tessera');
}

export type CompiledCircuit = {
  params: BatchParams;
  hash: string;
  dir: string;
  r1cs: string;
  wasm: string;
  constraints: number;
  /** Power of two of the Groth16 evaluation domain snarkjs uses for this circuit. */
  power: number;
};

export type CircuitKeys = CompiledCircuit & {
  zkey: string;
  vkeyPath: string;
  vkey: Record<string, unknown>;
  solidityVerifier: string;
  timings: Record<string, number>;
};

export type BuildOptions = {
  onProgress?: (stage: string, done: number, total: number, label: string) => void;
  log?: (message: string) => void;
};

async function listSources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listSources(p)));
    else if (e.name.endsWith('.circom')) out.push(p);
  }
  return out.sort();
}

/** Hash of everything that determines the compiled circuit and its keys' shape. */
export async function circuitHash(params: BatchParams): Promise<string> {
  const h = createHash('sha256');
  h.update(`tessera-batch-v1\n${params.slots},${params.arity},${params.depth},${params.chainId}\n`);
  for (const f of await listSources(CIRCOM_DIR)) {
    h.update(relative(CIRCOM_DIR, f));
    h.update(await readFile(f));
  }
  for (const pkg of ['circomlib', 'circom2', 'snarkjs']) {
    h.update(`${pkg}@${JSON.parse(await readFile(join(packageDir(pkg), 'package.json'), 'utf8')).version}\n`);
  }
  return h.digest('hex').slice(0, 20);
}

export function mainSource(params: BatchParams): string {
  return [
    'pragma circom 2.1.0;',
    'include "batch.circom";',
    `component main = Batch(${params.slots}, ${params.arity}, ${params.depth}, ${params.chainId});`,
    '',
  ].join('\n');
}

const localLocks = new Map<string, Promise<unknown>>();

/**
 * Exclusive lock on a path: serialised within this process by a promise chain, across processes
 * by an O_EXCL lock file (a lock file whose owner process died is taken over).
 */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = localLocks.get(path) ?? Promise.resolve();
  const mine = previous.catch(() => {}).then(() => withFileLock(path, fn));
  localLocks.set(path, mine);
  try {
    return await mine;
  } finally {
    if (localLocks.get(path) === mine) localLocks.delete(path);
  }
}

async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(lock, 'utf8').catch(() => '0'));
      let alive = false;
      try {
        if (owner > 0) {
          process.kill(owner, 0);
          alive = owner !== process.pid;
        }
      } catch {
        alive = false;
      }
      if (!alive) {
        await rm(lock, { force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

const ESC = String.fromCharCode(27);

function stripAnsi(s: string): string {
  return s
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
    .join('');
}

function runCircom(args: string[]): Promise<string> {
  // circom2 runs under WASI with the ancestors of its working directory preopened; from "/" every
  // absolute path (sources, node_modules, the cache) is reachable.
  const cli = require.resolve('circom2/cli.js');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && /Everything went okay/.test(out)) resolvePromise(out);
      else reject(new SetupError('COMPILE_FAILED', `circom2 exited ${code}:\n${stripAnsi(out)}`));
    });
  });
}

async function readR1csHeader(
  file: string,
): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number }> {
  const info = await snarkjs.r1cs.info(file, undefined);
  return { nConstraints: info.nConstraints, nPubInputs: info.nPubInputs, nOutputs: info.nOutputs };
}

/**
 * Compile a standalone circuit source (tests, tools) into the cache, keyed by its hash.
 * Returns the paths of its r1cs and wasm.
 */
export async function compileSource(
  name: string,
  source: string,
): Promise<{ dir: string; r1cs: string; wasm: string }> {
  const hash = createHash('sha256').update(name).update(source).digest('hex').slice(0, 20);
  const dir = join(cacheRoot(), `src-${hash}`);
  const r1cs = join(dir, `${name}.r1cs`);
  const wasm = join(dir, `${name}_js`, `${name}.wasm`);
  return withLock(join(dir, 'compile'), async () => {
    if (!existsSync(join(dir, 'done'))) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${name}.circom`), source);
      await runCircom([
        join(dir, `${name}.circom`),
        '--r1cs',
        '--wasm',
        '--O2',
        '-l',
        NODE_MODULES,
        '-l',
        CIRCOM_DIR,
        '-o',
        dir,
      ]);
      await writeFile(join(dir, 'done'), '');
    }
    return { dir, r1cs, wasm };
  });
}

/** snarkjs's domain power for a circuit: the bit length of constraints + public signals. */
export function domainPower(nConstraints: number, nPublic: number): number {
  return Math.floor(Math.log2(nConstraints + nPublic)) + 1;
}

/** Compile (or reuse) the circuit for `params`. */
export async function compileCircuit(
  params: BatchParams,
  options: BuildOptions = {},
): Promise<CompiledCircuit> {
  const hash = await circuitHash(params);
  const dir = join(cacheRoot(), hash);
  const r1cs = join(dir, 'circuit.r1cs');
  const wasm = join(dir, 'circuit_js', 'circuit.wasm');
  const infoPath = join(dir, 'compile.json');
  return withLock(join(dir, 'compile'), async () => {
    if (!existsSync(infoPath)) {
      await mkdir(dir, { recursive: true });
      const main = join(dir, 'circuit.circom');
      await writeFile(main, mainSource(params));
      options.log?.(
        `compiling ${hash} with circom2 (N=${params.slots}, A=${params.arity}, D=${params.depth})`,
      );
      const t = Date.now();
      await runCircom([main, '--r1cs', '--wasm', '--O2', '-l', NODE_MODULES, '-l', CIRCOM_DIR, '-o', dir]);
      const h = await readR1csHeader(r1cs);
      await writeFile(
        infoPath,
        JSON.stringify(
          { ...h, params: { ...params, chainId: params.chainId.toString() }, compileMs: Date.now() - t },
          null,
          2,
        ),
      );
    }
    const info = JSON.parse(await readFile(infoPath, 'utf8'));
    return {
      params,
      hash,
      dir,
      r1cs,
      wasm,
      constraints: info.nConstraints,
      power: domainPower(info.nConstraints, info.nPubInputs + info.nOutputs),
    };
  });
}

const quietLogger = () => ({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (m: string) => process.stderr.write(`${m}\n`),
});

/**
 * Compile the circuit and produce its proving and verification keys (cached): development
 * ceremony (proving key derived directly from fresh secrets, docs/SETUP.md) → verification key
 * and Solidity verifier.
 */
export async function setupCircuit(params: BatchParams, options: BuildOptions = {}): Promise<CircuitKeys> {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const compiled = await compileCircuit(params, options);
  timings.compileMs = Date.now() - t;
  const { dir } = compiled;
  const zkey = join(dir, 'batch.zkey');
  const vkeyPath = join(dir, 'verification_key.json');
  const solidityVerifier = join(dir, 'Groth16Verifier.sol');
  const donePath = join(dir, 'setup.json');
  await withLock(join(dir, 'setup'), async () => {
    if (existsSync(donePath)) return;
    t = Date.now();
    options.log?.(
      `development groth16 setup for ${compiled.constraints} constraints (domain 2^${compiled.power})`,
    );
    const tmpZkey = `${zkey}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await runDevCeremony({
        r1cs: compiled.r1cs,
        zkey: tmpZkey,
        onProgress: (stage, d, tot, label) => options.onProgress?.(stage, d, tot, label),
      });
      timings.ceremonyMs = Date.now() - t;
      t = Date.now();
      const vkey = await snarkjs.zKey.exportVerificationKey(tmpZkey, quietLogger());
      await writeFile(vkeyPath, JSON.stringify(vkey, null, 2));
      const template = await readFile(
        join(packageDir('snarkjs'), 'templates', 'verifier_groth16.sol.ejs'),
        'utf8',
      );
      const sol: string = await snarkjs.zKey.exportSolidityVerifier(
        tmpZkey,
        { groth16: template },
        quietLogger(),
      );
      await writeFile(solidityVerifier, sol);
      await rename(tmpZkey, zkey);
      timings.exportMs = Date.now() - t;
    } finally {
      await rm(tmpZkey, { force: true });
    }
    await writeFile(
      donePath,
      JSON.stringify({ timings, constraints: compiled.constraints, power: compiled.power }, null, 2),
    );
  });
  const done = JSON.parse(await readFile(donePath, 'utf8'));
  return {
    ...compiled,
    zkey,
    vkeyPath,
    vkey: JSON.parse(await readFile(vkeyPath, 'utf8')),
    solidityVerifier,
    timings: Object.keys(timings).length > 1 ? timings : done.timings,
  };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
