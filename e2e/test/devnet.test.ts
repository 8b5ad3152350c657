/**
 * End to end on the real devnet (`scripts/devnet.ts`, the same code as `npm start`): anvil, the
 * deployed contracts with the real Groth16 verifier, four sequencer processes over libp2p with
 * RocksDB, the prover, the bridge services and the explorer. Nothing is mocked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http } from 'viem';
import { foundry } from 'viem/chains';
import { tesseraRollupAbi } from '../../contracts/src/index.ts';
import { runExplorerBrowserChecks } from '../../explorer/src/testing/browserChecks.ts';
import { TesseraClient, Wallet } from '../../sdk/src/index.ts';
import { privateKeyToAccount } from 'viem/accounts';
import { type DemoResult, runDemo } from '../../scripts/demo.ts';

const root = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** A block of 4 consecutive free ports (sequencer RPC or libp2p). */
async function freeRange(): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base > 60_000) continue;
    const ok = await Promise.all([1, 2, 3].map((i) => new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(base + i, '127.0.0.1', () => s.close(() => r(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

let devnet: ChildProcess;
let home: string;
let env: Record<string, string>;
let output = '';

async function startDevnet(): Promise<void> {
  devnet = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/devnet.ts')], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  devnet.stdout!.on('data', (d) => (output += String(d)));
  devnet.stderr!.on('data', (d) => (output += String(d)));
  const deadline = Date.now() + 480_000;
  while (!output.includes('Ctrl-C stops everything')) {
    if (devnet.exitCode !== null || Date.now() > deadline) throw new Error(`devnet did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopDevnet(): Promise<void> {
  if (!devnet || devnet.exitCode !== null) return;
  devnet.kill('SIGTERM');
  await new Promise((r) => devnet.once('exit', r));
}

describe('devnet end to end', () => {
  let demo: DemoResult;
  let deployment: { rollup: `0x${string}`; bridge: `0x${string}` };
  const urls = () => [0, 1, 2, 3].map((i) => `http://127.0.0.1:${Number(env.TESSERA_RPC_BASE_PORT) + i}/rpc`);

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'tessera-devnet-'));
    env = {
      TESSERA_HOME: home,
      TESSERA_L1_PORT: String(await freePort()),
      TESSERA_RPC_BASE_PORT: String(await freeRange()),
      TESSERA_P2P_BASE_PORT: String(await freeRange()),
      TESSERA_EXPLORER_PORT: String(await freePort()),
      TESSERA_PROVER_PORT: String(await freePort()),
      TESSERA_BRIDGE_METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    await startDevnet();
    deployment = JSON.parse(readFileSync(join(home, 'deployment.json'), 'utf8'));
  }, 600_000);

  afterAll(async () => {
    await stopDevnet();
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('deposits ETH on L1, transfers on L2, withdraws and claims on L1 with a real proof; the auditor agrees', async () => {
    demo = await runDemo({
      l1RpcUrl: `http://127.0.0.1:${env.TESSERA_L1_PORT}`,
      sequencerRpcUrls: urls(),
      rollup: deployment.rollup,
      bridge: deployment.bridge,
      log: () => {},
      timeoutMs: 420_000,
    });
    expect(demo.verifiedHeight >= demo.withdrawHeight).toBe(true);
    expect(demo.claimedAmount).toBe(10n ** 17n);
    expect(demo.secondClaimError).toMatch(/revert/i);
    expect(demo.auditOk).toBe(true);
    expect(demo.auditRecomputed).toBeGreaterThanOrEqual(Number(demo.withdrawHeight));
    expect(demo.auditProofsChecked).toBeGreaterThanOrEqual(Number(demo.withdrawHeight));
  }, 600_000);

  it('shows the ledger in the explorer in real Chromium, with live blocks and a batch moving to verified', async () => {
    const client = new TesseraClient(urls());
    const alice = await Wallet.fromEthereumAccount(privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'), client);
    const report = await runExplorerBrowserChecks({
      url: `http://127.0.0.1:${env.TESSERA_EXPLORER_PORT}`,
      screenshotsDir: join(root, 'test-artifacts', 'e2e-explorer'),
      produceBlock: async () => {
        await alice.transfer(demo.aliceIndex, demo.bobIndex, 10n ** 15n);
      },
      expectVerifiedBatch: { timeoutMs: 300_000 },
      timeoutMs: 60_000,
    });
    expect(report.batch?.finalStatus).toMatch(/verified/i);
    expect(report.screenshots.length).toBeGreaterThan(3);
  }, 600_000);

  it('resumes after a full stop and start: same chain, still committing', async () => {
    const client = new TesseraClient(urls());
    const before = await client.blockNumber();
    await stopDevnet();
    output = '';
    await startDevnet();
    expect(output).toContain('contracts already deployed; resuming');
    const afterRestart = await client.blockNumber();
    expect(afterRestart).toBe(before);
    const alice = await Wallet.fromEthereumAccount(privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'), client);
    await alice.transfer(demo.aliceIndex, demo.bobIndex, 10n ** 15n);
    expect(await client.blockNumber()).toBe(afterRestart + 1n);
    const l1 = createPublicClient({ chain: foundry, transport: http(`http://127.0.0.1:${env.TESSERA_L1_PORT}`) });
    const committed = (await l1.readContract({ address: deployment.rollup, abi: tesseraRollupAbi, functionName: 'committedHeight' })) as bigint;
    expect(committed >= demo.withdrawHeight).toBe(true);
  }, 600_000);
});
