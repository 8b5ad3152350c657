import { resolve } from 'node:path';
import { tesseraBridgeAbi, tesseraRollupAbi } from '@tessera/contracts/abi';
import pino from 'pino';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExplorer, startExplorer } from '../src/index.ts';
import { runExplorerBrowserChecks } from '../src/testing/browserChecks.ts';
import { type Anvil, contractEvents, startAnvil } from './support/anvil.ts';
import { FakeChain, FakeNode } from './support/fakeSequencer.ts';
import { buildScenario, privacyScenario, testParams, transfer } from './support/scenario.ts';
import { tempDirs, waitFor } from './support/util.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../test-artifacts/explorer');
const ROLLUP: Hex = '0x00000000000000000000000000000000000a11ce';
const BRIDGE: Hex = '0x0000000000000000000000000000000000b41d9e';
const tmp = tempDirs();
let chain: FakeChain;
let nodes: FakeNode[];
let anvil: Anvil;
let l1: ReturnType<typeof contractEvents>;
let explorer: RunningExplorer;
let stopProver: () => Promise<void> = async () => {};

/**
 * Plays the L1 side: commits every new block at once and proves it about two seconds later, so
 * an open batch page can be seen moving from "committed" to "verified".
 */
function fakeProver(proveAfterMs: number) {
  let committed = 0;
  const seen = new Map<number, number>();
  let verified = 0;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      while (committed < chain.height) {
        committed++;
        await l1.commit(BigInt(committed), chain.blocks[committed - 1]!.hash);
        seen.set(committed, Date.now());
      }
      while (verified < committed && Date.now() - seen.get(verified + 1)! >= proveAfterMs) {
        verified++;
        await l1.verify(BigInt(verified));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const done = loop();
  return async () => {
    stopped = true;
    await done;
  };
}

beforeAll(async () => {
  anvil = await startAnvil();
  l1 = contractEvents(anvil, { rollup: tesseraRollupAbi, bridge: tesseraBridgeAbi }, ROLLUP, BRIDGE);
  chain = new FakeChain(testParams());
  await buildScenario(chain, 3);
  chain.produce([transfer(chain, 2, 2, 1, 10n ** 16n)]);
  privacyScenario(chain);
  nodes = ['tessera-0', 'tessera-1', 'tessera-2', 'tessera-3'].map((name) => new FakeNode(chain, { name }));
  await Promise.all(nodes.map((n) => n.start()));
  explorer = await startExplorer({
    rpcUrls: nodes.map((n) => n.url),
    dataDir: tmp.make(),
    port: 0,
    pollMs: 200,
    clusterPollMs: 500,
    ledger: { params: { tree: testParams().tree }, verifyStateRoots: true },
    logger: pino({ level: 'silent' }),
    l1: {
      rpcUrl: anvil.rpcUrl,
      rollup: ROLLUP,
      bridge: BRIDGE,
      pollMs: 150,
    },
  });
  await waitFor(
    async () =>
      ((await (await fetch(`${explorer.url}/api/status`)).json()) as { indexedHeight: string })
        .indexedHeight === String(chain.height),
    'index',
  );
  stopProver = fakeProver(2_500);
}, 120_000);

afterAll(async () => {
  await stopProver();
  await explorer?.close();
  await Promise.all((nodes ?? []).map((n) => n.stop()));
  await anvil?.stop();
  tmp.cleanup();
});

describe('explorer in headless Chromium', () => {
  it('browses home, block, transaction, account, searches, live block, verified batch and error pages', async () => {
    const report = await runExplorerBrowserChecks({
      url: explorer.url,
      screenshotsDir: SCREENSHOTS,
      produceBlock: async () => {
        chain.produce([transfer(chain, 1, 1, 3, 10n ** 15n)]);
      },
      expectVerifiedBatch: { timeoutMs: 15_000 },
    });
    expect(report.liveBlock).toBe(String(chain.height));
    expect(report.batch).toMatchObject({ height: String(chain.height), finalStatus: 'verified' });
    expect(report.batch!.initialStatus).not.toBe('verified');
    expect(report.screenshots.map((s) => s.split('/').pop())).toEqual(
      expect.arrayContaining([
        'home.png',
        'block.png',
        'transaction.png',
        'account.png',
        'address.png',
        'home-live-block.png',
        'error-unknown-hash.png',
        'error-malformed-search.png',
        'error-page-out-of-range.png',
        'batch-verified.png',
        'home-phone.png',
      ]),
    );
    expect(report.steps).toHaveLength(10);
  }, 120_000);
});
