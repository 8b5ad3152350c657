// Where the poster gets committed L2 blocks: the sequencers' JSON-RPC (docs/RPC.md), with failover
// across endpoints. A block is only useful with its commit certificate, which L1 checks.
import { type BlockHeader, type Tx, blockHash, headerToJson, txFromJson, txToJson } from '@tessera/core';
import type { Address, Hex } from 'viem';
import { z } from 'zod';
import { BlockSourceError } from './errors.ts';

export type CertificateSignature = { validator?: Address; signature: Hex };

/** ≥ 3 precommit signatures over `voteDigest(chainId, height, round, valueHash)`. */
export type BlockCertificate = {
  height: bigint;
  round: number;
  valueHash: Hex;
  signatures: CertificateSignature[];
};

export type CertifiedBlock = { hash: Hex; header: BlockHeader; txs: Tx[]; certificate: BlockCertificate };

export interface BlockSource {
  /** Height of the highest committed block. */
  head(): Promise<bigint>;
  /** The committed block at `height` with its certificate, or null if not (yet) known. */
  block(height: bigint): Promise<CertifiedBlock | null>;
}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const bigintLike = z
  .union([z.string().regex(/^(0|[1-9][0-9]*)$/), z.number().int().nonnegative(), z.bigint()])
  .transform((v) => BigInt(v));
const sig65 = z.string().regex(/^0x[0-9a-fA-F]{130}$/);

const HeaderSchema = z.object({
  chainId: bigintLike,
  height: bigintLike,
  parentHash: hex32,
  prevStateRoot: bigintLike,
  stateRoot: bigintLike,
  dataHash: hex32,
  dataCommitment: bigintLike,
  depositStart: bigintLike,
  depositCount: bigintLike.transform(Number),
  timestamp: bigintLike,
});

const CertificateSchema = z.object({
  height: bigintLike,
  round: bigintLike.transform(Number),
  valueHash: hex32,
  signatures: z.union([
    z.array(
      z.union([
        sig65.transform((signature) => ({ signature })),
        z.object({
          validator: z
            .string()
            .regex(/^0x[0-9a-fA-F]{40}$/)
            .optional(),
          signature: sig65,
        }),
      ]),
    ),
    // concatenated 65-byte signatures, as L1 takes them
    z
      .string()
      .regex(/^0x([0-9a-fA-F]{130})*$/)
      .transform((s) => (s.slice(2).match(/.{130}/g) ?? []).map((x) => ({ signature: `0x${x}` }))),
  ]),
});

const BlockSchema = z.object({
  hash: hex32,
  header: HeaderSchema,
  txs: z.array(z.unknown()),
  certificate: CertificateSchema,
});

/** Parses the `tessera_getBlockByNumber(h, true)` result; checks the hash and that the certificate is for it. */
export function parseCertifiedBlock(json: unknown): CertifiedBlock {
  const parsed = BlockSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BlockSourceError(`malformed block at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const b = parsed.data;
  const header = {
    ...b.header,
    parentHash: b.header.parentHash.toLowerCase() as Hex,
    dataHash: b.header.dataHash.toLowerCase() as Hex,
  };
  const hash = blockHash(header);
  if (hash !== b.hash.toLowerCase())
    throw new BlockSourceError(
      `block ${header.height}: hash ${b.hash} is not the hash of its header (${hash})`,
    );
  const c = b.certificate;
  if (c.height !== header.height || c.valueHash.toLowerCase() !== hash) {
    throw new BlockSourceError(
      `block ${header.height}: certificate is for ${c.height}/${c.valueHash}, not this block`,
    );
  }
  let txs: Tx[];
  try {
    txs = b.txs.map((t) => txFromJson(t));
  } catch (err) {
    throw new BlockSourceError(`block ${header.height}: ${(err as Error).message}`, { cause: err });
  }
  return {
    hash,
    header,
    txs,
    certificate: {
      height: c.height,
      round: c.round,
      valueHash: hash,
      signatures: c.signatures.map((s) => ({
        signature: s.signature.toLowerCase() as Hex,
        ...('validator' in s && s.validator ? { validator: s.validator.toLowerCase() as Address } : {}),
      })),
    },
  };
}

/** The wire form the poster expects (what a sequencer's `tessera_getBlockByNumber(h, true)` returns). */
export function certifiedBlockToJson(b: CertifiedBlock) {
  return {
    hash: b.hash,
    header: headerToJson(b.header),
    txHashes: [] as Hex[],
    txs: b.txs.map((t) => txToJson(t)),
    certificate: {
      height: b.certificate.height.toString(),
      round: b.certificate.round,
      valueHash: b.certificate.valueHash,
      signatures: b.certificate.signatures,
    },
  };
}

type RpcResponse = { result?: unknown; error?: { code: number; message: string } };

/**
 * Sequencer JSON-RPC client for blocks. Calls go to the last endpoint that answered; on a network
 * error, an HTTP error or a JSON-RPC error it moves on to the next one. A node that does not have
 * a block yet (lagging) answers null, and the next node is asked too.
 */
export class RpcBlockSource implements BlockSource {
  private current = 0;
  private id = 0;

  constructor(
    readonly endpoints: readonly string[],
    private readonly options: { timeoutMs?: number } = {},
  ) {
    if (endpoints.length === 0) throw new BlockSourceError('at least one sequencer RPC endpoint is required');
  }

  private async callOne(url: string, method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new BlockSourceError(`${url} answered HTTP ${res.status}`);
    const body = (await res.json()) as RpcResponse;
    if (body.error)
      throw new BlockSourceError(`${url}: ${method} failed: ${body.error.message} (${body.error.code})`);
    return body.result;
  }

  /** First non-null answer, starting at the current endpoint; null if every reachable node says null. */
  private async call(method: string, params: unknown[], acceptNull: boolean): Promise<unknown> {
    const errors: string[] = [];
    let sawNull = false;
    for (let i = 0; i < this.endpoints.length; i++) {
      const idx = (this.current + i) % this.endpoints.length;
      const url = this.endpoints[idx]!;
      try {
        const result = await this.callOne(url, method, params);
        if (result === null && acceptNull) {
          sawNull = true;
          continue;
        }
        this.current = idx;
        return result;
      } catch (err) {
        errors.push(`${url}: ${(err as Error).message}`);
      }
    }
    if (sawNull) return null;
    throw new BlockSourceError(`no sequencer answered ${method}: ${errors.join('; ')}`);
  }

  async head(): Promise<bigint> {
    const result = await this.call('tessera_blockNumber', [], false);
    const parsed = bigintLike.safeParse(result);
    if (!parsed.success) throw new BlockSourceError(`tessera_blockNumber returned ${JSON.stringify(result)}`);
    return parsed.data;
  }

  async block(height: bigint): Promise<CertifiedBlock | null> {
    const result = await this.call('tessera_getBlockByNumber', [height.toString(), true], true);
    if (result === null) return null;
    const block = parseCertifiedBlock(result);
    if (block.header.height !== height)
      throw new BlockSourceError(`asked for block ${height}, got ${block.header.height}`);
    return block;
  }
}
