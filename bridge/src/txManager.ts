// The single owner of the operator key's nonce. Every L1 transaction of the bridge process goes
// through here: simulated before it is signed, journaled (raw signed bytes) before it is
// broadcast, watched until it has the configured confirmations, re-broadcast if a reorg or an
// eviction loses it, replaced with bumped fees if it is stuck, cancelled if it became pointless.
import type { KVStore } from '@tessera/core';
import {
  type Abi,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
  keccak256,
} from 'viem';
import { FeeCapError, SimulationRevertedError } from './errors.ts';
import type { Logger } from './log.ts';
import { str } from './log.ts';
import type { BridgeMetrics } from './metrics.ts';
import { decodeRevert, isKnownTxError, isNonceTooLowError, isUnderpricedError } from './revert.ts';
import { decodeJson, putJson } from './store.ts';

export type TxAttempt = {
  hash: Hex;
  raw: Hex;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  sentAt: number;
};

export type TrackedTx = {
  /** Unique purpose, e.g. `commit:12`; sending the same id twice returns the tracked transaction. */
  id: string;
  kind: string;
  nonce: number;
  to: Address;
  data: Hex;
  value: bigint;
  gas: bigint;
  attempts: TxAttempt[];
  firstSentAt: number;
  mined?: { hash: Hex; blockNumber: bigint; blockHash: Hex; status: 'success' | 'reverted' };
  /** Replaced by a 0-value self-transfer: its purpose was fulfilled by someone else. */
  cancelled?: boolean;
};

export type TxEvent =
  | { type: 'mined'; tx: TrackedTx; receipt: TransactionReceipt }
  | { type: 'confirmed'; tx: TrackedTx; receipt: TransactionReceipt }
  | { type: 'reorged'; tx: TrackedTx }
  | { type: 'replaced'; tx: TrackedTx; attempt: TxAttempt }
  | { type: 'rebroadcast'; tx: TrackedTx }
  | { type: 'cancelled'; tx: TrackedTx }
  | { type: 'dropped'; tx: TrackedTx };

export type PollOptions = {
  /** True for an unmined transaction that is no longer needed: it is replaced by a no-op instead of re-sent. */
  obsolete?: (tx: TrackedTx) => boolean;
};

export type TxRequest = { id: string; kind: string; to: Address; data: Hex; value?: bigint; abi?: Abi };

export type TxManagerOptions = {
  client: PublicClient;
  account: LocalAccount;
  /** L1 blocks on top of the receipt's block (inclusive) before a transaction is final for us. */
  confirmations: number;
  /** Unmined for this long (since the last broadcast) ⇒ replace with bumped fees. */
  stuckAfterMs: number;
  /** Fee increase per replacement, percent (nodes require ≥ 10). */
  feeBumpPercent?: number;
  /** Never pay more than this per gas; a transaction that would need more waits. */
  maxFeePerGas?: bigint;
  /** Percent added to the gas estimate. */
  gasMarginPercent?: number;
  store?: KVStore;
  log: Logger;
  metrics?: BridgeMetrics;
  now?: () => number;
};

const TX_PREFIX = 'tx/';

