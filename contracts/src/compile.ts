// Compiles Solidity with the solc npm package (standard JSON), resolving `@openzeppelin/` imports
// from node_modules, and caches the output outside the repo keyed by a hash of every input.
// Run directly (`npm run compile -w contracts`) to regenerate the typed ABIs in `src/abi.ts`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
/** `contracts/` (the workspace root). */
export const CONTRACTS_DIR = resolve(here, '..');
export const SOURCE_DIR = join(CONTRACTS_DIR, 'src');

export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: 'prague',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

export interface Artifact {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
}

export class CompilationError extends Error {
  readonly code = 'SOLC_COMPILATION_FAILED';
  constructor(readonly errors: string[]) {
    super(`solc reported ${errors.length} error(s):\n${errors.join('\n')}`);
    this.name = 'CompilationError';
  }
}

export function cacheDir(): string {
  return process.env.TESSERA_CACHE_DIR ?? join(homedir(), '.cache', 'tessera');
}

function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function resolveImport(path: string): string {
  if (path.startsWith('@openzeppelin/')) return require.resolve(path);
  return resolve(CONTRACTS_DIR, path);
}

/** All `.sol` files under `dir`, keyed by their path relative to `contracts/` (the solc unit name). */
export function readSources(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.sol'))
        out[relative(CONTRACTS_DIR, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

function runSolc(sources: Record<string, string>): Record<string, Artifact> {
  const solc = require('solc') as {
    compile(
      input: string,
      callbacks: { import: (p: string) => { contents?: string; error?: string } },
    ): string;
  };
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([k, content]) => [k, { content }])),
    settings: SOLC_SETTINGS,
  };
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(resolveImport(path), 'utf8') };
    } catch {
      return { error: `not found: ${path}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error').map((e) => e.formattedMessage);
  if (errors.length > 0) throw new CompilationError(errors);
  const artifacts: Record<string, Artifact> = {};
  for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(contracts)) {
      const artifact: Artifact = {
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      artifacts[`${file}:${name}`] = artifact;
      // Plain names for our own units; library units keep only the qualified name.
      if (!file.startsWith('@')) artifacts[name] = artifact;
    }
  }
  return artifacts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Compiles `sources` (unit name → content). The output is cached in `~/.cache/tessera/solc/` under a
 * hash of the sources, the solc and OpenZeppelin versions and the settings; parallel callers (test
 * workers) wait for one compilation instead of repeating it.
 */
export async function compileSources(sources: Record<string, string>): Promise<Record<string, Artifact>> {
  const solcVersion = packageVersion('solc');
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        sources,
        solcVersion,
        oz: packageVersion('@openzeppelin/contracts'),
        ozu: packageVersion('@openzeppelin/contracts-upgradeable'),
        settings: SOLC_SETTINGS,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  const dir = join(cacheDir(), 'solc');
  const file = join(dir, `${key}.json`);
  const lock = `${file}.lock`;
  mkdirSync(dir, { recursive: true });
  for (;;) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Artifact>;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another process compiles the same input; take over if its lock is stale (crashed).
      try {
        if (Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* lock vanished meanwhile */
      }
      await sleep(250);
    }
  }
  try {
    const artifacts = runSolc(sources);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(artifacts));
    renameSync(tmp, file);
    return artifacts;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Compiles `contracts/src/**\/*.sol`. */
export function compileProjectSources(): Promise<Record<string, Artifact>> {
  return compileSources(readSources(SOURCE_DIR));
}

/** Contracts whose ABIs are exported (typed) from `src/abi.ts`. */
export const EXPORTED = {
  TesseraRollup: 'tesseraRollupAbi',
  TesseraBridge: 'tesseraBridgeAbi',
  TimelockController: 'timelockControllerAbi',
  ERC1967Proxy: 'erc1967ProxyAbi',
  IVerifier: 'verifierAbi',
} as const;

function qualified(artifacts: Record<string, Artifact>, name: string): Artifact {
  const a = artifacts[name] ?? Object.entries(artifacts).find(([k]) => k.endsWith(`:${name}`))?.[1];
  if (!a) throw new Error(`contract ${name} missing from the compilation output`);
  return a;
}

/** The text of `src/abi.ts` for the given compilation output. */
export function renderAbiModule(artifacts: Record<string, Artifact>): string {
  const lines = [
    '// Generated by `npm run compile -w contracts` (contracts/src/compile.ts). Do not edit.',
    '// A test checks that it matches the current sources.',
    '',
  ];
  for (const [name, ident] of Object.entries(EXPORTED)) {
    lines.push(
      `export const ${ident} = ${JSON.stringify(qualified(artifacts, name).abi, null, 2)} as const;`,
      '',
    );
  }
  return lines.join('\n');
}

export const ABI_MODULE = join(SOURCE_DIR, 'abi.ts');

export function artifactOf(artifacts: Record<string, Artifact>, name: string): Artifact {
  return qualified(artifacts, name);
}

/** Keeps the generated module in the repository's formatting (best effort: biome is a dev tool). */
function formatWithBiome(file: string): void {
  const biome = join(CONTRACTS_DIR, '..', 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return;
  try {
    execFileSync(biome, ['format', '--write', file], { stdio: 'ignore' });
  } catch {
    /* unformatted output is still valid TypeScript */
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const artifacts = await compileProjectSources();
  writeFileSync(ABI_MODULE, renderAbiModule(artifacts));
  formatWithBiome(ABI_MODULE);
  const ours = Object.keys(artifacts).filter((k) => !k.includes(':'));
  console.log(
    `compiled ${ours.length} contracts in ${Date.now() - started} ms; wrote ${relative(process.cwd(), ABI_MODULE)}`,
  );
  for (const name of ['TesseraRollup', 'TesseraBridge']) {
    console.log(`  ${name}: ${(qualified(artifacts, name).deployedBytecode.length - 2) / 2} bytes runtime`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
