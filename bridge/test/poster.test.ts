import { tesseraRollupAbi } from '@tessera/contracts';
import { type Hex, type PublicClient, encodeFunctionData } from 'viem';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchPoster } from '../src/batchPoster.ts';
import { RpcBlockSource } from '../src/blockSource.ts';
import { l1Certificate } from '../src/certificate.ts';
import { sleep } from '../src/retry.ts';
import {
  ETH,
  type L1,
  TestChain,
  TinyProver,
  commitEvents,
  depositEth,
  l2User,
  openOperator,
  registerTx,
  rollupHeads,
  serveChain,
  silent,
  startL1,
  tempDir,
  tickUntil,
  transferTx,
  withdrawTx,
} from './helpers.ts';

let l1: L1;
let snapshot: Hex;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  l1 = await startL1();
});
afterAll(async () => {
  await l1?.stop();
});
beforeEach(async () => {
  snapshot = await l1.test.snapshot();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await l1.test.setAutomine(true);
  await l1.test.revert({ id: snapshot });
});

const client = () => l1.client as unknown as PublicClient;
const value = async (m: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await m.get()).values.reduce((s, v) => s + v.value, 0);

async function setup(opts: { confirmations?: number; stuckAfterMs?: number; proofs?: boolean } = {}) {
  const chain = new TestChain(l1);
  const rpc = await serveChain(chain);
  const dir = tempDir('poster');
  const prover = new TinyProver(chain, l1.circuit);
  // The first endpoint is down: every call fails over to the second.
  const source = new RpcBlockSource(['http://127.0.0.1:9/rpc', rpc.url], { timeoutMs: 2_000 });
  const overrides = { confirmations: opts.confirmations ?? 1, stuckAfterMs: opts.stuckAfterMs ?? 60_000 };
  let op = await openOperator(l1, dir.path, overrides);
  const makePoster = () =>
    BatchPoster.create({
      client: client(),
      rollup: l1.rollup,
      txs: op.txs,
      source,
      replica: op.replica,
      proofs: opts.proofs ? prover : undefined,
      log: silent,
      metrics: op.metrics,
    });
  let poster = await makePoster();
  cleanups.push(async () => {
    await op.store.close();
    await rpc.close();
    dir.remove();
  });
  return {
    chain,
    prover,
    get op() {
      return op;
    },
    get poster() {
      return poster;
    },
    /** Simulates a crash and restart: the store is closed and everything is rebuilt from disk. */
    async restart() {
      await op.store.close();
      op = await openOperator(l1, dir.path, overrides);
      poster = await makePoster();
    },
  };
}

/**
 * An L1 reorg that drops every block after `snapshot`: the chain returns to that point and grows a
 * longer fork of empty blocks. (evm_revert rather than anvil_reorg: anvil_reorg after earlier
 * snapshot reverts in the same node can restore stale state.)
 */
async function reorgTo(snapshot: Hex): Promise<void> {
  const head = await l1.client.getBlockNumber();
  await l1.test.revert({ id: snapshot });
  const base = await l1.client.getBlockNumber();
  await l1.test.mine({ blocks: Number(head - base) + 1 });
}

async function operatorNonce(): Promise<number> {
  return l1.client.getTransactionCount({ address: l1.operator.address });
}

async function pendingFromOperator(): Promise<number> {
  const pool = (await l1.client.request({ method: 'txpool_content' as never })) as {
    pending: Record<string, Record<string, unknown>>;
  };
  const mine = Object.entries(pool.pending).find(
    ([a]) => a.toLowerCase() === l1.operator.address.toLowerCase(),
  );
  return mine ? Object.keys(mine[1]).length : 0;
}

