/**
 * Print the proving queue: `npx tsx prover/src/status.ts [queueDir]` (default PROVER_QUEUE_DIR or
 * ~/.cache/tessera/prover-queue). One line per job: state, attempts, owner, timings, error.
 */
import '../../scripts/polyfills.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FileJobQueue } from './queue.ts';

const dir =
  process.argv[2] ?? process.env.PROVER_QUEUE_DIR ?? join(homedir(), '.cache', 'tessera', 'prover-queue');
const queue = await FileJobQueue.open(dir);
const jobs = await queue.list();
const counts: Record<string, number> = {};
for (const s of jobs) {
  counts[s.state] = (counts[s.state] ?? 0) + 1;
  const t = s.timings
    ? Object.entries(s.timings)
        .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`)
        .join(' ')
    : '';
  const err = s.error ? ` ${s.error.code}: ${s.error.message.slice(0, 120)}` : '';
  console.log(`${s.id}  ${s.state.padEnd(7)} attempts=${s.attempts} ${s.owner ?? ''} ${t}${err}`);
}
console.log(
  Object.entries(counts)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'queue is empty',
);
