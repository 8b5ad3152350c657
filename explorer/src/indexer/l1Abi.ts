import { type Abi, parseAbi } from 'viem';

/*
 * The L1 events the explorer follows. `resolveL1Abis` prefers the ABIs exported by
 * `@tessera/contracts`; these declarations (the same event signatures as
 * contracts/src/TesseraRollup.sol and TesseraBridge.sol) are the fallback when that package
 * cannot be loaded. The normalizers map argument names onto the explorer's records, so renamed
 * arguments degrade gracefully instead of silently dropping events.
 */
export const FALLBACK_ROLLUP_ABI = parseAbi([
  'event BatchCommitted(uint64 indexed height, bytes32 indexed blockHash, uint256 stateRoot, uint256 publicInput, bytes32 exitRoot, uint64 depositStart, uint32 depositCount, uint32 exitCount)',
  'event BatchVerified(uint64 indexed height, uint256 stateRoot, address indexed submitter)',
  'event BatchesReverted(uint64 fromHeight, uint64 toHeight)',
]);

export const FALLBACK_BRIDGE_ABI = parseAbi([
  'event DepositQueued(uint64 indexed queueIndex, address indexed depositor, uint32 indexed toIndex, uint32 assetId, address token, uint256 amount, uint256 element)',
  'event ExitClaimed(uint64 indexed height, uint32 indexed j, address indexed recipient, uint32 assetId, uint256 amount, address caller)',
  'event DepositReclaimed(uint64 indexed queueIndex, address indexed depositor, uint32 assetId, uint256 amount)',
]);

export type L1Abis = { rollup: Abi; bridge: Abi; source: string };

/** Find a rollup and a bridge ABI among a module's exports (`tesseraRollupAbi`, `RollupArtifact.abi`, …). */
export function pickAbis(mod: Record<string, unknown>): { rollup?: Abi; bridge?: Abi } {
  const find = (re: RegExp) => {
    for (const [name, value] of Object.entries(mod)) {
      if (!re.test(name)) continue;
      if (Array.isArray(value)) return value as Abi;
      if (value && typeof value === 'object' && Array.isArray((value as { abi?: unknown }).abi))
        return (value as { abi: Abi }).abi;
    }
    return undefined;
  };
  return { rollup: find(/rollup\w*(abi|artifact)$/i), bridge: find(/bridge\w*(abi|artifact)$/i) };
}

export async function resolveL1Abis(explicit: { rollupAbi?: Abi; bridgeAbi?: Abi } = {}): Promise<L1Abis> {
  if (explicit.rollupAbi && explicit.bridgeAbi)
    return { rollup: explicit.rollupAbi, bridge: explicit.bridgeAbi, source: 'options' };
  let fromPackage: { rollup?: Abi; bridge?: Abi } = {};
  // The ABI module alone first: the package root also loads the compiler and deployment code.
  for (const specifier of ['@tessera/contracts/abi', '@tessera/contracts']) {
    try {
      fromPackage = pickAbis((await import(specifier)) as Record<string, unknown>);
      if (fromPackage.rollup && fromPackage.bridge) break;
    } catch {
      // not available in this installation: fall back
    }
  }
  return {
    rollup: explicit.rollupAbi ?? fromPackage.rollup ?? FALLBACK_ROLLUP_ABI,
    bridge: explicit.bridgeAbi ?? fromPackage.bridge ?? FALLBACK_BRIDGE_ABI,
    source: fromPackage.rollup || fromPackage.bridge ? '@tessera/contracts' : 'fallback',
  };
}

export type L1Event =
  | { kind: 'commit'; height: bigint; blockHash?: string }
  | { kind: 'verify'; height: bigint }
  | {
      kind: 'deposit';
      queueIndex: bigint;
      depositor?: string;
      to?: number;
      assetId?: number;
      amount?: bigint;
    }
  | { kind: 'claim'; height?: bigint; j?: number; recipient?: string; assetId?: number; amount?: bigint }
  /** Committed, unverified batches in (toHeight, fromHeight] were dropped. */
  | { kind: 'revert'; fromHeight: bigint; toHeight: bigint }
  /** A deposit no batch consumed was paid back on L1 (after a freeze). */
  | { kind: 'reclaim'; queueIndex: bigint };

type Args = Record<string, unknown>;

function pick(args: Args, names: readonly string[]): unknown {
  for (const n of names) if (args[n] !== undefined) return args[n];
  return undefined;
}
const big = (v: unknown) => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined);
const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : undefined);

const HEIGHT = ['height', 'batch', 'batchNumber', 'batchId', 'blockHeight', 'l2Block', 'number'];

/** Map a decoded event onto what the explorer tracks; undefined for events it does not follow. */
export function normalizeL1Event(eventName: string, rawArgs: unknown): L1Event | undefined {
  const args = (rawArgs && typeof rawArgs === 'object' && !Array.isArray(rawArgs) ? rawArgs : {}) as Args;
  if (/^(Batch|Block)(Committed|Commit|Submitted)$/.test(eventName)) {
    const height = big(pick(args, HEIGHT));
    return height === undefined
      ? undefined
      : { kind: 'commit', height, blockHash: str(pick(args, ['blockHash', 'hash'])) };
  }
  if (/^(Batch|Block)(Verified|Proven|Finalized)$/.test(eventName)) {
    const height = big(pick(args, HEIGHT));
    return height === undefined ? undefined : { kind: 'verify', height };
  }
  if (/^(Batch|Block)(es|s)?Reverted$/.test(eventName)) {
    const fromHeight = big(pick(args, ['fromHeight', 'from']));
    const toHeight = big(pick(args, ['toHeight', 'to']));
    return fromHeight === undefined || toHeight === undefined
      ? undefined
      : { kind: 'revert', fromHeight, toHeight };
  }
  if (/^Deposit(Reclaimed|Refunded)$/.test(eventName)) {
    const queueIndex = big(pick(args, ['queueIndex', 'depositIndex', 'index']));
    return queueIndex === undefined ? undefined : { kind: 'reclaim', queueIndex };
  }
  if (/^Deposit(ed|Queued)?$/.test(eventName)) {
    const queueIndex = big(pick(args, ['queueIndex', 'depositIndex', 'index', 'id', 'nonce']));
    if (queueIndex === undefined) return undefined;
    return {
      kind: 'deposit',
      queueIndex,
      depositor: str(pick(args, ['depositor', 'from', 'sender'])),
      to: num(pick(args, ['toIndex', 'to', 'toAccount', 'accountIndex', 'account'])),
      assetId: num(pick(args, ['assetId', 'asset', 'tokenId'])),
      amount: big(pick(args, ['amount', 'value'])),
    };
  }
  if (/^(Claim|Claimed|WithdrawalClaimed|ExitClaimed|Withdrawn)$/.test(eventName)) {
    return {
      kind: 'claim',
      height: big(pick(args, HEIGHT)),
      j: num(pick(args, ['index', 'exitIndex', 'j', 'leafIndex'])),
      recipient: str(pick(args, ['recipient', 'to', 'account'])),
      assetId: num(pick(args, ['assetId', 'asset', 'tokenId'])),
      amount: big(pick(args, ['amount', 'value'])),
    };
  }
  return undefined;
}