describe('batch poster', () => {
  it('commits and verifies register, deposit, transfer and withdraw blocks in order, and never posts twice across restarts', async () => {
    const s = await setup({ proofs: true });
    const [alice, bob] = [l2User(l1.users[0]!, 'alice'), l2User(l1.users[1]!, 'bob')];
    await s.chain.produce([await registerTx(alice), await registerTx(bob)]);
    await depositEth(l1, alice.wallet, 1, 5n * ETH);
    await depositEth(l1, bob.wallet, 9, ETH); // no account 9: refunded through an exit
    await s.chain.produce([transferTx(alice, 1, 2, 2n * ETH, 0n)]);
    await s.chain.produce([withdrawTx(bob, 2, ETH, 0n)]);

    await tickUntil(
      () => s.poster.tick(),
      async () => (await rollupHeads(l1)).verified >= 3n && s.op.txs.tracked().length === 0,
    );
    expect(await rollupHeads(l1)).toEqual({ committed: 3n, verified: 3n });
    const events = await commitEvents(l1);
    expect(events.map((e) => e.args.height)).toEqual([1n, 2n, 3n]);
    expect(events.map((e) => e.args.blockHash)).toEqual(s.chain.blocks.map((b) => b.hash));
    expect(events.map((e) => e.args.depositCount)).toEqual([0, 2, 0]);
    expect(events.map((e) => e.args.exitCount)).toEqual([0, 1, 1]);
    expect(await value(s.op.metrics.batchesCommitted)).toBe(3);
    expect(await value(s.op.metrics.batchesVerified)).toBe(3);
    expect(await operatorNonce()).toBe(6);

    // Restart with everything on disk: nothing left to do, nothing sent.
    await s.restart();
    expect(s.op.replica.height).toBe(3n);
    expect(s.op.replica.stateRoot).toBe(s.chain.state.stateRoot());
    expect((await s.poster.tick()).sent).toEqual([]);
    expect(await operatorNonce()).toBe(6);

    // Crash after broadcasting, before inclusion: the restarted poster keeps watching that transaction.
    await s.chain.produce([transferTx(alice, 1, 2, ETH, 1n)]);
    await l1.test.setAutomine(false);
    expect((await s.poster.tick()).sent).toEqual(['commit:4']);
    await s.restart();
    expect((await s.poster.tick()).sent).toEqual([]);
    expect(await pendingFromOperator()).toBe(1);
    await l1.test.mine({ blocks: 1 });
    await l1.test.setAutomine(true);
    await tickUntil(
      () => s.poster.tick(),
      async () => (await rollupHeads(l1)).verified >= 4n,
    );
    expect(await rollupHeads(l1)).toEqual({ committed: 4n, verified: 4n });
    expect((await commitEvents(l1)).map((e) => e.args.height)).toEqual([1n, 2n, 3n, 4n]);
    expect(await operatorNonce()).toBe(8);
  });

  it('re-posts a commit that an L1 reorg removed, and waits for its confirmations', async () => {
    const s = await setup({ confirmations: 3 });
    const alice = l2User(l1.users[0]!, 'alice');
    await s.chain.produce([await registerTx(alice)]);
    await s.chain.produce([await registerTx(l2User(l1.users[1]!, 'bob'))]);

    const beforeCommits = await l1.test.snapshot();
    expect((await s.poster.tick()).sent).toEqual(['commit:1']);
    const first = s.op.txs.get('commit:1')!;
    // automine is asynchronous: wait for the block that holds the commit before reading the head.
    await l1.client.waitForTransactionReceipt({ hash: first.attempts[0]!.hash });
    expect((await rollupHeads(l1)).committed).toBe(1n);
    // One confirmation of three: commit:1 stays tracked (mined, not final) while the next height,
    // whose parent is now on L1, is sent.
    expect((await s.poster.tick()).sent).toEqual(['commit:2']);
    expect(s.op.txs.get('commit:1')?.mined).toBeDefined();

    await l1.client.waitForTransactionReceipt({ hash: s.op.txs.get('commit:2')!.attempts[0]!.hash });
    const minedIn = s.op.txs.get('commit:1')!.mined!.blockHash;
    await reorgTo(beforeCommits);
    expect((await rollupHeads(l1)).committed).toBe(0n);
    expect(await operatorNonce()).toBe(0);

    for (
      let i = 0;
      i < 10 && !((await rollupHeads(l1)).committed === 2n && s.op.txs.tracked().length === 0);
      i++
    ) {
      await s.poster.tick();
      await l1.test.mine({ blocks: 1 });
    }
    expect(await value(s.op.metrics.txReorged)).toBeGreaterThanOrEqual(1);
    expect(await rollupHeads(l1)).toEqual({ committed: 2n, verified: 0n });
    const events = await commitEvents(l1);
    expect(events.map((e) => e.args.height)).toEqual([1n, 2n]);
    expect(events.map((e) => e.args.blockHash)).toEqual(s.chain.blocks.map((b) => b.hash));
    // The very same signed transaction came back (same nonce, same hash): nothing new was built.
    expect(events[0]!.transactionHash).toBe(first.attempts[0]!.hash);
    expect(events[0]!.blockHash).not.toBe(minedIn);
    expect(await operatorNonce()).toBe(2);
  });

  it('cancels its re-broadcast when, after a reorg, another submitter already committed the height', async () => {
    const s = await setup({ confirmations: 3 });
    await s.chain.produce([await registerTx(l2User(l1.users[0]!, 'alice'))]);
    await s.chain.produce([await registerTx(l2User(l1.users[1]!, 'bob'))]);
    const beforeCommit = await l1.test.snapshot();
    expect((await s.poster.tick()).sent).toEqual(['commit:1']);
    // automine is asynchronous: the reorg must drop a block that really holds the commit.
    await l1.client.waitForTransactionReceipt({ hash: s.op.txs.get('commit:1')!.attempts[0]!.hash });
    await reorgTo(beforeCommit);

    // A competitor (any account may submit) posts block 1 on the new fork first.
    const p = (await s.op.replica.prepared(1n))!;
    const sequencers = await l1.client.readContract({
      address: l1.rollup,
      abi: tesseraRollupAbi,
      functionName: 'sequencers',
    });
    const cert = await l1Certificate(p.certificate, 7777n, sequencers);
    const hash = await l1.users[3]!.sendTransaction({
      to: l1.rollup,
      data: encodeFunctionData({
        abi: tesseraRollupAbi,
        functionName: 'commitBatch',
        args: [
          p.header,
          p.depositCount,
          p.records,
          p.registrations,
          p.exits,
          { round: cert.round, signatures: cert.signatures },
        ],
      }),
    });
    expect((await l1.client.waitForTransactionReceipt({ hash })).status).toBe('success');

    const t = await s.poster.tick();
    expect(t.cancelled).toEqual(['commit:1']);
    expect(t.sent).toEqual(['commit:2']);
    for (let i = 0; i < 6 && s.op.txs.tracked().length > 0; i++) {
      await l1.test.mine({ blocks: 1 });
      await s.poster.tick();
    }
    expect(await rollupHeads(l1)).toEqual({ committed: 2n, verified: 0n });
    expect((await commitEvents(l1)).map((e) => e.args.height)).toEqual([1n, 2n]);
    expect(await value(s.op.metrics.txCancelled)).toBe(1);
    expect(await value(s.op.metrics.txReverted)).toBe(0);
  });

  it('replaces a stuck commit with the same nonce and bumped fees, also after the market outgrows it', async () => {
    // The stuck timeout is long against one tick (tens of ms) so that a loaded CI machine cannot make
    // the immediate second tick look stuck, and short enough to keep the test quick.
    const s = await setup({ stuckAfterMs: 1_500 });
    await s.chain.produce([await registerTx(l2User(l1.users[0]!, 'alice'))]);
    await l1.test.setAutomine(false); // nothing gets mined unless the test says so
    expect((await s.poster.tick()).sent).toEqual(['commit:1']);
    const tracked = s.op.txs.get('commit:1')!;
    const first = tracked.attempts[0]!;
    expect((await s.poster.tick()).sent).toEqual([]); // pending, not stuck for long enough yet
    expect(tracked.attempts).toHaveLength(1);

    // Pending past the timeout: same nonce, fees up by at least the bump.
    await sleep(1_600);
    await s.poster.tick();
    expect(tracked.attempts).toHaveLength(2);
    const second = tracked.attempts[1]!;
    expect(second.hash).not.toBe(first.hash);
    expect(second.maxFeePerGas).toBeGreaterThanOrEqual((first.maxFeePerGas * 115n) / 100n);
    expect(second.maxPriorityFeePerGas).toBeGreaterThanOrEqual((first.maxPriorityFeePerGas * 115n) / 100n);
    expect(await pendingFromOperator()).toBe(1);

    // The base fee jumps above the transaction's fee cap: a block is mined without it.
    await l1.test.setNextBlockBaseFeePerGas({ baseFeePerGas: second.maxFeePerGas * 4n });
    await l1.test.mine({ blocks: 1 });
    expect((await rollupHeads(l1)).committed).toBe(0n);
    await sleep(1_600);
    await s.poster.tick();
    const third = tracked.attempts[tracked.attempts.length - 1]!;
    expect(third.maxFeePerGas).toBeGreaterThan(second.maxFeePerGas * 3n);
    expect(await pendingFromOperator()).toBe(1);

    await l1.test.mine({ blocks: 1 });
    await s.poster.tick();
    const [event] = await commitEvents(l1);
    expect(event?.transactionHash).toBe(third.hash);
    expect((await rollupHeads(l1)).committed).toBe(1n);
    expect(await value(s.op.metrics.txReplaced)).toBeGreaterThanOrEqual(2);
    expect(await operatorNonce()).toBe(1);
    expect(s.op.txs.tracked()).toHaveLength(0);
  });
});
