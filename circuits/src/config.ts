import { z } from 'zod';
import { SetupError } from './errors.ts';

/** Shape of one batch circuit: N slots over an A-ary accounts tree of depth D, for one chain. */
export type BatchParams = { slots: number; arity: 2 | 4 | 8; depth: number; chainId: bigint };

export const batchParamsSchema = z
  .object({
    slots: z.number().int().min(1).max(2048),
    arity: z.union([z.literal(2), z.literal(4), z.literal(8)]),
    depth: z.number().int().min(1).max(32),
    chainId: z.bigint().nonnegative(),
  })
  .refine(
    (p) => Math.log2(p.arity) * p.depth <= 32,
    'account indexes must fit the 4-byte record field (log2(A)·D ≤ 32)',
  );

export const DEVNET_CHAIN_ID = 31337n;

/**
 * Named parameter sets. `test` keeps the circuit suite fast; `default` is what `npm run setup` and
 * the prover use unless TESSERA_CIRCUITS says otherwise; `production` is only compiled to count
 * constraints (its setup needs a 2^24+ ceremony, docs/SETUP.md).
 */
export const PARAM_SETS = {
  test: { slots: 2, arity: 4, depth: 3, chainId: DEVNET_CHAIN_ID },
  default: { slots: 4, arity: 8, depth: 8, chainId: DEVNET_CHAIN_ID },
  /** `npm start`: arity 4 because the L1 escape hatch needs an A-input Poseidon on L1 (≤ 6 there). */
  devnet: { slots: 4, arity: 4, depth: 6, chainId: DEVNET_CHAIN_ID },
  production: { slots: 500, arity: 8, depth: 8, chainId: DEVNET_CHAIN_ID },
} as const satisfies Record<string, BatchParams>;

export type ParamSetName = keyof typeof PARAM_SETS;

/**
 * Parse "name" or "NxAxD[@chainId]" (e.g. "8x8x8", "4x4x12@1") into parameters.
 */
export function parseParams(spec: string): BatchParams {
  const named = (PARAM_SETS as Record<string, BatchParams>)[spec];
  if (named) return { ...named };
  const m = /^(\d+)x(\d+)x(\d+)(?:@(\d+))?$/.exec(spec.trim());
  if (!m)
    throw new SetupError(
      'BAD_SPEC',
      `bad circuit spec "${spec}": use a name (${Object.keys(PARAM_SETS).join(', ')}) or NxAxD[@chainId]`,
    );
  return batchParamsSchema.parse({
    slots: Number(m[1]),
    arity: Number(m[2]),
    depth: Number(m[3]),
    chainId: m[4] ? BigInt(m[4]) : DEVNET_CHAIN_ID,
  }) as BatchParams;
}

/** Circuits `npm run setup` prepares: TESSERA_CIRCUITS (comma-separated specs), default "default". */
export function configuredCircuits(env: NodeJS.ProcessEnv = process.env): BatchParams[] {
  const spec = env.TESSERA_CIRCUITS?.trim() || 'default';
  return spec.split(',').map((s) => parseParams(s.trim()));
}

export function paramsLabel(p: BatchParams): string {
  return `N=${p.slots} A=${p.arity} D=${p.depth} chainId=${p.chainId}`;
}
