export * from './job.ts';
export * from './queue.ts';
export * from './pool.ts';
export * from './service.ts';

import { type ProofResult, type ProveJob, jobId } from './job.ts';
import { FileJobQueue } from './queue.ts';

/**
 * Sequencer side: queue a block's proving job (see `executeWithProveJob` / `buildProveJob`; the job
 * carries only the accounts and tree nodes the block touches). Idempotent per height.
 */
export async function enqueueProveJob(queueDir: string, job: ProveJob): Promise<string> {
  const queue = await FileJobQueue.open<ProveJob, ProofResult>(queueDir);
  const id = jobId(job.height);
  await queue.enqueue(id, job);
  return id;
}
