/**
 * Proof time per batch at the default circuit size, and proving throughput of the prover service
 * (worker threads with keys loaded, witness pipelined, one proof per core) against bare
 * `snarkjs groth16 fullprove` (one CLI process per batch, as a script would run it) on the same
 * blocks in the same run. Run: `npx tsx bench/prover.ts`. Writes bench/results/prover.json.
 * BENCH_PROVER_BLOCKS sets the number of blocks (default 4), TESSERA_CIRCUITS the circuit.
 */
import '../scripts/polyfills.ts';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Tx } from '@tessera/core';
import pino from 'pino';
import * as snarkjs from 'snarkjs';
import {
  buildBlockWitness,
  configuredCircuits,
  paramsLabel,
  setupCircuit,
  stateFromPreState,
} from '../circuits/src/index.ts';
import { depositTx, fundedState, transferTx, withdrawTx } from '../circuits/test/helpers.ts';
import {
  FileJobQueue,
  type ProofResult,
  type ProveJob,
  ProverService,
  chainParamsFromJson,
  decodeJobBlock,
  executeWithProveJob,
  jobId,
} from '../prover/src/index.ts';

type Result = { name: string; value: number; unit: string };
const require = createRequire(import.meta.url);

function sh(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

export default async function run(): Promise<Result[]> {
  const circuit = configuredCircuits()[0]!;
  const blocks = Number(process.env.BENCH_PROVER_BLOCKS ?? 4);
  const keys = await setupCircuit(circuit, { log: (m) => process.stderr.write(`${m}\n`) });
  console.log(
    `circuit ${paramsLabel(circuit)}: ${keys.constraints} constraints; ${blocks} blocks; ${cpus().length} cores`,
  );

  // ---- full blocks: deposits, transfers and a withdrawal in every slot
  // accounts 1..N hold asset 1 (fundedState gives the last one asset 2)
  const state = await fundedState(circuit, circuit.slots + 1, 1_000_000n);
  const jobs: ProveJob[] = [];
  let parent = `0x${'00'.repeat(32)}` as `0x${string}`;
  for (let b = 0; b < blocks; b++) {
    const txs: Tx[] = [depositTx(state, 1, 10n)];
    let from = 1;
    while (txs.length < circuit.slots - 1) {
      txs.push(transferTx(state, from, from, from + 1, 1000n));
      from++;
    }
    if (txs.length < circuit.slots) txs.push(withdrawTx(state, from, from, 5n));
    const { executed, job } = executeWithProveJob(state, txs, {
      height: BigInt(b + 1),
      parentHash: parent,
      timestamp: BigInt(b),
      slots: circuit.slots,
    });
    parent = executed.hash;
    jobs.push(job);
  }

  const work = await mkdtemp(join(tmpdir(), 'tessera-bench-prover-'));
  try {
    // ---- bare snarkjs groth16 fullprove, one CLI process per block (input.json built from core)
    const cli = join(dirname(require.resolve('snarkjs')), 'cli.cjs');
    const inputs: string[] = [];
    for (const [i, job] of jobs.entries()) {
      const w = buildBlockWitness(
        stateFromPreState(chainParamsFromJson(job.chain), job.preState),
        decodeJobBlock(job).txs,
        circuit,
      );
      const f = join(work, `input_${i}.json`);
      await writeFile(f, JSON.stringify(w.input));
      inputs.push(f);
    }
    const tBare = performance.now();
    for (const [i, f] of inputs.entries()) {
      await sh(process.execPath, [
        cli,
        'groth16',
        'fullprove',
        f,
        keys.wasm,
        keys.zkey,
        join(work, `proof_${i}.json`),
        join(work, `public_${i}.json`),
      ]);
    }
    const bareMs = performance.now() - tBare;
    const proof0 = JSON.parse(await readFile(join(work, 'proof_0.json'), 'utf8'));
    const public0 = JSON.parse(await readFile(join(work, 'public_0.json'), 'utf8'));
    if (!(await snarkjs.groth16.verify(keys.vkey, public0, proof0)))
      throw new Error('bare fullprove produced an invalid proof');

    // ---- the prover service on the same blocks
    const queueDir = join(work, 'queue');
    const queue = await FileJobQueue.open<ProveJob, ProofResult>(queueDir);
    for (const job of jobs) await queue.enqueue(jobId(job.height), job);
    const tStart = performance.now();
    const service = await ProverService.start({
      queueDir,
      circuit,
      keys,
      owner: 'bench',
      logger: pino({ level: 'silent' }),
    });
    const startupMs = performance.now() - tStart;
    const tSvc = performance.now();
    await service.drain();
    const serviceMs = performance.now() - tSvc;
    await service.stop();
    const proveTimes: number[] = [];
    for (const job of jobs) {
      const s = await queue.status(jobId(job.height));
      if (s?.state !== 'done') throw new Error(`job ${job.height} ended ${s?.state}: ${s?.error?.message}`);
      proveTimes.push(s.timings!.proveMs!);
    }
    const minute = 60_000;
    const results: Result[] = [
      { name: 'prove_time_per_batch_bare_fullprove', value: Math.round(bareMs / blocks), unit: 'ms' },
      {
        name: 'prove_time_per_batch_service_worker',
        value: Math.round(proveTimes.reduce((a, b) => a + b, 0) / blocks),
        unit: 'ms',
      },
      {
        name: 'throughput_bare_fullprove',
        value: +((blocks * minute) / bareMs).toFixed(2),
        unit: 'batches/min',
      },
      {
        name: 'throughput_prover_service',
        value: +((blocks * minute) / serviceMs).toFixed(2),
        unit: 'batches/min',
      },
      { name: 'service_speedup_vs_bare', value: +(bareMs / serviceMs).toFixed(2), unit: 'x' },
      { name: 'prover_service_startup', value: Math.round(startupMs), unit: 'ms' },
      { name: 'default_circuit_constraints', value: keys.constraints, unit: 'constraints' },
    ];
    for (const r of results) console.log(`${r.name.padEnd(40)} ${String(r.value).padStart(10)} ${r.unit}`);
    const here = dirname(fileURLToPath(import.meta.url));
    await mkdir(join(here, 'results'), { recursive: true });
    await writeFile(join(here, 'results', 'prover.json'), JSON.stringify(results, null, 2));
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
