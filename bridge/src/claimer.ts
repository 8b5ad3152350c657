import { tesseraBridgeAbi, tesseraRollupAbi } from '@tessera/contracts';
// Claims verified exits on users' behalf (the operator pays the gas; the bridge always pays the
// exit's recipient, whoever sends `claim`). Works from L1 data alone, like a user would: the exits
// and their Merkle proofs are rebuilt from the commit calldata. Users who do not want to wait use
// `claimMyExits` / `claimExit` (re-exported below) with their own wallet.
import type { KVStore } from '@tessera/core';
import {
  BATCH_COMMITTED,
  type ClaimableExit,
  type CommittedBatch,
  type LogRange,
  claimArgs,
  committedFromLog,
  getLogsChunked,
  readBatchExits,
  readCommittedBatch,
} from '@tessera/sdk/auditor/l1Reader';
import { type Address, type Hex, type PublicClient, encodeFunctionData } from 'viem';
import { BridgeError, SimulationRevertedError } from './errors.ts';
import { type Logger, str } from './log.ts';
import type { BridgeMetrics } from './metrics.ts';
import { backoffDelay, sleep } from './retry.ts';
import { getJson, putJson } from './store.ts';
import type { TxManager } from './txManager.ts';

export { claimExit, claimMyExits } from '@tessera/sdk/auditor/claim';
export { type ClaimableExit, findExits, readBatchExits } from '@tessera/sdk/auditor/l1Reader';

export type ClaimerOptions = {
  client: PublicClient;
  rollup: Address;
  bridge: Address;
  txs: TxManager;
  store: KVStore;
  log: Logger;
  metrics?: BridgeMetrics;
  /** Subsidy policy: return false to leave an exit to its owner (e.g. dust, unknown assets). */
  shouldClaim?: (e: ClaimableExit) => boolean;
  /** At most this many claim transactions per iteration (bounds the gas spent per L1 block). */
  maxClaimsPerTick?: number;
  pollIntervalMs?: number;
  logRange?: LogRange;
  /** Verified batches examined past the cursor per iteration. */
  scanWindow?: number;
};

const CURSOR_KEY = 'c/cursor';

export type ClaimerTick = { sent: string[]; skipped: number; cursor: bigint };

export class Claimer {
  /** Every exit of batches ≤ cursor is claimed, skipped by policy, or was claimed by someone. */
  private cursor = 0n;
  /** Commit events by height, scanned incrementally (a per-height log query over all history is slow). */
  private readonly commits = new Map<bigint, CommittedBatch>();
  private scannedTo?: bigint;

  private constructor(private readonly o: ClaimerOptions) {
    o.txs.onEvent((e) => {
      if (e.tx.kind !== 'claim' || e.type !== 'confirmed' || e.tx.cancelled) return;
      if (e.receipt.status === 'success') o.metrics?.exitsClaimed.inc();
      else o.log.warn({ id: e.tx.id }, 'claim reverted (claimed by someone else meanwhile)');
    });
  }

  static async open(o: ClaimerOptions): Promise<Claimer> {
    const c = new Claimer(o);
    c.cursor = (await getJson<bigint>(o.store, CURSOR_KEY)) ?? 0n;
    return c;
  }

  get claimedThrough(): bigint {
    return this.cursor;
  }

