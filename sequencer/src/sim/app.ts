import { Reader, Writer } from '../consensus/codec.ts';
import { keccak } from '../consensus/crypto.ts';
import type { CommitCertificate, ConsensusApp, Hex } from '../consensus/types.ts';

/** A simulated block: the transaction ids it includes plus fields that make each proposal unique. */
export interface SimValue {
  height: bigint;
  proposer: number;
  round: number;
  nonce: number;
  /** Set by a Byzantine proposer to test that invalid proposals are never decided. */
  invalid: boolean;
  txs: number[];
}

export function encodeSimValue(v: SimValue): Uint8Array {
  const w = new Writer(24 + 4 * v.txs.length);
  w.u64(v.height)
    .u8(v.proposer)
    .u32(v.round)
    .u32(v.nonce)
    .u8(v.invalid ? 1 : 0)
    .u32(v.txs.length);
  for (const t of v.txs) w.u32(t);
  return w.finish();
}

export function decodeSimValue(bytes: Uint8Array): SimValue {
  const r = new Reader(bytes);
  const height = r.u64();
  const proposer = r.u8();
  const round = r.u32();
  const nonce = r.u32();
  const invalid = r.u8() === 1;
  const n = r.u32();
  if (n > 10_000) throw new RangeError('too many txs');
  const txs: number[] = [];
  for (let i = 0; i < n; i++) txs.push(r.u32());
  r.end();
  return { height, proposer, round, nonce, invalid, txs };
}

export interface SimBlock {
  height: bigint;
  hash: Hex;
  value: Uint8Array;
  certificate: CommitCertificate;
  txs: number[];
}

/** What survives a simulated crash: the chain (the consensus store lives beside it). */
export interface SimChain {
  blocks: SimBlock[];
  included: Set<number>;
}

export interface SimAppHost {
  index: number;
  chain: SimChain;
  /** Volatile mempool: tx id → arrival time. */
  pending: Map<number, number>;
  now(): number;
  nextNonce(): number;
  /** Ask to be told (notifyValueAvailable) at `at`. */
  wakeAt(at: number): void;
  verifyCertificate(cert: CommitCertificate): void;
  onCommitted(block: SimBlock): void;
}

/**
 * The application side of a simulated node: a ledger of tx ids with the sealing policy of the
 * real node (a block when `maxTxs` are pending or the oldest has waited `sealMs`; nothing while
 * idle) and validity rules (right height, no duplicates, no empty or flagged blocks).
 */
export class SimApp implements ConsensusApp {
  constructor(
    private readonly host: SimAppHost,
    private readonly sealMs: number,
    private readonly maxTxs: number,
  ) {}

  async buildProposal(height: bigint, round: number): Promise<{ value: Uint8Array; hash: Hex } | null> {
    const { chain, pending } = this.host;
    if (BigInt(chain.blocks.length) + 1n !== height) return null;
    const ready = [...pending.entries()].filter(([id]) => !chain.included.has(id));
    if (ready.length === 0) return null;
    const oldest = Math.min(...ready.map(([, at]) => at));
    if (ready.length < this.maxTxs && this.host.now() - oldest < this.sealMs) {
      this.host.wakeAt(oldest + this.sealMs);
      return null;
    }
    const txs = ready
      .map(([id]) => id)
      .sort((a, b) => a - b)
      .slice(0, this.maxTxs);
    const value = encodeSimValue({
      height,
      proposer: this.host.index,
      round,
      nonce: this.host.nextNonce(),
      invalid: false,
      txs,
    });
    return { value, hash: keccak(value) };
  }

  async validateProposal(height: bigint, value: Uint8Array): Promise<Hex | null> {
    let v: SimValue;
    try {
      v = decodeSimValue(value);
    } catch {
      return null;
    }
    const { chain } = this.host;
    if (v.height !== height || BigInt(chain.blocks.length) + 1n !== height) return null;
    if (v.invalid || v.txs.length === 0 || v.txs.length > this.maxTxs) return null;
    if (new Set(v.txs).size !== v.txs.length) return null;
    if (v.txs.some((t) => chain.included.has(t))) return null;
    return keccak(value);
  }

  async commit(height: bigint, value: Uint8Array, certificate: CommitCertificate): Promise<void> {
    const { chain } = this.host;
    if (BigInt(chain.blocks.length) + 1n !== height) {
      throw new Error(
        `node ${this.host.index} asked to commit height ${height} on top of ${chain.blocks.length}`,
      );
    }
    this.host.verifyCertificate(certificate);
    const hash = keccak(value);
    if (hash !== certificate.valueHash) throw new Error(`certificate hash mismatch at height ${height}`);
    const txs = decodeSimValue(value).txs;
    const block: SimBlock = { height, hash, value, certificate, txs };
    chain.blocks.push(block);
    for (const t of txs) {
      chain.included.add(t);
      this.host.pending.delete(t);
    }
    this.host.onCommitted(block);
  }
}