export class TxManager {
  private readonly txs = new Map<string, TrackedTx>();
  /** Consecutive polls that saw a tracked transaction's nonce used without a receipt of ours. */
  private readonly nonceGone = new Map<string, number>();
  private readonly listeners: ((e: TxEvent) => void)[] = [];
  private chainId?: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  private constructor(private readonly o: TxManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Restores the journal, so transactions sent before a restart are watched (and never re-sent). */
  static async open(o: TxManagerOptions): Promise<TxManager> {
    const m = new TxManager(o);
    if (o.store) {
      for await (const [, value] of o.store.entries(TX_PREFIX)) {
        const tx = decodeJson<TrackedTx>(value);
        m.txs.set(tx.id, tx);
      }
      if (m.txs.size) o.log.info({ tracked: [...m.txs.keys()] }, 'resumed tracking L1 transactions');
    }
    m.updateGauge();
    return m;
  }

  get address(): Address {
    return this.o.account.address;
  }

  onEvent(fn: (e: TxEvent) => void): void {
    this.listeners.push(fn);
  }

  tracked(): TrackedTx[] {
    return [...this.txs.values()].sort((a, b) => a.nonce - b.nonce);
  }

  get(id: string): TrackedTx | undefined {
    return this.txs.get(id);
  }

  /** Tracked transactions of `kind` that are not in a block (cancelled ones no longer count as their kind). */
  unmined(kind?: string): TrackedTx[] {
    return this.tracked().filter(
      (t) => !t.mined && (kind === undefined || (t.kind === kind && !t.cancelled)),
    );
  }

  /** Serialises sends and polls: several service loops share one nonce sequence. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private emit(e: TxEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (err) {
        this.o.log.error({ err }, 'transaction event handler failed');
      }
    }
  }

  private async persist(tx: TrackedTx | undefined, removedId?: string): Promise<void> {
    if (!this.o.store) return;
    const ops = [];
    if (tx) ops.push(putJson(TX_PREFIX + tx.id, tx));
    if (removedId) ops.push({ type: 'del' as const, key: TX_PREFIX + removedId });
    await this.o.store.write(ops, { sync: true });
  }

  private updateGauge(): void {
    this.o.metrics?.txInflight.set(this.txs.size);
  }

  private async getChainId(): Promise<number> {
    this.chainId ??= await this.o.client.getChainId();
    return this.chainId;
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const est = await this.o.client.estimateFeesPerGas();
    let maxFeePerGas = est.maxFeePerGas;
    let maxPriorityFeePerGas = est.maxPriorityFeePerGas;
    const cap = this.o.maxFeePerGas;
    if (cap !== undefined && maxFeePerGas > cap) {
      maxFeePerGas = cap;
      if (maxPriorityFeePerGas > cap) maxPriorityFeePerGas = cap;
    }
    return { maxFeePerGas, maxPriorityFeePerGas };
  }

  private async nextNonce(): Promise<number> {
    const onChain = await this.o.client.getTransactionCount({ address: this.address, blockTag: 'latest' });
    let next = onChain;
    for (const t of this.txs.values()) if (t.nonce + 1 > next) next = t.nonce + 1;
    return next;
  }

  private async sign(
    tx: Pick<TrackedTx, 'nonce' | 'to' | 'data' | 'value' | 'gas'>,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<TxAttempt> {
    const raw = await this.o.account.signTransaction!({
      type: 'eip1559',
      chainId: await this.getChainId(),
      nonce: tx.nonce,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      gas: tx.gas,
      ...fees,
    });
    return { hash: keccak256(raw), raw, ...fees, sentAt: this.now() };
  }

  /**
   * Broadcasts. "already known" and "nonce too low" are outcomes the next poll sorts out; a fee
   * below the current base fee means the transaction is stuck (the caller bumps it).
   */
  private async broadcast(tx: TrackedTx, attempt: TxAttempt): Promise<'sent' | 'underpriced'> {
    try {
      await this.o.client.sendRawTransaction({ serializedTransaction: attempt.raw });
    } catch (err) {
      if (isKnownTxError(err)) return 'sent';
      if (isNonceTooLowError(err)) {
        this.o.log.warn(
          { id: tx.id, nonce: tx.nonce },
          'nonce already used; the next poll decides whether this transaction was mined',
        );
        return 'sent';
      }
      if (isUnderpricedError(err)) return 'underpriced';
      throw err;
    }
    return 'sent';
  }

  /**
   * Simulates, signs, journals and broadcasts. Throws SimulationRevertedError (nothing sent) if the
   * call would revert now. Idempotent per `id`.
   */
  send(req: TxRequest): Promise<TrackedTx> {
    return this.exclusive(async () => {
      const existing = this.txs.get(req.id);
      if (existing) return existing;
      const value = req.value ?? 0n;
      let gasEstimate: bigint;
      try {
        gasEstimate = await this.o.client.estimateGas({
          account: this.address,
          to: req.to,
          data: req.data,
          value,
        });
      } catch (err) {
        const revert = req.abi ? decodeRevert(err, req.abi) : undefined;
        if (revert || /revert/i.test(String((err as Error)?.message))) {
          this.o.metrics?.simulationReverts.inc({ error: revert?.errorName ?? 'unknown' });
          throw new SimulationRevertedError(req.id, revert?.errorName, revert?.args ?? [], { cause: err });
        }
        throw err;
      }
      const gas = (gasEstimate * BigInt(100 + (this.o.gasMarginPercent ?? 20))) / 100n;
      const nonce = await this.nextNonce();
      const fees = await this.fees();
      const base = { id: req.id, kind: req.kind, nonce, to: req.to, data: req.data, value, gas };
      const attempt = await this.sign(base, fees);
      const tx: TrackedTx = { ...base, attempts: [attempt], firstSentAt: attempt.sentAt };
      // Journal first: after a crash between these lines the transaction is re-broadcast, never re-built.
      this.txs.set(tx.id, tx);
      await this.persist(tx);
      this.updateGauge();
      await this.broadcast(tx, attempt);
      this.o.metrics?.txSent.inc({ kind: req.kind });
      this.o.log.info(
        { id: tx.id, nonce, hash: attempt.hash, gas: str(gas), maxFeePerGas: str(fees.maxFeePerGas) },
        'L1 transaction sent',
      );
      return tx;
    });
  }

  /** Replaces an unmined transaction with a 0-value self-transfer at the same nonce. */
  cancel(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      const tx = this.txs.get(id);
      if (!tx || tx.mined || tx.cancelled) return false;
      const events: TxEvent[] = [];
      const ok = await this.cancelLocked(tx, events);
      for (const e of events) this.emit(e);
      return ok;
    });
  }

  private async cancelLocked(tx: TrackedTx, events: TxEvent[]): Promise<boolean> {
    const original = { to: tx.to, data: tx.data, value: tx.value, gas: tx.gas };
    Object.assign(tx, { to: this.address, data: '0x', value: 0n, gas: 21_000n });
    const attempt = await this.bumped(tx);
    if (!attempt) {
      Object.assign(tx, original);
      return false;
    }
    tx.cancelled = true;
    tx.attempts.push(attempt);
    await this.persist(tx);
    await this.broadcast(tx, attempt).catch((err) =>
      this.o.log.warn({ id: tx.id, err: (err as Error).message }, 'cancel broadcast failed'),
    );
    this.o.metrics?.txCancelled.inc();
    this.o.log.warn({ id: tx.id, nonce: tx.nonce, hash: attempt.hash }, 'cancelled obsolete L1 transaction');
    events.push({ type: 'cancelled', tx });
    return true;
  }

  /** A new attempt with fees bumped by feeBumpPercent over the last one (and at least the market). */
  private async bumped(tx: TrackedTx): Promise<TxAttempt | undefined> {
    const last = tx.attempts[tx.attempts.length - 1]!;
    const bump = BigInt(100 + (this.o.feeBumpPercent ?? 15));
    const market = await this.o.client.estimateFeesPerGas();
    let tip = (last.maxPriorityFeePerGas * bump + 99n) / 100n;
    if (market.maxPriorityFeePerGas > tip) tip = market.maxPriorityFeePerGas;
    let maxFee = (last.maxFeePerGas * bump + 99n) / 100n;
    if (market.maxFeePerGas > maxFee) maxFee = market.maxFeePerGas;
    if (maxFee < tip) maxFee = tip;
    const cap = this.o.maxFeePerGas;
    if (cap !== undefined && maxFee > cap) {
      if (last.maxFeePerGas >= cap) {
        this.o.log.error(
          { id: tx.id, cap: str(cap) },
          new FeeCapError(`${tx.id} is stuck at the fee cap`).message,
        );
        return undefined;
      }
      maxFee = cap;
      if (tip > cap) tip = cap;
    }
    return this.sign(tx, { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip });
  }

  /** Same nonce, bumped fees; a refusal as underpriced is retried with a further bump next poll. */
  private async replaceLocked(tx: TrackedTx, last: TxAttempt, events: TxEvent[]): Promise<void> {
    const attempt = await this.bumped(tx);
    if (!attempt) return;
    if ((await this.broadcast(tx, attempt)) === 'underpriced') {
      // Keep the attempt: its fees are the base of the next bump.
      tx.attempts.push({ ...attempt, sentAt: this.now() - this.o.stuckAfterMs });
      await this.persist(tx);
      this.o.log.warn(
        { id: tx.id, maxFeePerGas: str(attempt.maxFeePerGas) },
        'replacement refused as underpriced; bumping again next poll',
      );
      return;
    }
    tx.attempts.push(attempt);
    await this.persist(tx);
    this.o.metrics?.txReplaced.inc();
    this.o.log.warn(
      {
        id: tx.id,
        nonce: tx.nonce,
        old: last.hash,
        new: attempt.hash,
        maxFeePerGas: str(attempt.maxFeePerGas),
      },
      'replaced stuck L1 transaction',
    );
    events.push({ type: 'replaced', tx, attempt });
  }

  private async receiptOf(tx: TrackedTx): Promise<TransactionReceipt | undefined> {
    for (const a of [...tx.attempts].reverse()) {
      try {
        return await this.o.client.getTransactionReceipt({ hash: a.hash });
      } catch (err) {
        if ((err as Error).name !== 'TransactionReceiptNotFoundError') throw err;
      }
    }
    return undefined;
  }

  private async knownToNode(hash: Hex): Promise<boolean> {
    try {
      await this.o.client.getTransaction({ hash });
      return true;
    } catch (err) {
      if ((err as Error).name === 'TransactionNotFoundError') return false;
      throw err;
    }
  }

  /**
   * One pass over every tracked transaction: record inclusions, finalise those with enough
   * confirmations, detect reorged-out ones, replace stuck ones, re-broadcast lost ones.
   */
  poll(options: PollOptions = {}): Promise<TxEvent[]> {
    return this.exclusive(async () => {
      const events: TxEvent[] = [];
      if (this.txs.size === 0) return events;
      const head = await this.o.client.getBlockNumber();
      const confirmedNonce = await this.o.client.getTransactionCount({
        address: this.address,
        blockTag: 'latest',
      });
      for (const tx of this.tracked()) {
        const receipt = await this.receiptOf(tx);
        if (receipt) {
          this.nonceGone.delete(tx.id);
          if (!tx.mined || tx.mined.blockHash !== receipt.blockHash) {
            tx.mined = {
              hash: receipt.transactionHash,
              blockNumber: receipt.blockNumber,
              blockHash: receipt.blockHash,
              status: receipt.status,
            };
            await this.persist(tx);
            events.push({ type: 'mined', tx, receipt });
            if (receipt.status === 'reverted') this.o.metrics?.txReverted.inc({ kind: tx.kind });
          }
          if (head - receipt.blockNumber + 1n >= BigInt(this.o.confirmations)) {
            this.txs.delete(tx.id);
            await this.persist(undefined, tx.id);
            this.o.metrics?.txConfirmSeconds.observe((this.now() - tx.firstSentAt) / 1000);
            events.push({ type: 'confirmed', tx, receipt });
            this.o.log.info(
              {
                id: tx.id,
                hash: receipt.transactionHash,
                block: str(receipt.blockNumber),
                status: receipt.status,
                gasUsed: str(receipt.gasUsed),
              },
              'L1 transaction final',
            );
          }
          continue;
        }
        if (tx.mined) {
          this.o.log.warn(
            { id: tx.id, hash: tx.mined.hash, block: str(tx.mined.blockNumber) },
            'L1 reorg removed a mined transaction',
          );
          this.o.metrics?.txReorged.inc();
          tx.mined = undefined;
          // Give the re-broadcast a full stuck period before bumping fees.
          tx.attempts[tx.attempts.length - 1]!.sentAt = this.now();
          await this.persist(tx);
          events.push({ type: 'reorged', tx });
        }
        if (tx.nonce < confirmedNonce) {
          // The nonce is used but none of our attempts has a receipt. A node can report the nonce
          // before it serves the receipt of the transaction that used it (seen on a loaded anvil),
          // so only after three polls in a row is it another transaction of this key.
          const seen = (this.nonceGone.get(tx.id) ?? 0) + 1;
          this.nonceGone.set(tx.id, seen);
          if (seen < 3) continue;
          this.nonceGone.delete(tx.id);
          this.txs.delete(tx.id);
          await this.persist(undefined, tx.id);
          this.o.metrics?.txDropped.inc();
          this.o.log.error(
            { id: tx.id, nonce: tx.nonce },
            'nonce consumed by a transaction this process did not send',
          );
          events.push({ type: 'dropped', tx });
          continue;
        }
        if (!tx.cancelled && options.obsolete?.(tx)) {
          // Lost, stuck or reorged out, and its work is done by someone else: burn the nonce cheaply.
          if (await this.cancelLocked(tx, events)) continue;
        }
        const last = tx.attempts[tx.attempts.length - 1]!;
        let stuck = this.now() - last.sentAt >= this.o.stuckAfterMs;
        if (!stuck && !(await this.knownToNode(last.hash))) {
          // Lost by a reorg or evicted: send the very same bytes again (same nonce, same hash).
          if ((await this.broadcast(tx, last)) === 'underpriced') stuck = true;
          else {
            this.o.log.warn({ id: tx.id, hash: last.hash }, 're-broadcast a transaction the node lost');
            events.push({ type: 'rebroadcast', tx });
          }
        }
        if (stuck) await this.replaceLocked(tx, last, events);
      }
      this.updateGauge();
      for (const e of events) this.emit(e);
      return events;
    });
  }
}
