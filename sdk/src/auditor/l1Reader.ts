// Everything about the L2 chain that can be read from L1 alone: the rollup's configuration, the
// committed batches (events + the `commitBatch` calldata of their transactions), the verified ones,
// the sequencer-set history, the bridge's deposit queue and the exits with their Merkle proofs.
// The auditor, the operator's claimer and users claiming by themselves all read through here.
import {
  type ContractHeader,
  type Exit,
  type Registration,
  exitTree,
  tesseraBridgeAbi,
  tesseraRollupAbi,
} from '@tessera/contracts';
import {
  type AbiEvent,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  decodeFunctionData,
  getAbiItem,
  numberToHex,
  toFunctionSelector,
} from 'viem';

export class L1ReadError extends Error {
  override readonly name = 'L1ReadError';
  readonly code = 'L1_READ';
}

const ev = <N extends string>(abi: readonly unknown[], name: N) =>
  getAbiItem({ abi: abi as never, name } as never) as unknown as AbiEvent;
export const BATCH_COMMITTED = ev(tesseraRollupAbi, 'BatchCommitted');
export const BATCH_VERIFIED = ev(tesseraRollupAbi, 'BatchVerified');
export const BATCHES_REVERTED = ev(tesseraRollupAbi, 'BatchesReverted');
export const SEQUENCER_SET_UPDATED = ev(tesseraRollupAbi, 'SequencerSetUpdated');
export const DEPOSIT_QUEUED = ev(tesseraBridgeAbi, 'DepositQueued');

const COMMIT_SELECTOR = toFunctionSelector(getAbiItem({ abi: tesseraRollupAbi, name: 'commitBatch' }));
const VERIFY_SELECTOR = toFunctionSelector(getAbiItem({ abi: tesseraRollupAbi, name: 'verifyBatch' }));

export type L1Position = { blockNumber: bigint; logIndex: number; txHash: Hex };

export type RollupInfo = {
  rollup: Address;
  bridge: Address;
  verifier: Address;
  l2ChainId: bigint;
  slots: number;
  arity: number;
  depth: number;
  committedHeight: bigint;
  verifiedHeight: bigint;
  genesis: { blockHash: Hex; stateRoot: bigint };
};

export async function readRollupInfo(client: PublicClient, rollup: Address): Promise<RollupInfo> {
  const r = <F extends 'bridge' | 'verifier' | 'l2ChainId' | 'slots' | 'committedHeight' | 'verifiedHeight'>(
    functionName: F,
  ) => client.readContract({ address: rollup, abi: tesseraRollupAbi, functionName });
  const [bridge, verifier, l2ChainId, slots, committedHeight, verifiedHeight, genesis] = await Promise.all([
    r('bridge'),
    r('verifier'),
    r('l2ChainId'),
    r('slots'),
    r('committedHeight'),
    r('verifiedHeight'),
    client.readContract({ address: rollup, abi: tesseraRollupAbi, functionName: 'batch', args: [0n] }),
  ]);
  const [arity, depth] = await Promise.all([
    client.readContract({ address: bridge as Address, abi: tesseraBridgeAbi, functionName: 'arity' }),
    client.readContract({ address: bridge as Address, abi: tesseraBridgeAbi, functionName: 'depth' }),
  ]);
  return {
    rollup,
    bridge: bridge as Address,
    verifier: verifier as Address,
    l2ChainId: l2ChainId as bigint,
    slots: Number(slots),
    arity: Number(arity),
    depth: Number(depth),
    committedHeight: committedHeight as bigint,
    verifiedHeight: verifiedHeight as bigint,
    genesis: { blockHash: genesis.blockHash, stateRoot: genesis.stateRoot },
  };
}

