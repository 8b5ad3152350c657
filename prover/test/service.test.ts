import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CircuitKeys, PARAM_SETS, setupCircuit } from '@tessera/circuits';
import {
  type L2State,
  type TransferTx,
  type Tx,
  batchPublicInput,
  decodeBlock,
  encodeBlock,
  fromHex,
  toHex,
} from '@tessera/core';
import pino from 'pino';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  depositTx,
  fundedState,
  noteOf,
  privacyState,
  privateTransferTx,
  registerTx,
  rotateObserverTx,
  shieldTx,
  transferTx,
  unshieldTx,
  wallet,
  withdrawTx,
} from '../../circuits/test/helpers.ts';
import {
  FileJobQueue,
  type ProofResult,
  type ProveJob,
  ProverService,
  enqueueProveJob,
  executeWithProveJob,
  jobId,
} from '../src/index.ts';

const C = PARAM_SETS.test;
const ROOT = resolve(import.meta.dirname, '../..');
let keys: CircuitKeys;
const dirs: string[] = [];
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  keys = await setupCircuit(C);
}, 900_000);

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tessera-prover-'));
  dirs.push(d);
  return d;
}

/** Blocks 1..n of a small chain, each with its proving job and the public input core expects. */
async function chain(blocks: ((s: L2State) => Promise<Tx[]>)[], genesis = () => fundedState(C, 3, 1000n)) {
  const state = await genesis();
  const out: { job: ProveJob; publicInput: bigint }[] = [];
  let parent = `0x${'00'.repeat(32)}` as `0x${string}`;
  for (let i = 0; i < blocks.length; i++) {
    const txs = await blocks[i]!(state);
    const { executed, job } = executeWithProveJob(state, txs, {
      height: BigInt(i + 1),
      parentHash: parent,
      timestamp: 1_700_000_000n + BigInt(i),
      slots: C.slots,
    });
    parent = executed.hash;
    const h = executed.block.header;
    out.push({ job, publicInput: batchPublicInput(h.prevStateRoot, h.stateRoot, executed.commitment) });
  }
  return out;
}

