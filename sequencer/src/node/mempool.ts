import {
  type Account,
  ProtocolError,
  TxType,
  isValidRegistrationBinding,
  signedTxMessage,
  verifyPoseidon,
} from '@tessera/core';
import type { Hex } from '../consensus/types.ts';
import type { WireTx } from './txwire.ts';

export interface MempoolConfig {
  /** Transactions held at most (all accounts). */
  maxSize: number;
  /** Pending transactions per account. */
  perAccountPending: number;
  /** Accepted nonces: committed nonce .. committed nonce + window - 1. */
  nonceWindow: number;
  /** Per-account admission quota (token bucket) for transactions submitted to this node. */
  ratePerSecond: number;
  burst: number;
  /** A transaction not decided within this time is dropped; its sender gets a retriable error. */
  deadlineMs: number;
}

export const DEFAULT_MEMPOOL: MempoolConfig = {
  maxSize: 50_000,
  perAccountPending: 64,
  nonceWindow: 64,
  ratePerSecond: 100,
  burst: 200,
  deadlineMs: 30_000,
};

export type MempoolErrorCode =
  | 'MEMPOOL_FULL'
  | 'ACCOUNT_QUOTA'
  | 'RATE_LIMITED'
  | 'NONCE_TOO_HIGH'
  | 'NONCE_TAKEN'
  | 'NOT_ACCEPTED';

/** Admission refused for load reasons (retriable: MEMPOOL_FULL, ACCOUNT_QUOTA, RATE_LIMITED) or policy. */
export class MempoolError extends Error {
  constructor(
    readonly code: MempoolErrorCode,
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'MempoolError';
  }
}

export interface PoolEntry {
  wire: WireTx;
  /** Account index for signed txs; negative pseudo-keys group registrations by sender address. */
  key: number;
  nonce: bigint;
  arrival: number;
  local: boolean;
}

type Bucket = { tokens: number; at: number };

/**
 * Pending transactions. Gas is free, so admission is the spam control: a per-account cap, a nonce
 * window, a per-account rate quota for transactions submitted here, a global bound and a deadline.
 * Signatures are checked once, here, against the committed account key; block building and
 * proposal validation reuse that check. Candidates come out in arrival order, nonce-ordered per
 * account.
 */
export class Mempool {
  private readonly byHash = new Map<Hex, PoolEntry>();
  private readonly byKey = new Map<number, Map<bigint, PoolEntry>>();
  private readonly buckets = new Map<number, Bucket>();
  private regKeys = new Map<string, number>();
  private nextRegKey = -1;
  stats = { admitted: 0, rejected: 0, expired: 0, evicted: 0 };

  constructor(
    private readonly cfg: MempoolConfig,
    private readonly chainId: bigint,
    private readonly account: (index: number) => Account | undefined,
  ) {}

  get size(): number {
    return this.byHash.size;
  }

  get(hash: Hex): PoolEntry | undefined {
    return this.byHash.get(hash);
  }

  has(hash: Hex): boolean {
    return this.byHash.has(hash);
  }

  /** Admits a transaction or throws MempoolError / ProtocolError (with the rule that failed). */
  add(wire: WireTx, now: number, local: boolean): PoolEntry {
    const existing = this.byHash.get(wire.hash);
    if (existing) return existing;
    const tx = wire.tx;
    let key: number;
    let nonce = 0n;
    if (tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW) {
      const acct = this.account(tx.from);
      if (!acct) throw new ProtocolError('UNKNOWN_ACCOUNT', `sender account ${tx.from} does not exist`);
      if (tx.nonce < acct.nonce)
        throw new ProtocolError('BAD_NONCE', `account ${tx.from} is at nonce ${acct.nonce}, got ${tx.nonce}`);
      if (tx.nonce >= acct.nonce + BigInt(this.cfg.nonceWindow)) {
        throw new MempoolError(
          'NONCE_TOO_HIGH',
          `nonce ${tx.nonce} is more than ${this.cfg.nonceWindow} ahead of ${acct.nonce}`,
          true,
        );
      }
      key = tx.from;
      nonce = tx.nonce;
      if (this.byKey.get(key)?.has(nonce)) {
        throw new MempoolError(
          'NONCE_TAKEN',
          `account ${tx.from} already has a pending transaction with nonce ${nonce}`,
          false,
        );
      }
      this.checkQuota(key, now, local);
      if (!verifyPoseidon(signedTxMessage(tx, this.chainId), tx.signature, acct.publicKey)) {
        throw new ProtocolError('BAD_SIGNATURE', `signature does not verify under account ${tx.from}'s key`);
      }
    } else if (tx.type === TxType.REGISTER) {
      const addr = tx.ethAddress.toLowerCase();
      key = this.regKeys.get(addr) ?? this.nextRegKey--;
      this.regKeys.set(addr, key);
      nonce = BigInt(this.byKey.get(key)?.size ?? 0);
      this.checkQuota(key, now, local);
      if (!isValidRegistrationBinding(tx.ethAddress, tx.publicKey, this.chainId, tx.binding)) {
        throw new ProtocolError(
          'BAD_BINDING',
          `binding signature is not by ${tx.ethAddress} over this key and chain`,
        );
      }
    } else {
      throw new MempoolError(
        'NOT_ACCEPTED',
        'deposits enter from the L1 bridge queue, not from clients',
        false,
      );
    }
    const entry: PoolEntry = { wire, key, nonce, arrival: now, local };
    let m = this.byKey.get(key);
    if (!m) {
      m = new Map();
      this.byKey.set(key, m);
    }
    m.set(nonce, entry);
    this.byHash.set(wire.hash, entry);
    this.stats.admitted++;
    return entry;
  }