/** First block at which `address` has code (binary search over eth_getCode: ~log2(head) calls). */
export async function findDeploymentBlock(client: PublicClient, address: Address): Promise<bigint> {
  const has = async (b: bigint) => ((await client.getCode({ address, blockNumber: b })) ?? '0x') !== '0x';
  let hi = await client.getBlockNumber({ cacheTime: 0 });
  if (!(await has(hi))) throw new L1ReadError(`no contract at ${address}`);
  let lo = 0n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (await has(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

export type LogRange = { fromBlock?: bigint; toBlock?: bigint; maxRange?: bigint };

/** getLogs in bounded block ranges (public RPCs cap the range). */
export async function getLogsChunked(
  client: PublicClient,
  address: Address,
  event: AbiEvent,
  range: LogRange = {},
  args?: Record<string, unknown>,
): Promise<Log[]> {
  // Never viem's cached head: an audit run right after a transaction must see its block.
  const to = range.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const step = range.maxRange ?? 10_000n;
  const out: Log[] = [];
  for (let from = range.fromBlock ?? 0n; from <= to; from += step) {
    const end = from + step - 1n < to ? from + step - 1n : to;
    out.push(
      ...((await client.getLogs({ address, event, args, fromBlock: from, toBlock: end } as never)) as Log[]),
    );
  }
  return out.sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex! - b.logIndex! : a.blockNumber! < b.blockNumber! ? -1 : 1,
  );
}

const pos = (l: Log): L1Position => ({
  blockNumber: l.blockNumber!,
  logIndex: l.logIndex!,
  txHash: l.transactionHash!,
});
const before = (a: L1Position, b: L1Position) =>
  a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

export type CommitCall = {
  header: ContractHeader;
  depositCount: number;
  records: Hex;
  registrations: Hex;
  exits: Hex;
  certificate: { round: number; signatures: Hex };
};

export type CommittedBatch = {
  height: bigint;
  blockHash: Hex;
  stateRoot: bigint;
  publicInput: bigint;
  exitRoot: Hex;
  depositStart: bigint;
  depositCount: number;
  exitCount: number;
  at: L1Position;
};

type CallFrame = { to?: string; input?: string; calls?: CallFrame[] };

/** Calls into `rollup` with `selector` made by transaction `txHash`: its input, or the trace's (contract submitters). */
async function callInputs(client: PublicClient, txHash: Hex, rollup: Address, selector: Hex): Promise<Hex[]> {
  const tx = await client.getTransaction({ hash: txHash });
  if (tx.to?.toLowerCase() === rollup.toLowerCase() && tx.input.startsWith(selector)) return [tx.input];
  let trace: CallFrame;
  try {
    trace = (await client.request({
      method: 'debug_traceTransaction' as never,
      params: [txHash, { tracer: 'callTracer' }] as never,
    })) as CallFrame;
  } catch (err) {
    throw new L1ReadError(
      `transaction ${txHash} called the rollup through a contract and the node cannot trace it: ${(err as Error).message}`,
    );
  }
  const found: Hex[] = [];
  const walk = (f: CallFrame) => {
    if (f.to?.toLowerCase() === rollup.toLowerCase() && f.input?.startsWith(selector))
      found.push(f.input as Hex);
    for (const c of f.calls ?? []) walk(c);
  };
  walk(trace);
  return found;
}

/** The `commitBatch` arguments that committed `height` in transaction `txHash`. */
export async function readCommitCall(
  client: PublicClient,
  rollup: Address,
  txHash: Hex,
  height: bigint,
): Promise<CommitCall> {
  for (const input of await callInputs(client, txHash, rollup, COMMIT_SELECTOR)) {
    const { args } = decodeFunctionData({ abi: tesseraRollupAbi, data: input });
    const [header, depositCount, records, registrations, exits, certificate] = args as unknown as [
      CommitCall['header'],
      number,
      Hex,
      Hex,
      Hex,
      CommitCall['certificate'],
    ];
    if (header.height === height) return { header, depositCount, records, registrations, exits, certificate };
  }
  throw new L1ReadError(`transaction ${txHash} has no commitBatch call for height ${height}`);
}

export type ProofCall = {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
};

export async function readVerifyCall(
  client: PublicClient,
  rollup: Address,
  txHash: Hex,
  height: bigint,
): Promise<ProofCall> {
  for (const input of await callInputs(client, txHash, rollup, VERIFY_SELECTOR)) {
    const { args } = decodeFunctionData({ abi: tesseraRollupAbi, data: input });
    const [h, proof] = args as unknown as [bigint, ProofCall];
    if (h === height) return proof;
  }
  throw new L1ReadError(`transaction ${txHash} has no verifyBatch call for height ${height}`);
}

/** A decoded BatchCommitted log. */
export function committedFromLog(l: Log): CommittedBatch {
  const a = (l as unknown as { args: Record<string, unknown> }).args;
  return {
    height: a.height as bigint,
    blockHash: a.blockHash as Hex,
    stateRoot: a.stateRoot as bigint,
    publicInput: a.publicInput as bigint,
    exitRoot: a.exitRoot as Hex,
    depositStart: a.depositStart as bigint,
    depositCount: Number(a.depositCount),
    exitCount: Number(a.exitCount),
    at: pos(l),
  };
}

/**
 * The canonical committed batches (heights 1..committed head): BatchesReverted drops batches, so for
 * each height the last commit event wins. Also returns the dropped ones for the report.
 */
export async function readCommittedBatches(
  client: PublicClient,
  rollup: Address,
  range: LogRange = {},
): Promise<{ batches: CommittedBatch[]; reverted: CommittedBatch[] }> {
  const [commits, reverts] = await Promise.all([
    getLogsChunked(client, rollup, BATCH_COMMITTED, range),
    getLogsChunked(client, rollup, BATCHES_REVERTED, range),
  ]);
  const events = [
    ...commits.map((l) => ({ at: pos(l), commit: committedFromLog(l) })),
    ...reverts.map((l) => {
      const a = (l as unknown as { args: { toHeight: bigint } }).args;
      return { at: pos(l), revertTo: a.toHeight };
    }),
  ].sort((x, y) => (before(x.at, y.at) ? -1 : 1));
  const chain = new Map<bigint, CommittedBatch>();
  const reverted: CommittedBatch[] = [];
  for (const e of events) {
    if ('commit' in e && e.commit) chain.set(e.commit.height, e.commit);
    else if ('revertTo' in e) {
      for (const [h, b] of chain) {
        if (h > e.revertTo!) {
          reverted.push(b);
          chain.delete(h);
        }
      }
    }
  }
  return { batches: [...chain.values()].sort((a, b) => (a.height < b.height ? -1 : 1)), reverted };
}

/** The canonical commit event of one height (the latest one). */
export async function readCommittedBatch(
  client: PublicClient,
  rollup: Address,
  height: bigint,
  range: LogRange = {},
): Promise<CommittedBatch | undefined> {
  const logs = await getLogsChunked(client, rollup, BATCH_COMMITTED, range, { height });
  const last = logs[logs.length - 1];
  return last ? committedFromLog(last) : undefined;
}

export type VerifiedBatch = { height: bigint; stateRoot: bigint; submitter: Address; at: L1Position };

export async function readVerifiedBatches(
  client: PublicClient,
  rollup: Address,
  range: LogRange = {},
): Promise<Map<bigint, VerifiedBatch>> {
  const out = new Map<bigint, VerifiedBatch>();
  for (const l of await getLogsChunked(client, rollup, BATCH_VERIFIED, range)) {
    const a = (l as unknown as { args: { height: bigint; stateRoot: bigint; submitter: Address } }).args;
    out.set(a.height, { height: a.height, stateRoot: a.stateRoot, submitter: a.submitter, at: pos(l) });
  }
  return out;
}

export type SequencerSet = { epoch: bigint; members: Address[]; at: L1Position };

export async function readSequencerSets(
  client: PublicClient,
  rollup: Address,
  range: LogRange = {},
): Promise<SequencerSet[]> {
  return (await getLogsChunked(client, rollup, SEQUENCER_SET_UPDATED, range)).map((l) => {
    const a = (l as unknown as { args: { epoch: bigint; sequencers: readonly Address[] } }).args;
    return { epoch: a.epoch, members: a.sequencers.map((s) => s.toLowerCase() as Address), at: pos(l) };
  });
}

/** The set in force for an event at `at` (the last update before it). */
export function sequencerSetAt(sets: readonly SequencerSet[], at: L1Position): SequencerSet | undefined {
  let current: SequencerSet | undefined;
  for (const s of sets) if (before(s.at, at)) current = s;
  return current;
}

export type QueuedDeposit = {
  queueIndex: bigint;
  depositor: Address;
  toIndex: number;
  assetId: number;
  token: Address;
  amount: bigint;
  element: bigint;
  at: L1Position;
};

export async function readDeposits(
  client: PublicClient,
  bridge: Address,
  range: LogRange = {},
): Promise<Map<bigint, QueuedDeposit>> {
  const out = new Map<bigint, QueuedDeposit>();
  for (const l of await getLogsChunked(client, bridge, DEPOSIT_QUEUED, range)) {
    const a = (l as unknown as { args: Record<string, unknown> }).args;
    out.set(a.queueIndex as bigint, {
      queueIndex: a.queueIndex as bigint,
      depositor: (a.depositor as string).toLowerCase() as Address,
      toIndex: Number(a.toIndex),
      assetId: Number(a.assetId),
      token: a.token as Address,
      amount: a.amount as bigint,
      element: a.element as bigint,
      at: pos(l),
    });
  }
  return out;
}

/** Splits the packed calldata of a commit (docs/CONTRACTS.md shapes). */
export function decodeBatchBytes(call: Pick<CommitCall, 'records' | 'registrations' | 'exits'>): {
  records: bigint[];
  registrations: Registration[];
  exits: Exit[];
} {
  const body = (h: Hex, unit: number, what: string) => {
    const s = h.slice(2);
    if (s.length % (unit * 2) !== 0)
      throw new L1ReadError(`${what} length ${s.length / 2} is not a multiple of ${unit}`);
    return s.match(new RegExp(`.{${unit * 2}}`, 'g')) ?? [];
  };
  return {
    records: body(call.records, 14, 'records').map((x) => BigInt(`0x${x}`)),
    registrations: body(call.registrations, 84, 'registrations').map((x) => ({
      ax: BigInt(`0x${x.slice(0, 64)}`),
      ay: BigInt(`0x${x.slice(64, 128)}`),
      ethAddress: `0x${x.slice(128)}` as Address,
    })),
    exits: body(call.exits, 40, 'exits').map((x) => ({
      recipient: `0x${x.slice(0, 40)}` as Address,
      assetId: Number.parseInt(x.slice(40, 48), 16),
      amount: BigInt(`0x${x.slice(48)}`),
    })),
  };
}

export type ClaimableExit = {
  height: bigint;
  j: number;
  exit: Exit;
  proof: Hex[];
  claimed: boolean;
  verified: boolean;
};

/** The exits of committed batch `height`, with their Merkle proofs, rebuilt from the commit calldata. */
export async function readBatchExits(
  client: PublicClient,
  rollup: Address,
  bridge: Address,
  height: bigint,
  range: LogRange = {},
  known?: CommittedBatch,
): Promise<ClaimableExit[]> {
  const committed = known ?? (await readCommittedBatch(client, rollup, height, range));
  if (!committed) throw new L1ReadError(`batch ${height} is not committed`);
  if (committed.exitCount === 0) return [];
  const call = await readCommitCall(client, rollup, committed.at.txHash, height);
  const { exits } = decodeBatchBytes(call);
  const tree = exitTree(exits, height);
  if (tree.root !== committed.exitRoot)
    throw new L1ReadError(
      `batch ${height}: calldata exits give root ${tree.root}, the rollup stored ${committed.exitRoot}`,
    );
  const verifiedHeight = await client.readContract({
    address: rollup,
    abi: tesseraRollupAbi,
    functionName: 'verifiedHeight',
  });
  return Promise.all(
    exits.map(async (exit, j) => ({
      height,
      j,
      exit,
      proof: tree.proof(j),
      verified: height <= verifiedHeight,
      claimed: await client.readContract({
        address: bridge,
        abi: tesseraBridgeAbi,
        functionName: 'isClaimed',
        args: [height, j],
      }),
    })),
  );
}

/** Every exit paid to `recipient` in batches from `fromHeight` on (claimed or not), from L1 alone. */
export async function findExits(
  client: PublicClient,
  o: { rollup: Address; bridge: Address; recipient: Address; fromHeight?: bigint } & LogRange,
): Promise<ClaimableExit[]> {
  const { batches } = await readCommittedBatches(client, o.rollup, o);
  const out: ClaimableExit[] = [];
  const me = o.recipient.toLowerCase();
  for (const b of batches) {
    if (b.exitCount === 0 || b.height < (o.fromHeight ?? 1n)) continue;
    for (const e of await readBatchExits(client, o.rollup, o.bridge, b.height, o))
      if (e.exit.recipient.toLowerCase() === me) out.push(e);
  }
  return out;
}

/** `claim(...)` arguments of one exit. */
export function claimArgs(e: Pick<ClaimableExit, 'height' | 'j' | 'exit' | 'proof'>) {
  return [e.height, e.j, e.exit.recipient, e.exit.assetId, e.exit.amount, e.proof] as const;
}

export const addressFromUint = (v: bigint): Address => numberToHex(v, { size: 20 }) as Address;