async function waitFor<T>(f: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnProver(queueDir: string, id: string, extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'prover/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PROVER_QUEUE_DIR: queueDir,
      PROVER_ID: id,
      PROVER_WORKERS: '1',
      PROVER_POLL_MS: '100',
      TESSERA_CIRCUITS: `${C.slots}x${C.arity}x${C.depth}`,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', () => {});
  return child;
}

describe('prover service', () => {
  it('proves queued blocks in order; a malformed job fails with a clear error and does not block later jobs', async () => {
    const blocks = await chain([
      async (s) => [depositTx(s, 1, 50n), transferTx(s, 1, 1, 2, 100n)],
      async (s) => [await registerTx(40, 1, C.chainId), withdrawTx(s, 2, 2, 30n)],
    ]);
    const dir = await tempDir();
    await enqueueProveJob(dir, blocks[0]!.job);
    // height 2: bytes that are not a block; height 3: the real second block, renumbered later in the queue
    const queue = await FileJobQueue.open<ProveJob, ProofResult>(dir);
    await queue.enqueue(jobId(2n), { ...blocks[1]!.job, height: '2', block: '0xdeadbeef' });
    await queue.enqueue(jobId(3n), { version: 1, height: 'three' } as unknown as ProveJob);
    await queue.enqueue(jobId(4n), blocks[1]!.job);

    const events: string[] = [];
    const service = await ProverService.start({
      queueDir: dir,
      circuit: C,
      keys,
      workers: 2,
      owner: 'a',
      logger: silent,
      onEvent: (e) => events.push(`${e.type}:${e.id}`),
    });
    try {
      await service.drain();
    } finally {
      await service.stop();
    }
    const s1 = await queue.status(jobId(1n));
    const s2 = await queue.status(jobId(2n));
    const s3 = await queue.status(jobId(3n));
    const s4 = await queue.status(jobId(4n));
    expect(s1?.state).toBe('done');
    expect(s2).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'MALFORMED_BLOCK', permanent: true },
    });
    expect(s2!.error!.message).toMatch(/block bytes do not decode/);
    expect(s3).toMatchObject({ state: 'failed', error: { code: 'MALFORMED_JOB' } });
    expect(s3!.error!.message).toMatch(/height/);
    expect(s4?.state).toBe('done');
    expect(s4!.timings!.proveMs).toBeGreaterThan(0);
    expect(events).toContain(`done:${jobId(4n)}`);

    for (const [id, expected] of [
      [jobId(1n), blocks[0]!.publicInput],
      [jobId(4n), blocks[1]!.publicInput],
    ] as const) {
      const r = (await queue.result(id))!;
      expect(r.publicInput).toBe(expected.toString());
      expect(await snarkjs.groth16.verify(keys.vkey, r.publicSignals, r.proof)).toBe(true);
    }
  }, 300_000);

  it('proves privacy blocks (shield, private transfer, unshield, observer-key rotation) from their JSON jobs', async () => {
    const blocks = await chain(
      [
        async (s) => [
          shieldTx(s, 1, wallet(20)),
          privateTransferTx(s, noteOf(s, wallet(1)), wallet(1), wallet(21)),
        ],
        async (s) => [unshieldTx(s, noteOf(s, wallet(21)), wallet(21), 2), rotateObserverTx(s)],
      ],
      () => privacyState(C, 8),
    );
    // the job carries the accumulators, the observer key and the privacy parameters, not the notes
    const job = JSON.parse(JSON.stringify(blocks[0]!.job)) as ProveJob;
    expect(job.preState.notesRoot).not.toBe('0');
    expect(job.preState.observerKey?.epoch).toBe('1');
    expect(job.chain.assets[0]!.denominations).toContain((10n ** 18n).toString());
    expect(job.chain.privacy?.minRingSize).toBe(8);
    const dir = await tempDir();
    for (const b of blocks) await enqueueProveJob(dir, JSON.parse(JSON.stringify(b.job)));
    const service = await ProverService.start({
      queueDir: dir,
      circuit: C,
      keys,
      workers: 1,
      owner: 'p',
      logger: silent,
    });
    try {
      await service.drain();
    } finally {
      await service.stop();
    }
    const queue = await FileJobQueue.open<ProveJob, ProofResult>(dir);
    for (const [i, b] of blocks.entries()) {
      expect(await queue.status(jobId(BigInt(i + 1)))).toMatchObject({ state: 'done' });
      const r = (await queue.result(jobId(BigInt(i + 1))))!;
      expect(r.publicInput).toBe(b.publicInput.toString());
      expect(await snarkjs.groth16.verify(keys.vkey, r.publicSignals, r.proof)).toBe(true);
    }
  }, 300_000);

  it('fails a block whose transactions core rejects (bad signature) with INVALID_BLOCK', async () => {
    const [b] = await chain([async (s) => [transferTx(s, 1, 1, 2, 100n)]]);
    // the sequencer "commits" the transfer with a larger amount than was signed
    const block = decodeBlock(fromHex(b!.job.block));
    const tx = block.txs[0]! as TransferTx;
    block.txs[0] = { ...tx, amount: tx.amount + 1n };
    const dir = await tempDir();
    await enqueueProveJob(dir, { ...b!.job, block: toHex(encodeBlock(block)) });
    const service = await ProverService.start({
      queueDir: dir,
      circuit: C,
      keys,
      workers: 1,
      owner: 'b',
      logger: silent,
    });
    try {
      await service.drain();
    } finally {
      await service.stop();
    }
    const queue = await FileJobQueue.open(dir);
    const st = await queue.status(jobId(1n));
    expect(st?.state).toBe('failed');
    expect(st).toMatchObject({ attempts: 1, error: { code: 'INVALID_BLOCK', permanent: true } });
    expect(st!.error!.message).toMatch(/BAD_SIGNATURE/);
  }, 300_000);

  it('a prover process killed mid-job is restarted and finishes the job', async () => {
    const [b] = await chain([async (s) => [depositTx(s, 2, 10n), transferTx(s, 2, 2, 1, 70n)]]);
    const dir = await tempDir();
    await enqueueProveJob(dir, b!.job);
    const queue = await FileJobQueue.open<ProveJob, ProofResult>(dir);

    const first = spawnProver(dir, 'restartable');
    await waitFor(
      async () => ((await queue.status(jobId(1n)))?.state === 'running' ? true : undefined),
      120_000,
      'the job to start',
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const mid = await queue.status(jobId(1n));
    expect(mid).toMatchObject({ state: 'running', attempts: 1 });
    expect(await queue.result(jobId(1n))).toBeUndefined();

    const second = spawnProver(dir, 'restartable');
    try {
      const done = await waitFor(
        async () => {
          const s = await queue.status(jobId(1n));
          return s?.state === 'done' || s?.state === 'failed' ? s : undefined;
        },
        240_000,
        'the job to finish',
      );
      expect(done).toMatchObject({ state: 'done', attempts: 2 });
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const r = (await queue.result(jobId(1n)))!;
    expect(r.publicInput).toBe(b!.publicInput.toString());
    expect(await snarkjs.groth16.verify(keys.vkey, r.publicSignals, r.proof)).toBe(true);
  }, 420_000);
});

