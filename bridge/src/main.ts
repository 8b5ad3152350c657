// Process entry of the bridge: `npx tsx bridge/src/main.ts` runs the services with configuration
// from the environment (defaults fit the loopback devnet); `… main.ts keystore new|import <file>`
// creates the operator's encrypted keystore (the key never touches the disk in plaintext).
import '../../scripts/polyfills.ts';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Account, accountFromJson } from '@tessera/core';
import { type Hex, parseGwei } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { z } from 'zod';
import { RpcBlockSource } from './blockSource.ts';
import { ConfigError } from './errors.ts';
import {
  encryptKeystore,
  keystorePasswordFromEnv,
  loadKeystoreAccount,
  writeKeystoreFile,
} from './keystore.ts';
import { createLogger } from './log.ts';
import { HttpProofSource } from './proofSource.ts';
import { startBridgeService } from './service.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (d: number) => z.coerce.number().int().nonnegative().default(d);

export const EnvSchema = z.object({
  TESSERA_L1_RPC: z.string().url().default('http://127.0.0.1:8545'),
  /** JSON with `rollup`, `bridge` and optionally `deployedAtBlock` (deployAll's result). */
  TESSERA_DEPLOYMENT: z.string().default('.devnet/deployment.json'),
  TESSERA_ROLLUP: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  TESSERA_SEQUENCER_RPCS: z
    .string()
    .default(
      'http://127.0.0.1:8701/rpc,http://127.0.0.1:8702/rpc,http://127.0.0.1:8703/rpc,http://127.0.0.1:8704/rpc',
    )
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    ),
  TESSERA_KEYSTORE: z.string().default('.devnet/bridge/operator.keystore.json'),
  TESSERA_DATA_DIR: z.string().default('.devnet/bridge'),
  TESSERA_GENESIS_FILE: z.string().optional(),
  TESSERA_PROVER_URL: z.string().url().optional(),
  TESSERA_CONFIRMATIONS: int(2),
  TESSERA_DEPOSIT_CONFIRMATIONS: int(2),
  TESSERA_POLL_MS: int(1_000),
  TESSERA_STUCK_AFTER_MS: int(60_000),
  TESSERA_FEE_BUMP_PERCENT: z.coerce.number().int().min(10).max(200).default(15),
  TESSERA_MAX_FEE_GWEI: z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)?$/)
    .default('500'),
  TESSERA_LOOKAHEAD: int(32),
  TESSERA_CLAIMER: bool.default('true'),
  TESSERA_CLAIM_MIN_AMOUNT: z
    .string()
    .regex(/^[0-9]+$/)
    .default('0')
    .transform(BigInt),
  TESSERA_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9470),
  TESSERA_METRICS_HOST: z.string().default('127.0.0.1'),
});

export type BridgeEnv = z.infer<typeof EnvSchema>;

export function parseEnv(env: NodeJS.ProcessEnv = process.env): BridgeEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

export function readDeployment(path: string): { rollup: Hex; bridge?: Hex; deployedAtBlock?: bigint } {
  if (!existsSync(path))
    throw new ConfigError(`deployment file ${path} not found (set TESSERA_DEPLOYMENT or TESSERA_ROLLUP)`);
  const j = JSON.parse(readFileSync(path, 'utf8')) as {
    rollup?: string;
    bridge?: string;
    deployedAtBlock?: string | number;
  };
  if (!j.rollup || !/^0x[0-9a-fA-F]{40}$/.test(j.rollup))
    throw new ConfigError(`${path} has no rollup address`);
  return {
    rollup: j.rollup as Hex,
    bridge: j.bridge as Hex | undefined,
    deployedAtBlock: j.deployedAtBlock === undefined ? undefined : BigInt(j.deployedAtBlock),
  };
}

/** Genesis accounts (devnet pre-funding) as a JSON list of core account JSON, or `{ accounts: [...] }`. */
export function readGenesis(path: string): Account[] {
  const j = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const list = Array.isArray(j) ? j : (j as { accounts?: unknown[] }).accounts;
  if (!Array.isArray(list)) throw new ConfigError(`${path} must hold a list of accounts`);
  return list.map((a) => accountFromJson(a as Parameters<typeof accountFromJson>[0]));
}

async function keystoreCommand(args: string[]): Promise<void> {
  const [action, file] = args;
  if ((action !== 'new' && action !== 'import') || !file) {
    throw new ConfigError('usage: main.ts keystore new <file> | keystore import <file> (key on stdin)');
  }
  const password = keystorePasswordFromEnv();
  let key: Hex;
  if (action === 'new') key = generatePrivateKey();
  else {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    key = Buffer.concat(chunks).toString('utf8').trim() as Hex;
  }
  const ks = await encryptKeystore(key, password);
  writeKeystoreFile(resolve(file), ks);
  process.stdout.write(`${ks.address}\n`);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  if (argv[0] === 'keystore') return keystoreCommand(argv.slice(1));
  const env = parseEnv();
  const log = createLogger('bridge');
  const deployment = env.TESSERA_ROLLUP
    ? { rollup: env.TESSERA_ROLLUP as Hex, deployedAtBlock: undefined }
    : readDeployment(env.TESSERA_DEPLOYMENT);
  const account = await loadKeystoreAccount(env.TESSERA_KEYSTORE, keystorePasswordFromEnv());
  const service = await startBridgeService({
    l1RpcUrl: env.TESSERA_L1_RPC,
    rollup: deployment.rollup,
    deployedAtBlock: deployment.deployedAtBlock,
    account,
    source: new RpcBlockSource(env.TESSERA_SEQUENCER_RPCS),
    proofs: env.TESSERA_PROVER_URL ? new HttpProofSource(env.TESSERA_PROVER_URL) : undefined,
    dataDir: env.TESSERA_DATA_DIR,
    genesis: env.TESSERA_GENESIS_FILE ? readGenesis(env.TESSERA_GENESIS_FILE) : [],
    confirmations: env.TESSERA_CONFIRMATIONS,
    depositConfirmations: env.TESSERA_DEPOSIT_CONFIRMATIONS,
    pollIntervalMs: env.TESSERA_POLL_MS,
    stuckAfterMs: env.TESSERA_STUCK_AFTER_MS,
    feeBumpPercent: env.TESSERA_FEE_BUMP_PERCENT,
    maxFeePerGas: parseGwei(env.TESSERA_MAX_FEE_GWEI),
    lookahead: env.TESSERA_LOOKAHEAD,
    claimer: env.TESSERA_CLAIMER,
    claimMinAmount: env.TESSERA_CLAIM_MIN_AMOUNT,
    metricsPort: env.TESSERA_METRICS_PORT,
    metricsHost: env.TESSERA_METRICS_HOST,
    log,
  });
  if (!env.TESSERA_PROVER_URL) log.warn('TESSERA_PROVER_URL not set: batches are committed but not verified');
  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping');
    void service.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await service.done;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bridge/src/main.ts')) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
