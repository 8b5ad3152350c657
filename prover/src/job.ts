import { type PreStateWitness, extractPreState } from '@tessera/circuits';
/**
 * A proving job: one committed block, the pre-state witness the prover needs (the accounts and
 * tree nodes its transactions touch, the notes / key-image accumulators and the observer key in
 * force) and the chain parameters (with the assets' denominations and the privacy parameters). Everything is JSON so a job can be
 * written by the sequencer and read by any prover process.
 */
import {
  type Block,
  type BlockContext,
  type ChainParams,
  type ExecutedBlock,
  type L2State,
  type Point,
  type Tx,
  decodeBlock,
  encodeBlock,
  executeBlock,
  fromHex,
  toHex,
} from '@tessera/core';
import { z } from 'zod';

const decimal = z.string().regex(/^\d+$/, 'a decimal integer string');
const point = z.tuple([decimal, decimal]);

export const chainParamsSchema = z.object({
  chainId: decimal,
  tree: z.object({
    arity: z.union([z.literal(2), z.literal(4), z.literal(8)]),
    depth: z.number().int().min(1).max(64),
  }),
  assets: z.array(
    z.object({
      assetId: z.number().int().nonnegative(),
      symbol: z.string(),
      decimals: z.number().int().nonnegative(),
      issuerIndex: z.number().int().nonnegative(),
      maxSupply: decimal,
      policyFlags: z.number().int().nonnegative(),
      /** Note values (absent: the asset has no privacy). */
      denominations: z.array(decimal).optional(),
    }),
  ),
  privacy: z
    .object({
      regulatorAdmin: point.optional(),
      genesisObserverKey: point.optional(),
      minRingSize: z.number().int().nonnegative(),
      maxRingSize: z.number().int().nonnegative(),
    })
    .optional(),
});

const accountSchema = z.object({
  index: z.number().int().nonnegative(),
  publicKey: z.tuple([decimal, decimal]),
  ethAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  assetId: z.number().int().nonnegative(),
  nonce: decimal,
  accountType: z.number().int().nonnegative(),
  kycLevel: z.number().int().nonnegative(),
  flags: z.number().int().nonnegative(),
  balance: decimal,
});

export const preStateSchema = z.object({
  accountsRoot: decimal,
  nextIndex: z.number().int().positive(),
  nextDepositIndex: decimal,
  notesRoot: decimal,
  keyImagesRoot: decimal,
  observerKey: z.object({ epoch: decimal, key: point }).nullable(),
  accounts: z.array(accountSchema),
  nodes: z.array(z.tuple([z.number().int().nonnegative(), decimal, decimal])),
});

export const proveJobSchema = z.object({
  version: z.literal(1),
  height: decimal,
  /** core's binary block encoding, hex. */
  block: z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'hex bytes'),
  preState: preStateSchema,
  chain: chainParamsSchema,
});

export type ProveJob = z.infer<typeof proveJobSchema>;

export type ProofResult = {
  height: string;
  prevStateRoot: string;
  stateRoot: string;
  publicInput: string;
  proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[]; protocol: string; curve: string };
  publicSignals: string[];
  /** Arguments of the Solidity verifier's verifyProof (decimal strings). */
  solidity: { a: string[]; b: string[][]; c: string[]; input: string[] };
  circuit: { hash: string; slots: number; arity: number; depth: number };
  timings: Record<string, number>;
};

/** Queue id of a block: zero-padded height, so ids sort in block order. */
export function jobId(height: bigint | string): string {
  return `block-${BigInt(height).toString().padStart(12, '0')}`;
}

const pointToJson = (p: Point): [string, string] => [p[0].toString(), p[1].toString()];
const pointFromJson = (p: [string, string]): Point => [BigInt(p[0]), BigInt(p[1])];

export function chainParamsToJson(p: ChainParams): ProveJob['chain'] {
  const j: ProveJob['chain'] = {
    chainId: p.chainId.toString(),
    tree: { arity: p.tree.arity, depth: p.tree.depth },
    assets: p.assets.map(({ denominations, ...a }) => ({
      ...a,
      maxSupply: a.maxSupply.toString(),
      ...(denominations ? { denominations: denominations.map((d) => d.toString()) } : {}),
    })),
  };
  if (p.privacy) {
    const { regulatorAdmin, genesisObserverKey, minRingSize, maxRingSize } = p.privacy;
    j.privacy = {
      ...(regulatorAdmin ? { regulatorAdmin: pointToJson(regulatorAdmin) } : {}),
      ...(genesisObserverKey ? { genesisObserverKey: pointToJson(genesisObserverKey) } : {}),
      minRingSize,
      maxRingSize,
    };
  }
  return j;
}

export function chainParamsFromJson(j: ProveJob['chain']): ChainParams {
  const p: ChainParams = {
    chainId: BigInt(j.chainId),
    tree: j.tree,
    assets: j.assets.map(({ denominations, ...a }) => ({
      ...a,
      maxSupply: BigInt(a.maxSupply),
      ...(denominations ? { denominations: denominations.map((d) => BigInt(d)) } : {}),
    })),
  };
  if (j.privacy) {
    const { regulatorAdmin, genesisObserverKey, minRingSize, maxRingSize } = j.privacy;
    p.privacy = {
      ...(regulatorAdmin ? { regulatorAdmin: pointFromJson(regulatorAdmin) } : {}),
      ...(genesisObserverKey ? { genesisObserverKey: pointFromJson(genesisObserverKey) } : {}),
      minRingSize,
      maxRingSize,
    };
  }
  return p;
}

/** The job for `block` from its pre-state witness (see `extractPreState`). */
export function buildProveJob(preState: PreStateWitness, chain: ChainParams, block: Block): ProveJob {
  return {
    version: 1,
    height: block.header.height.toString(),
    block: toHex(encodeBlock(block)),
    preState,
    chain: chainParamsToJson(chain),
  };
}

/**
 * Sequencer side: execute `txs` on `state` with core (advancing it) and return the block with its
 * proving job. The pre-state witness is taken before execution.
 */
export function executeWithProveJob(
  state: L2State,
  txs: readonly Tx[],
  ctx: BlockContext,
): { executed: ExecutedBlock; job: ProveJob } {
  const preState = extractPreState(state, txs);
  const executed = executeBlock(state, txs, ctx);
  return { executed, job: buildProveJob(preState, state.params, executed.block) };
}

export function decodeJobBlock(job: ProveJob): Block {
  return decodeBlock(fromHex(job.block as `0x${string}`));
}
