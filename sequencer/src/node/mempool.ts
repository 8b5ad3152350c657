import {
  type Account,
  type ObserverKeyTx,
  ProtocolError,
  type RingTx,
  type ShieldTx,
  TxType,
  accountTxMessage,
  fromHex,
  isValidRegistrationBinding,
  keyImageTag,
  tryDecodeRingSignature,
  verifyPoseidon,
} from '@tessera/core';
import type { Hex } from '../consensus/types.ts';
import { type WireTx, bytesKey } from './txwire.ts';

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
  /**
   * Private transfers, unshields and observer-key rotations pending at once (they have no account
   * nonce to meter them by; a ring signature costs milliseconds to verify).
   */
  maxPrivacyPending: number;
  /** Ring transactions per block: bounds the re-verification a validator may face for unseen ones. */
  maxRingTxsPerBlock: number;
  /** Per-client (RPC) admission quota for ring transactions. */
  privacyRatePerSecond: number;
  privacyBurst: number;
}

export const DEFAULT_MEMPOOL: MempoolConfig = {
  maxSize: 50_000,
  perAccountPending: 64,
  nonceWindow: 64,
  ratePerSecond: 100,
  burst: 200,
  deadlineMs: 30_000,
  maxPrivacyPending: 2_000,
  maxRingTxsPerBlock: 64,
  privacyRatePerSecond: 20,
  privacyBurst: 40,
};

export type MempoolErrorCode =
  | 'MEMPOOL_FULL'
  | 'ACCOUNT_QUOTA'
  | 'RATE_LIMITED'
  | 'NONCE_TOO_HIGH'
  | 'NONCE_TAKEN'
  | 'NOT_ACCEPTED'
  | 'PRIVACY_QUOTA'
  | 'NOT_DURABLE';

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
  /**
   * Account index for signed txs; negative pseudo-keys group registrations by sender address;
   * PRIVACY_KEY groups ring transactions and observer-key rotations (nonce = admission sequence).
   */
  key: number;
  nonce: bigint;
  arrival: number;
  local: boolean;
  /** Key-image tag of a private transfer or unshield. */
  tag?: bigint;
}

/** Pool group of the transactions without an account nonce (ring txs, observer-key rotations). */
export const PRIVACY_KEY = Number.MIN_SAFE_INTEGER;

/**
 * What the mempool needs from the ledger to admit privacy transactions (sequencer/src/node/privacy.ts).
 * Each check throws the ProtocolError of the rule that failed.
 */
export interface PrivacyChecks {
  /** Every rule incl. the ring signature; returns the key-image tag. */
  checkRingTx(tx: RingTx): bigint;
  /** Shield rules other than the account's (denomination, observer epoch, memo, output key). */
  checkShield(tx: ShieldTx, from: Account): void;
  /** Next epoch, valid key, regulator-admin signature. */
  checkObserverKey(tx: ObserverKeyTx): void;
  isKeyImageSpent(tag: bigint): boolean;
}

export const isRing = (type: number) => type === TxType.PRIVATE_TRANSFER || type === TxType.UNSHIELD;

/** Ring transactions among canonical transaction bytes (the type is the first byte). */
export function countRingTxs(txs: readonly { bytes: Uint8Array }[]): number {
  let n = 0;
  for (const t of txs) if (isRing(t.bytes[0]!)) n++;
  return n;
}

/**
 * Admission work of a gossiped transaction, in units of one EdDSA check: a ring signature costs
 * about ten (plus a few point decompressions). Gossip admission yields between slices of ~20 units.
 */
export function admissionCost(bytes: Uint8Array): number {
  return isRing(bytes[0]!) ? 10 : 1;
}