describe('file job queue', () => {
  it('gives a job to one owner at a time; an expired lease is taken over; statuses survive reopening', async () => {
    const dir = await tempDir();
    const q1 = await FileJobQueue.open<{ n: number }, { ok: boolean }>(dir, { leaseMs: 1_500 });
    expect(await q1.enqueue('job-1', { n: 1 })).toBe(true);
    expect(await q1.enqueue('job-1', { n: 2 })).toBe(false);
    const a = await q1.claim('a');
    expect(a?.lease.id).toBe('job-1');
    const q2 = await FileJobQueue.open<{ n: number }, { ok: boolean }>(dir, { leaseMs: 1_500 });
    expect(await q2.claim('b')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1_600));
    const b = await q2.claim('b');
    expect(b?.status.attempts).toBe(2);
    await expect(q1.complete(a!.lease, { ok: false }, {})).rejects.toThrow(/taken over/);
    await q2.complete(b!.lease, { ok: true }, { totalMs: 1 });
    const reopened = await FileJobQueue.open<{ n: number }, { ok: boolean }>(dir);
    expect(await reopened.status('job-1')).toMatchObject({ state: 'done', attempts: 2, owner: 'b' });
    expect(await reopened.result('job-1')).toEqual({ ok: true });
    expect(await reopened.load('job-1')).toEqual({ n: 1 });
  });

  it('retries transient failures with backoff, then gives up; permanent failures are final', async () => {
    const dir = await tempDir();
    const q = await FileJobQueue.open<{ n: number }, unknown>(dir, { maxAttempts: 2, backoffMs: 1_500 });
    await q.enqueue('t', { n: 1 });
    await q.enqueue('u', { n: 2 });
    const c1 = (await q.claim('x'))!;
    expect(c1.lease.id).toBe('t');
    expect(await q.fail(c1.lease, { code: 'IO', message: 'disk hiccup' }, false)).toMatchObject({
      state: 'pending',
      attempts: 1,
    });
    // in backoff: the next claim skips it and takes the later job
    const c2 = (await q.claim('x'))!;
    expect(c2.lease.id).toBe('u');
    expect(await q.fail(c2.lease, { code: 'MALFORMED_JOB', message: 'bad' }, true)).toMatchObject({
      state: 'failed',
      attempts: 1,
    });
    await new Promise((r) => setTimeout(r, 1_600));
    const c3 = (await q.claim('x'))!;
    expect(c3.lease.id).toBe('t');
    expect(await q.fail(c3.lease, { code: 'IO', message: 'again' }, false)).toMatchObject({
      state: 'failed',
      attempts: 2,
    });
    expect(await q.claim('x')).toBeUndefined();
  });
});
