import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { addressOfPrivateKey, devValidatorKey, fromHex } from '../consensus/crypto.ts';
import { DEFAULT_TIMEOUTS, type TimeoutConfig } from '../consensus/types.ts';
import { DEFAULT_MEMPOOL, type MempoolConfig } from './mempool.ts';

/**
 * The devnet seed. Every devnet key (validators, libp2p identities, genesis accounts) is derived
 * from it, so a loopback cluster needs no key files. It is public: never use devnet keys with value.
 */
export const DEV_SEED = 'tessera-devnet-v1';

export interface NodeConfig {
  index: number;
  chainId: bigint;
  /** secp256k1 validator key (32 bytes). */
  validatorKey: Uint8Array;
  /** Validator addresses, in proposer order. */
  validators: `0x${string}`[];
  /** Seed of this node's libp2p identity and, per index, of every peer's (devnet). */
  p2pSeed: string;
  p2pHost: string;
  p2pPorts: number[];
  rpcHost: string;
  rpcPort: number;
  dataDir: string;
  /** Genesis: `genesisAccounts` devnet accounts derived from `genesisSeed`. */
  genesisSeed: string;
  genesisAccounts: number;
  tree: { arity: 2 | 4 | 8; depth: number };
  blockMaxTxs: number;
  /** Seal a non-full block once its oldest transaction has waited this long. */
  sealMs: number;
  /** ...and, unless it is full, not before this long after the previous block was committed. */
  minBlockGapMs: number;
  timeouts: TimeoutConfig;
  rebroadcastMs: number;
  mempool: MempoolConfig;
  rpc: {
    maxBodyBytes: number;
    maxBatch: number;
    ratePerSecond: number;
    burst: number;
    waitTimeoutMs: number;
  };
  logLevel: string;
  /** L1 bridge to take deposits from (absent: this chain has no L1 deposits, e.g. benchmarks). */
  l1?: { rpcUrl: string; bridge: `0x${string}`; confirmations: number; fromBlock: bigint; pollMs: number };
  /** Fault injection for tests only: this node equivocates as proposer and double-votes. */
  byzantine?: 'equivocate' | 'doublevote';
}

const envSchema = z.object({
  TESSERA_CONFIG: z.string().optional(),
  TESSERA_NODE_INDEX: z.coerce.number().int().min(0).max(63).optional(),
  TESSERA_CHAIN_ID: z.coerce.bigint().optional(),
  TESSERA_DEV_SEED: z.string().min(1).optional(),
  TESSERA_VALIDATOR_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .optional(),
  TESSERA_DATA_DIR: z.string().optional(),
  TESSERA_RPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  TESSERA_RPC_BASE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  TESSERA_P2P_BASE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  TESSERA_GENESIS_ACCOUNTS: z.coerce.number().int().min(0).max(1_000_000).optional(),
  TESSERA_SEAL_MS: z.coerce.number().int().min(1).optional(),
  TESSERA_MIN_BLOCK_GAP_MS: z.coerce.number().int().min(0).optional(),
  TESSERA_LOG_LEVEL: z.string().optional(),
  TESSERA_L1_RPC: z.string().url().optional(),
  TESSERA_BRIDGE_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  TESSERA_DEPOSIT_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).optional(),
  TESSERA_L1_FROM_BLOCK: z.coerce.bigint().optional(),
  TESSERA_TREE_ARITY: z.coerce
    .number()
    .pipe(z.union([z.literal(2), z.literal(4), z.literal(8)]))
    .optional(),
  TESSERA_TREE_DEPTH: z.coerce.number().int().min(1).max(32).optional(),
  TESSERA_BLOCK_MAX_TXS: z.coerce.number().int().min(1).max(10_000).optional(),
  /** Consensus step timeouts in ms (see TimeoutConfig). */
  TESSERA_TIMEOUT_PROPOSE: z.coerce.number().int().min(1).optional(),
  TESSERA_TIMEOUT_PROPOSE_SILENT: z.coerce.number().int().min(1).optional(),
  TESSERA_TIMEOUT_PREVOTE: z.coerce.number().int().min(1).optional(),
  TESSERA_TIMEOUT_PRECOMMIT: z.coerce.number().int().min(1).optional(),
  TESSERA_TIMEOUT_DELTA: z.coerce.number().int().min(0).optional(),
  TESSERA_TIMEOUT_MAX: z.coerce.number().int().min(1).optional(),
});

const fileSchema = z
  .object({
    index: z.number().int().min(0),
    chainId: z.union([z.string(), z.number()]).transform((v) => BigInt(v)),
    validatorKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    validators: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)).min(1),
    p2pSeed: z.string(),
    p2pPorts: z.array(z.number().int()),
    rpcPort: z.number().int(),
    dataDir: z.string(),
  })
  .partial();