  async tick(): Promise<ClaimerTick> {
    const { client, rollup, bridge, txs, log, metrics } = this.o;
    await txs.poll();
    const verified = await client.readContract({
      address: rollup,
      abi: tesseraRollupAbi,
      functionName: 'verifiedHeight',
    });
    const budget = this.o.maxClaimsPerTick ?? 16;
    const out: ClaimerTick = { sent: [], skipped: 0, cursor: this.cursor };
    // Later batches are scanned while an earlier one still has claims in flight (or waiting for a
    // token listing), but the persisted cursor only moves over batches that are fully done.
    let blocked = false;
    const last = this.cursor + BigInt(this.o.scanWindow ?? 64);
    for (
      let height = this.cursor + 1n;
      height <= verified && height <= last && out.sent.length < budget;
      height++
    ) {
      const b = await client.readContract({
        address: rollup,
        abi: tesseraRollupAbi,
        functionName: 'batch',
        args: [height],
      });
      let done = true;
      if (b.exitCount > 0) {
        const exits = await readBatchExits(
          client,
          rollup,
          bridge,
          height,
          this.o.logRange,
          await this.commitOf(height, b.blockHash),
        );
        for (const e of exits) {
          const id = `claim:${height}:${e.j}`;
          if (txs.get(id)) {
            done = false; // ours, in flight or mined but not final yet (a reorg could undo it)
            continue;
          }
          if (e.claimed) continue;
          if (this.o.shouldClaim && !this.o.shouldClaim(e)) {
            metrics?.exitsSkipped.inc({ reason: 'policy' });
            out.skipped++;
            continue;
          }
          if (out.sent.length >= budget) {
            done = false;
            break;
          }
          try {
            await txs.send({
              id,
              kind: 'claim',
              to: bridge,
              data: encodeFunctionData({ abi: tesseraBridgeAbi, functionName: 'claim', args: claimArgs(e) }),
              abi: [...tesseraBridgeAbi, ...tesseraRollupAbi],
            });
            out.sent.push(id);
            done = false; // the cursor moves once the claim is final and isClaimed says so
            log.info(
              { id, recipient: e.exit.recipient, assetId: e.exit.assetId, amount: str(e.exit.amount) },
              'claiming exit for user',
            );
          } catch (err) {
            if (!(err instanceof SimulationRevertedError)) throw err;
            if (err.errorName === 'AlreadyClaimed') {
              metrics?.exitsSkipped.inc({ reason: 'claimed' });
              continue;
            }
            // UnknownAsset (token not listed yet), paused, ...: retry this batch later.
            metrics?.exitsSkipped.inc({ reason: err.errorName ?? 'revert' });
            log.warn({ id, error: err.errorName }, 'exit not claimable yet');
            done = false;
          }
        }
      }
      if (!done) blocked = true;
      if (blocked) continue;
      this.cursor = height;
      await this.o.store.write([putJson(CURSOR_KEY, this.cursor)], { sync: true });
    }
    out.cursor = this.cursor;
    return out;
  }

  /** The canonical commit event of `height` (checked against the rollup's stored block hash). */
  private async commitOf(height: bigint, blockHash: Hex): Promise<CommittedBatch | undefined> {
    const { client, rollup } = this.o;
    if (!this.commits.has(height)) {
      const head = await client.getBlockNumber();
      const from = this.scannedTo === undefined ? (this.o.logRange?.fromBlock ?? 0n) : this.scannedTo + 1n;
      if (from <= head) {
        for (const l of await getLogsChunked(client, rollup, BATCH_COMMITTED, {
          ...this.o.logRange,
          fromBlock: from,
          toBlock: head,
        })) {
          const c = committedFromLog(l);
          this.commits.set(c.height, c); // the latest event of a height wins (after revertBatches)
        }
        this.scannedTo = head;
      }
    }
    const cached = this.commits.get(height);
    if (cached && cached.blockHash === blockHash) return cached;
    // Not scanned yet, or the cache saw a reorged-out / reverted commit: ask for this height.
    const fresh = await readCommittedBatch(client, rollup, height, this.o.logRange);
    if (fresh && fresh.blockHash === blockHash) this.commits.set(height, fresh);
    return fresh;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log, metrics } = this.o;
    const interval = this.o.pollIntervalMs ?? 5_000;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.tick();
        failures = 0;
        metrics?.healthy.set({ service: 'claimer' }, 1);
        await sleep(interval, signal);
      } catch (err) {
        metrics?.loopErrors.inc({ service: 'claimer' });
        if (err instanceof BridgeError && err.fatal) throw err;
        failures++;
        if (failures >= 3) metrics?.healthy.set({ service: 'claimer' }, 0);
        const delay = backoffDelay(failures, interval, 60_000);
        log.warn({ err: (err as Error).message, failures, retryInMs: delay }, 'claimer iteration failed');
        await sleep(delay, signal);
      }
    }
  }
}
