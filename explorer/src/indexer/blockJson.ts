import { type BlockHeader, GENESIS_PARENT_HASH, type Hex } from '@tessera/core';
import { z } from 'zod';
import { BlockRejectedError } from '../errors.ts';
import type { CertificateSummary } from '../store/records.ts';

const uint = z
  .union([z.string().regex(/^[0-9]{1,78}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((s) => s.toLowerCase() as Hex);

const HeaderSchema = z.object({
  chainId: uint,
  height: uint,
  parentHash: hash32,
  prevStateRoot: uint,
  stateRoot: uint,
  dataHash: hash32,
  dataCommitment: uint,
  depositStart: uint,
  depositCount: uint,
  timestamp: uint,
});

/** `tessera_getBlockByNumber(h, true)` (docs/RPC.md); unknown extra fields are ignored. */
const RpcBlockSchema = z.object({
  hash: hash32,
  header: HeaderSchema,
  txHashes: z.array(hash32),
  txs: z.array(z.record(z.unknown())).optional(),
  certificate: z.unknown().optional(),
});

export type RpcBlock = {
  hash: Hex;
  header: BlockHeader;
  headerJson: Record<string, string | number>;
  txHashes: Hex[];
  txs: Record<string, unknown>[];
  certificate: CertificateSummary | null;
};

export function parseRpcBlock(json: unknown): RpcBlock {
  const parsed = RpcBlockSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BlockRejectedError(
      `malformed block from node at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const b = parsed.data;
  const h = b.header;
  if (!b.txs)
    throw new BlockRejectedError(`block ${h.height} came without transactions (includeTxs ignored?)`);
  if (b.txs.length !== b.txHashes.length) {
    throw new BlockRejectedError(
      `block ${h.height} has ${b.txs.length} transactions but ${b.txHashes.length} hashes`,
    );
  }
  const header: BlockHeader = {
    chainId: h.chainId,
    height: h.height,
    parentHash: h.parentHash,
    prevStateRoot: h.prevStateRoot,
    stateRoot: h.stateRoot,
    dataHash: h.dataHash,
    dataCommitment: h.dataCommitment,
    depositStart: h.depositStart,
    depositCount: Number(h.depositCount),
    timestamp: h.timestamp,
  };
  const headerJson = Object.fromEntries(
    Object.entries(header).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
  ) as Record<string, string | number>;
  return {
    hash: b.hash,
    header,
    headerJson,
    txHashes: b.txHashes,
    txs: b.txs,
    certificate: certificateSummary(b.certificate),
  };
}

function certificateSummary(cert: unknown): CertificateSummary | null {
  if (!cert || typeof cert !== 'object') return null;
  const c = cert as { round?: unknown; signatures?: unknown };
  const signers = Array.isArray(c.signatures)
    ? c.signatures.map((s) =>
        s && typeof s === 'object' && 'validator' in s
          ? String((s as { validator: unknown }).validator)
          : '?',
      )
    : [];
  return { round: typeof c.round === 'number' ? c.round : Number(c.round ?? 0) || 0, signers };
}

export const isGenesisParent = (h: Hex) => h.toLowerCase() === GENESIS_PARENT_HASH;
