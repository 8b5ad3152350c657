/**
 * Turns committed blocks into proving jobs: follows the sequencers (any BlockSource), replays
 * every block with core on its own replica of the state to take the pre-state witness, and
 * enqueues one job per block. Idempotent: a job already in the queue is not enqueued again, so a
 * restarted feeder replays from genesis and only adds what is missing.
 */
import { extractPreState } from '@tessera/circuits';
import { type ChainParams, L2State, replayBlock } from '@tessera/core';
import type { Logger } from 'pino';
import { type ProofResult, type ProveJob, buildProveJob, jobId } from './job.ts';
import type { FileJobQueue } from './queue.ts';

export type FeederBlockSource = {
  block(
    height: bigint,
  ): Promise<{ header: import('@tessera/core').BlockHeader; txs: import('@tessera/core').Tx[] } | null>;
};

export class BlockFeeder {
  readonly state: L2State;
  private height = 0n;
  private running = false;

  constructor(
    private readonly source: FeederBlockSource,
    private readonly queue: FileJobQueue<ProveJob, ProofResult>,
    private readonly params: ChainParams,
    private readonly slots: number,
    private readonly log: Logger,
    private readonly pollMs = 500,
  ) {
    this.state = new L2State(params);
  }

  get replayedHeight(): bigint {
    return this.height;
  }

  /** Feed every block available now; returns how many were replayed. */
  async step(): Promise<number> {
    let n = 0;
    for (;;) {
      const next = this.height + 1n;
      const block = await this.source.block(next);
      if (!block) return n;
      const preState = extractPreState(this.state, block.txs);
      replayBlock(this.state, { header: block.header, txs: block.txs }, this.slots);
      const added = await this.queue.enqueue(
        jobId(next),
        buildProveJob(preState, this.params, { header: block.header, txs: block.txs }),
      );
      if (added) this.log.info({ height: next.toString(), txs: block.txs.length }, 'proving job enqueued');
      this.height = next;
      n++;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      while (this.running) {
        try {
          await this.step();
        } catch (err) {
          this.log.warn(
            { err: (err as Error).message, height: (this.height + 1n).toString() },
            'feeder: cannot take the next block yet',
          );
        }
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    })();
  }

  stop(): void {
    this.running = false;
  }
}
