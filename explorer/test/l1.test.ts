import { tesseraBridgeAbi, tesseraRollupAbi } from '@tessera/contracts/abi';
import { TxType } from '@tessera/core';
import pino from 'pino';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExplorer, startExplorer } from '../src/index.ts';
import {
  FALLBACK_BRIDGE_ABI,
  FALLBACK_ROLLUP_ABI,
  normalizeL1Event,
  resolveL1Abis,
} from '../src/indexer/l1Abi.ts';
import { type Anvil, contractEvents, startAnvil } from './support/anvil.ts';
import { FakeChain, FakeNode } from './support/fakeSequencer.ts';
import { ETH, buildScenario, deposit, testParams, user } from './support/scenario.ts';
import { tempDirs, waitFor } from './support/util.ts';

const ROLLUP: Hex = '0x00000000000000000000000000000000000a11ce';
const BRIDGE: Hex = '0x0000000000000000000000000000000000b41d9e';
const tmp = tempDirs();
let anvil: Anvil;
let l1: ReturnType<typeof contractEvents>;
let chain: FakeChain;
let node: FakeNode;
let explorer: RunningExplorer;
let dataDir: string;

const open = () =>
  startExplorer({
    rpcUrls: [node.url],
    dataDir,
    port: 0,
    pollMs: 50,
    clusterPollMs: 500,
    logger: pino({ level: 'silent' }),
    ledger: { params: { tree: testParams().tree } },
    // No ABIs given: resolved from @tessera/contracts, as in production.
    l1: {
      rpcUrl: anvil.rpcUrl,
      rollup: ROLLUP,
      bridge: BRIDGE,
      pollMs: 100,
      txUrl: 'https://l1.example/tx/{hash}',
    },
  });