/** Loopback devnet defaults for node `index` of 4 (ports 18545+i for RPC, 19100+i for libp2p). */
export function devnetConfig(index: number, overrides: Partial<NodeConfig> = {}): NodeConfig {
  const seed = overrides.p2pSeed ?? DEV_SEED;
  const keys = [0, 1, 2, 3].map((i) => devValidatorKey(seed, i));
  return {
    index,
    chainId: 31_337n,
    validatorKey: keys[index]!,
    validators: keys.map(addressOfPrivateKey),
    p2pSeed: seed,
    p2pHost: '127.0.0.1',
    p2pPorts: [0, 1, 2, 3].map((i) => 19_100 + i),
    rpcHost: '127.0.0.1',
    rpcPort: 18_545 + index,
    dataDir: join(process.cwd(), '.tessera', `node${index}`),
    genesisSeed: seed,
    genesisAccounts: 1_000,
    tree: { arity: 4, depth: 12 },
    blockMaxTxs: 500,
    sealMs: 150,
    minBlockGapMs: 0,
    // The propose step covers the proposer finishing the previous height and building (a 500-tx
    // block: ~0.1 s, up to ~0.7 s on a saturated 2-core machine); an expired round wastes that
    // work. A proposer that looks down (link lost, or silent since before the previous height) is
    // given only `proposeSilent`, so a crashed validator costs ~0.5 s per turn, not a full step.
    timeouts: {
      ...DEFAULT_TIMEOUTS,
      propose: 1_500,
      proposeSilent: 250,
      prevote: 1_000,
      precommit: 1_000,
      delta: 500,
      max: 10_000,
    },
    rebroadcastMs: 500,
    mempool: DEFAULT_MEMPOOL,
    rpc: { maxBodyBytes: 1 << 20, maxBatch: 100, ratePerSecond: 5_000, burst: 10_000, waitTimeoutMs: 30_000 },
    logLevel: 'info',
    ...overrides,
  };
}

/** Configuration from TESSERA_* environment variables and an optional JSON file (TESSERA_CONFIG). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const e = envSchema.parse(env);
  const file = e.TESSERA_CONFIG ? fileSchema.parse(JSON.parse(readFileSync(e.TESSERA_CONFIG, 'utf8'))) : {};
  const index = e.TESSERA_NODE_INDEX ?? file.index ?? 0;
  const seed = e.TESSERA_DEV_SEED ?? file.p2pSeed ?? DEV_SEED;
  const base = devnetConfig(index, { p2pSeed: seed, genesisSeed: seed });
  const p2pBase = e.TESSERA_P2P_BASE_PORT;
  const rpcBase = e.TESSERA_RPC_BASE_PORT;
  const keys = [0, 1, 2, 3].map((i) => devValidatorKey(seed, i));
  return {
    ...base,
    chainId: e.TESSERA_CHAIN_ID ?? file.chainId ?? base.chainId,
    validatorKey: e.TESSERA_VALIDATOR_KEY
      ? fromHex(e.TESSERA_VALIDATOR_KEY)
      : file.validatorKey
        ? fromHex(file.validatorKey)
        : keys[index]!,
    validators: (file.validators as `0x${string}`[] | undefined) ?? keys.map(addressOfPrivateKey),
    p2pPorts: file.p2pPorts ?? (p2pBase ? [0, 1, 2, 3].map((i) => p2pBase + i) : base.p2pPorts),
    rpcPort: e.TESSERA_RPC_PORT ?? file.rpcPort ?? (rpcBase ? rpcBase + index : base.rpcPort),
    dataDir: e.TESSERA_DATA_DIR ?? file.dataDir ?? base.dataDir,
    genesisAccounts: e.TESSERA_GENESIS_ACCOUNTS ?? base.genesisAccounts,
    sealMs: e.TESSERA_SEAL_MS ?? base.sealMs,
    minBlockGapMs: e.TESSERA_MIN_BLOCK_GAP_MS ?? base.minBlockGapMs,
    logLevel: e.TESSERA_LOG_LEVEL ?? base.logLevel,
    tree: { arity: e.TESSERA_TREE_ARITY ?? base.tree.arity, depth: e.TESSERA_TREE_DEPTH ?? base.tree.depth },
    blockMaxTxs: e.TESSERA_BLOCK_MAX_TXS ?? base.blockMaxTxs,
    timeouts: {
      ...base.timeouts,
      ...(e.TESSERA_TIMEOUT_PROPOSE !== undefined ? { propose: e.TESSERA_TIMEOUT_PROPOSE } : {}),
      ...(e.TESSERA_TIMEOUT_PROPOSE_SILENT !== undefined
        ? { proposeSilent: e.TESSERA_TIMEOUT_PROPOSE_SILENT }
        : {}),
      ...(e.TESSERA_TIMEOUT_PREVOTE !== undefined ? { prevote: e.TESSERA_TIMEOUT_PREVOTE } : {}),
      ...(e.TESSERA_TIMEOUT_PRECOMMIT !== undefined ? { precommit: e.TESSERA_TIMEOUT_PRECOMMIT } : {}),
      ...(e.TESSERA_TIMEOUT_DELTA !== undefined ? { delta: e.TESSERA_TIMEOUT_DELTA } : {}),
      ...(e.TESSERA_TIMEOUT_MAX !== undefined ? { max: e.TESSERA_TIMEOUT_MAX } : {}),
    },
    l1:
      e.TESSERA_L1_RPC && e.TESSERA_BRIDGE_ADDRESS
        ? {
            rpcUrl: e.TESSERA_L1_RPC,
            bridge: e.TESSERA_BRIDGE_ADDRESS as `0x${string}`,
            confirmations: e.TESSERA_DEPOSIT_CONFIRMATIONS ?? 2,
            fromBlock: e.TESSERA_L1_FROM_BLOCK ?? 0n,
            pollMs: 1_000,
          }
        : undefined,
  };
}
