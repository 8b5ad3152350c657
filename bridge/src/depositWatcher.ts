import { type DepositTx, TxType } from '@tessera/core';
import { type Address, type PublicClient, parseAbiItem } from 'viem';

export const DEPOSIT_QUEUED_EVENT = parseAbiItem(
  'event DepositQueued(uint64 indexed queueIndex, address indexed depositor, uint32 indexed toIndex, uint32 assetId, address token, uint256 amount, uint256 element)',
);

export type DepositWatcherOptions = {
  client: PublicClient;
  bridge: Address;
  /** L1 blocks a deposit must be buried under before L2 consumes it (reorg safety). */
  confirmations: number;
  /** Largest block range per getLogs call. */
  maxRange?: bigint;
  /** First L1 block to scan (the bridge's deployment block); default 0. */
  fromBlock?: bigint;
};

/**
 * Reads the bridge's deposit queue from L1 and turns confirmed entries into L2 deposit
 * transactions. Every sequencer runs one: a proposer includes the next deposits in queue order,
 * and a validator only accepts a proposal whose deposits it has also seen confirmed, so a
 * faulty proposer cannot invent one.
 */
export class DepositWatcher {
  private readonly deposits = new Map<bigint, DepositTx>();
  private scannedTo = -1n;

  constructor(private readonly options: DepositWatcherOptions) {
    if (options.fromBlock !== undefined) this.scannedTo = options.fromBlock - 1n;
  }

  /** Highest L1 block whose deposits have been read (all of them buried under `confirmations`). */
  get scannedThrough(): bigint {
    return this.scannedTo;
  }

  /** Number of confirmed deposits held (not yet pruned). */
  get size(): number {
    return this.deposits.size;
  }

  /** Pull new confirmed deposit events. Safe to call often; idempotent. */
  async poll(): Promise<number> {
    const { client, bridge, confirmations } = this.options;
    const head = await client.getBlockNumber();
    const safe = head - BigInt(confirmations);
    if (safe <= this.scannedTo) return 0;
    const maxRange = this.options.maxRange ?? 5_000n;
    let added = 0;
    for (let from = this.scannedTo + 1n; from <= safe; from += maxRange) {
      const to = from + maxRange - 1n < safe ? from + maxRange - 1n : safe;
      const logs = await client.getLogs({
        address: bridge,
        event: DEPOSIT_QUEUED_EVENT,
        fromBlock: from,
        toBlock: to,
      });
      for (const log of logs) {
        const a = log.args;
        if (
          a.queueIndex === undefined ||
          !a.depositor ||
          a.toIndex === undefined ||
          a.assetId === undefined ||
          a.amount === undefined
        )
          continue;
        const queueIndex = BigInt(a.queueIndex);
        if (!this.deposits.has(queueIndex)) {
          this.deposits.set(queueIndex, {
            type: TxType.DEPOSIT,
            queueIndex,
            depositor: a.depositor.toLowerCase() as `0x${string}`,
            to: Number(a.toIndex),
            assetId: Number(a.assetId),
            amount: a.amount,
          });
          added++;
        }
      }
      this.scannedTo = to;
    }
    return added;
  }

  /** Confirmed deposits from `queueIndex` on, contiguous, at most `max`. */
  pending(queueIndex: bigint, max: number): DepositTx[] {
    const out: DepositTx[] = [];
    for (let i = queueIndex; out.length < max; i++) {
      const d = this.deposits.get(i);
      if (!d) break;
      out.push(d);
    }
    return out;
  }

  /** True if this exact deposit has been seen confirmed on L1. */
  isConfirmed(tx: DepositTx): boolean {
    const d = this.deposits.get(tx.queueIndex);
    return (
      !!d &&
      d.depositor === tx.depositor.toLowerCase() &&
      d.to === tx.to &&
      d.assetId === tx.assetId &&
      d.amount === tx.amount
    );
  }

  /** Drop deposits L2 has consumed, to bound memory. */
  prune(belowQueueIndex: bigint): void {
    for (const k of this.deposits.keys()) if (k < belowQueueIndex) this.deposits.delete(k);
  }
}