const api = async (path: string) => {
  const res = await fetch(`${explorer.url}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as any;
};

beforeAll(async () => {
  anvil = await startAnvil();
  l1 = contractEvents(anvil, { rollup: tesseraRollupAbi, bridge: tesseraBridgeAbi }, ROLLUP, BRIDGE);
  chain = new FakeChain(testParams());
  await buildScenario(chain, 2);
  node = new FakeNode(chain, { name: 'node-1' });
  await node.start();
  dataDir = tmp.make();
  explorer = await open();
  await waitFor(async () => (await api('/api/status')).indexedHeight === '5', 'L2 index');
});
afterAll(async () => {
  await explorer?.close();
  await node?.stop();
  await anvil?.stop();
  tmp.cleanup();
});

describe('L1 watcher (anvil, contract code replaced by a log emitter, real contract ABIs)', () => {
  it('uses the ABIs of @tessera/contracts, which declare the events the fallback expects', async () => {
    const abis = await resolveL1Abis();
    expect(abis.source).toBe('@tessera/contracts');
    type Ev = {
      type: string;
      name?: string;
      inputs?: readonly { type: string; name?: string; indexed?: boolean }[];
    };
    const events = (abi: readonly Ev[]) =>
      abi
        .filter((x) => x.type === 'event')
        .map(
          (x) =>
            `${x.name}(${(x.inputs ?? []).map((p) => `${p.type}${p.indexed ? ' indexed' : ''} ${p.name}`).join(', ')})`,
        );
    expect(events(abis.rollup as never)).toEqual(
      expect.arrayContaining(events(FALLBACK_ROLLUP_ABI as never)),
    );
    expect(events(abis.bridge as never)).toEqual(
      expect.arrayContaining(events(FALLBACK_BRIDGE_ABI as never)),
    );
  });

  it('normalizes events by name whatever the argument names', () => {
    expect(normalizeL1Event('BatchCommitted', { batchNumber: 7n, blockHash: '0xAB' })).toEqual({
      kind: 'commit',
      height: 7n,
      blockHash: '0xab',
    });
    expect(normalizeL1Event('BatchVerified', { height: 3n })).toEqual({ kind: 'verify', height: 3n });
    expect(
      normalizeL1Event('DepositQueued', { index: 4n, sender: '0xAa', toIndex: 2, assetId: 1, amount: 5n }),
    ).toMatchObject({ kind: 'deposit', queueIndex: 4n, depositor: '0xaa', to: 2 });
    expect(normalizeL1Event('BatchesReverted', { fromHeight: 9n, toHeight: 7n })).toEqual({
      kind: 'revert',
      fromHeight: 9n,
      toHeight: 7n,
    });
    expect(normalizeL1Event('Transfer', { from: '0x1' })).toBeUndefined();
  });

  it('moves batches from committed to verified and transactions to "proven on L1"', async () => {
    const withdrawHash = chain.blocks[2]!.txHashes[2]!;
    expect((await api(`/api/txs/${withdrawHash}`)).status).toBe('committed');
    const commits: Hex[] = [];
    for (let h = 1; h <= 3; h++) commits.push(await l1.commit(BigInt(h), chain.blocks[h - 1]!.hash));
    await l1.verify(1n);
    await l1.verify(2n);
    await waitFor(async () => (await api('/api/status')).l1.verifiedHead === '2', 'verified head 2');
    const status = await api('/api/status');
    expect(status.l1).toMatchObject({
      enabled: true,
      committedHead: '3',
      verifiedHead: '2',
      abiSource: '@tessera/contracts',
    });
    expect((await api('/api/batches/1')).status).toBe('verified');
    const b3 = await api('/api/batches/3');
    expect(b3).toMatchObject({
      status: 'committed',
      blockHash: chain.blocks[2]!.hash,
      commit: { tx: commits[2] },
    });
    expect((await api('/api/batches/4')).status).toBe('pending');

    const tx = await api(`/api/txs/${withdrawHash}`);
    expect(tx.status).toBe('l1-committed');
    expect(tx.exit.status).toBe('awaiting proof');
    const html = await (await fetch(`${explorer.url}/tx/${withdrawHash}`)).text();
    expect(html).toContain(`href="https://l1.example/tx/${commits[2]}"`);

    await l1.verify(3n);
    await waitFor(async () => (await api(`/api/txs/${withdrawHash}`)).status === 'verified', 'tx proven');
    expect((await api(`/api/txs/${withdrawHash}`)).exit.status).toBe('claimable');
  });

  it('tracks deposits in flight until an L2 block includes them, and exits until claimed', async () => {
    const q = chain.state.nextDepositIndex;
    await l1.deposit(q, user(2).address, 2, 1, 2n * ETH);
    await l1.deposit(0n, user(1).address, 1, 1, 5n * ETH);
    await waitFor(
      async () =>
        (await api('/api/deposits')).items.find((d: { queueIndex: string }) => d.queueIndex === '0')?.l1,
      'both deposit events',
    );
    const inflight = (await api('/api/deposits?inflight=1')).items;
    expect(inflight).toHaveLength(1);
    expect(inflight[0]).toMatchObject({
      queueIndex: q.toString(),
      status: 'in flight',
      to: 2,
      amount: (2n * ETH).toString(),
    });
    // Deposit 0 was already on L2: it gains its L1 transaction but is not in flight.
    const all = await api('/api/deposits');
    expect(all.items.find((d: { queueIndex: string }) => d.queueIndex === '0')).toMatchObject({
      status: 'credited',
      l1: { tx: expect.stringMatching(/^0x/) },
    });

    chain.produce([deposit(chain, 0, 2, 2, 1, 2n * ETH)]);
    await waitFor(async () => (await api('/api/deposits?inflight=1')).items.length === 0, 'deposit included');
    const done = (await api('/api/deposits')).items.find(
      (d: { queueIndex: string }) => d.queueIndex === q.toString(),
    );
    expect(done).toMatchObject({
      status: 'credited',
      l1: { tx: expect.stringMatching(/^0x/) },
      l2: { height: String(chain.height), credited: true },
    });

    // Block 3's withdrawal is exit 0 of batch 3 (block 2's refund is exit 0 of batch 2).
    const exits = await api('/api/withdrawals?inflight=1');
    expect(exits.items.map((e: { height: string; j: number }) => `${e.height}:${e.j}`).sort()).toEqual([
      '2:0',
      '3:0',
    ]);
    const w = exits.items.find((e: { height: string }) => e.height === '3');
    await l1.claim(3n, 0, w.recipient, 1, BigInt(w.amount));
    await waitFor(async () => (await api('/api/withdrawals?inflight=1')).items.length === 1, 'claim applied');
    const tx = await api(`/api/txs/${w.txHash}`);
    expect(tx.exit).toMatchObject({ status: 'claimed', claim: { tx: expect.stringMatching(/^0x/) } });
    expect(tx.tx.type).toBe(TxType.WITHDRAW);

    // A deposit never included and paid back on L1 (escape hatch) leaves the in-flight list.
    await l1.deposit(q + 1n, user(3).address, 3, 1, ETH);
    await waitFor(
      async () => (await api('/api/deposits?inflight=1')).items.length === 1,
      'second deposit in flight',
    );
    await l1.reclaim(q + 1n, user(3).address, 1, ETH);
    await waitFor(async () => (await api('/api/deposits?inflight=1')).items.length === 0, 'reclaimed');
    expect((await api('/api/deposits')).items[0]).toMatchObject({
      queueIndex: (q + 1n).toString(),
      status: 'reclaimed',
    });
  });

  it('un-commits reverted batches', async () => {
    await l1.commit(4n, chain.blocks[3]!.hash);
    await l1.commit(5n, chain.blocks[4]!.hash);
    await waitFor(async () => (await api('/api/status')).l1.committedHead === '5', 'committed head 5');
    await l1.revert(5n, 3n);
    await waitFor(
      async () => (await api('/api/status')).l1.committedHead === '3',
      'committed head back to 3',
    );
    expect((await api('/api/batches/4')).status).toBe('pending');
    expect((await api('/api/batches/5')).status).toBe('pending');
    expect((await api('/api/batches/3')).status).toBe('verified');
  });

  it('resumes L1 scanning after a restart without losing or repeating events', async () => {
    const before = await api('/api/status');
    await explorer.close();
    await l1.commit(4n, chain.blocks[3]!.hash);
    await l1.verify(4n);
    explorer = await open();
    await waitFor(
      async () => (await api('/api/status')).l1.verifiedHead === '4',
      'verified head 4 after restart',
    );
    const after = await api('/api/status');
    expect(BigInt(after.l1.lastBlock)).toBeGreaterThan(BigInt(before.l1.lastBlock));
    expect(after.l1.committedHead).toBe('4');
    expect((await api('/api/batches/4')).status).toBe('verified');
    expect((await api('/api/withdrawals?inflight=1')).items).toHaveLength(1);
  });
});