  private checkQuota(key: number, now: number, local: boolean): void {
    if (this.byHash.size >= this.cfg.maxSize)
      throw new MempoolError('MEMPOOL_FULL', `mempool holds ${this.byHash.size} transactions`, true);
    if ((this.byKey.get(key)?.size ?? 0) >= this.cfg.perAccountPending) {
      throw new MempoolError(
        'ACCOUNT_QUOTA',
        `account already has ${this.cfg.perAccountPending} pending transactions`,
        true,
      );
    }
    // Only transactions submitted here are metered: gossiped ones were metered by their entry node.
    if (!local) return;
    const b = this.buckets.get(key) ?? { tokens: this.cfg.burst, at: now };
    b.tokens = Math.min(this.cfg.burst, b.tokens + ((now - b.at) / 1000) * this.cfg.ratePerSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      throw new MempoolError(
        'RATE_LIMITED',
        `account exceeds ${this.cfg.ratePerSecond} transactions per second`,
        true,
      );
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
  }

  private delete(e: PoolEntry): void {
    this.byHash.delete(e.wire.hash);
    const m = this.byKey.get(e.key);
    if (m) {
      m.delete(e.nonce);
      if (m.size === 0) this.byKey.delete(e.key);
    }
  }

  /**
   * Up to `max` executable transactions: per account the contiguous run from its committed nonce,
   * interleaved across accounts by arrival (each entry keyed no earlier than its predecessor).
   */
  candidates(max: number): WireTx[] {
    const picked: { e: PoolEntry; key: number }[] = [];
    for (const [key, m] of this.byKey) {
      if (key < 0) {
        for (const e of m.values()) picked.push({ e, key: e.arrival });
        continue;
      }
      const acct = this.account(key);
      if (!acct) continue;
      let nonce = acct.nonce;
      let t = 0;
      for (let e = m.get(nonce); e; e = m.get(++nonce)) {
        t = Math.max(t, e.arrival);
        picked.push({ e, key: t });
      }
    }
    picked.sort((a, b) => a.key - b.key || (a.e.key === b.e.key ? Number(a.e.nonce - b.e.nonce) : 0));
    return picked.slice(0, max).map((p) => p.e.wire);
  }

  oldestArrival(): number | undefined {
    let oldest: number | undefined;
    for (const e of this.byHash.values()) if (oldest === undefined || e.arrival < oldest) oldest = e.arrival;
    return oldest;
  }

  /** After a commit: drop included transactions and any made stale by new nonces. */
  onCommitted(hashes: Hex[], touched: Iterable<number>): void {
    for (const h of hashes) {
      const e = this.byHash.get(h);
      if (e) this.delete(e);
    }
    for (const key of touched) {
      const m = this.byKey.get(key);
      const acct = this.account(key);
      if (!m || !acct) continue;
      for (const e of [...m.values()]) if (e.nonce < acct.nonce) this.delete(e);
    }
  }

  /** Removes a transaction that failed during block building, with later nonces of its account. */
  evict(hash: Hex): PoolEntry[] {
    const e = this.byHash.get(hash);
    if (!e) return [];
    const out = [e];
    this.delete(e);
    const m = this.byKey.get(e.key);
    if (m && e.key >= 0) {
      for (const later of [...m.values()]) {
        if (later.nonce > e.nonce) {
          this.delete(later);
          out.push(later);
        }
      }
    }
    this.stats.evicted += out.length;
    return out;
  }

  /** Drops transactions past their deadline and returns them. */
  expire(now: number): PoolEntry[] {
    const out: PoolEntry[] = [];
    for (const e of this.byHash.values()) if (now - e.arrival > this.cfg.deadlineMs) out.push(e);
    for (const e of out) this.delete(e);
    this.stats.expired += out.length;
    return out;
  }
}