/** End (exclusive) of the next gossip admission slice starting at `from`. */
export function admissionSliceEnd(
  items: readonly { bytes: Uint8Array }[],
  from: number,
  budget = 20,
): number {
  let used = 0;
  let i = from;
  while (i < items.length && (i === from || used + admissionCost(items[i]!.bytes) <= budget)) {
    used += admissionCost(items[i]!.bytes);
    i++;
  }
  return i;
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
  /** Admitted transactions by their exact bytes (bytesKey): their hashes without re-hashing. */
  private readonly byBytes = new Map<string, PoolEntry>();
  private readonly byKey = new Map<number, Map<bigint, PoolEntry>>();
  private readonly buckets = new Map<number, Bucket>();
  private regKeys = new Map<string, number>();
  private nextRegKey = -1;
  /** Pending ring transactions by key-image tag: one pending spend per key image. */
  private readonly byTag = new Map<bigint, PoolEntry>();
  private privacySeq = 0n;
  stats = { admitted: 0, rejected: 0, expired: 0, evicted: 0, doubleSpends: 0 };

  constructor(
    private readonly cfg: MempoolConfig,
    private readonly chainId: bigint,
    private readonly account: (index: number) => Account | undefined,
    private readonly privacy?: PrivacyChecks,
  ) {}

  /** Ring transactions and observer-key rotations pending. */
  get privacyPending(): number {
    return this.byKey.get(PRIVACY_KEY)?.size ?? 0;
  }

  /** The pending transaction spending this key-image tag, if any. */
  pendingSpend(tag: bigint): PoolEntry | undefined {
    return this.byTag.get(tag);
  }

  get size(): number {
    return this.byHash.size;
  }

  get(hash: Hex): PoolEntry | undefined {
    return this.byHash.get(hash);
  }

  has(hash: Hex): boolean {
    return this.byHash.has(hash);
  }

  /** The hash of a pending transaction with exactly these bytes (a KnownHash for txwire). */
  hashOfBytes(bytes: Uint8Array): Hex | undefined {
    return this.byBytes.get(bytesKey(bytes))?.wire.hash;
  }

  /** Admits a transaction or throws MempoolError / ProtocolError (with the rule that failed). */
  add(wire: WireTx, now: number, local: boolean): PoolEntry {
    const existing = this.byHash.get(wire.hash);
    if (existing) return existing;
    const tx = wire.tx;
    let key: number;
    let nonce = 0n;
    let tag: bigint | undefined;
    if (tx.type === TxType.PRIVATE_TRANSFER || tx.type === TxType.UNSHIELD) {
      tag = this.admitRing(tx);
      key = PRIVACY_KEY;
      nonce = this.privacySeq++;
    } else if (tx.type === TxType.OBSERVER_KEY) {
      this.checkPrivacyQuota();
      this.privacyGate().checkObserverKey(tx);
      key = PRIVACY_KEY;
      nonce = this.privacySeq++;
    } else if (tx.type === TxType.TRANSFER || tx.type === TxType.WITHDRAW || tx.type === TxType.SHIELD) {
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
      if (tx.type === TxType.SHIELD) this.privacyGate().checkShield(tx, acct);
      if (!verifyPoseidon(accountTxMessage(tx, this.chainId, acct.assetId), tx.signature, acct.publicKey)) {
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
    const entry: PoolEntry = { wire, key, nonce, arrival: now, local, ...(tag !== undefined ? { tag } : {}) };
    if (tag !== undefined) this.byTag.set(tag, entry);
    let m = this.byKey.get(key);
    if (!m) {
      m = new Map();
      this.byKey.set(key, m);
    }
    m.set(nonce, entry);
    this.byHash.set(wire.hash, entry);
    this.byBytes.set(bytesKey(wire.bytes), entry);
    this.stats.admitted++;
    return entry;
  }

  private privacyGate(): PrivacyChecks {
    if (!this.privacy)
      throw new MempoolError('NOT_ACCEPTED', 'this node does not accept privacy transactions', false);
    return this.privacy;
  }

  private checkPrivacyQuota(): void {
    if (this.byHash.size >= this.cfg.maxSize)
      throw new MempoolError('MEMPOOL_FULL', `mempool holds ${this.byHash.size} transactions`, true);
    if (this.privacyPending >= this.cfg.maxPrivacyPending) {
      throw new MempoolError(
        'PRIVACY_QUOTA',
        `${this.privacyPending} private transactions are pending (limit ${this.cfg.maxPrivacyPending})`,
        true,
      );
    }
  }

  /**
   * Cheap checks first (double spend against the chain and the pool, quotas), then every ledger
   * rule and the ring signature, once: block building and proposal validation reuse the result.
   */
  private admitRing(tx: RingTx): bigint {
    const gate = this.privacyGate();
    const sig = tryDecodeRingSignature(fromHex(tx.ringSignature));
    if (!sig) throw new ProtocolError('BAD_RING_SIGNATURE', 'ring signature is malformed');
    const tag = keyImageTag(sig.keyImage);
    if (gate.isKeyImageSpent(tag)) {
      this.stats.doubleSpends++;
      throw new ProtocolError('KEY_IMAGE_SPENT', `key image ${tag} is already spent on chain`);
    }
    const pending = this.byTag.get(tag);
    if (pending) {
      this.stats.doubleSpends++;
      throw new ProtocolError(
        'KEY_IMAGE_SPENT',
        `key image ${tag} is already being spent by pending transaction ${pending.wire.hash}`,
      );
    }
    this.checkPrivacyQuota();
    const checked = gate.checkRingTx(tx);
    if (checked !== tag)
      throw new ProtocolError('BAD_RING_SIGNATURE', 'key image does not match the ledger check');
    return tag;
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
    const k = bytesKey(e.wire.bytes);
    if (this.byBytes.get(k) === e) this.byBytes.delete(k);
    if (e.tag !== undefined && this.byTag.get(e.tag) === e) this.byTag.delete(e.tag);
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
    const out: WireTx[] = [];
    let rings = 0;
    for (const p of picked) {
      if (out.length >= max) break;
      if (isRing(p.e.wire.tx.type) && rings++ >= this.cfg.maxRingTxsPerBlock) continue;
      out.push(p.e.wire);
    }
    return out;
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
