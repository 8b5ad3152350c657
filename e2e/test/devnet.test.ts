/**
 * End to end on the real devnet (`scripts/devnet.ts`, the same code as `npm start`): anvil, the
 * deployed contracts with the real Groth16 verifier, four sequencer processes over libp2p with
 * RocksDB, the prover, the bridge services and the explorer. Nothing is mocked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, freePortBlock } from '@tessera/core/net/freePort';
import { http, createPublicClient } from 'viem';
import { type Abi, createWalletClient, erc20Abi } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileSources,
  deployContract,
  readSources,
  tesseraBridgeAbi,
  tesseraRollupAbi,
} from '../../contracts/src/index.ts';
import { runExplorerBrowserChecks } from '../../explorer/src/testing/browserChecks.ts';
import { type DemoResult, runDemo } from '../../scripts/demo.ts';
import { audit, claimArgs, findExits } from '../../sdk/src/index.ts';
import { TesseraClient, Wallet } from '../../sdk/src/index.ts';

import { NOTE, runPrivacyFlow } from './privacyFlow.ts';

const root = resolve(import.meta.dirname, '../..');
/** anvil's accounts #1 and #2, Alice and Bob of the demo. */
const ALICE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const BOB_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

let devnet: ChildProcess;
let home: string;
let env: Record<string, string>;
let output = '';

async function startDevnet(): Promise<void> {
  devnet = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/devnet.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (d: Buffer) => {
    output += String(d);
  };
  devnet.stdout?.on('data', collect);
  devnet.stderr?.on('data', collect);
  const deadline = Date.now() + 480_000;
  while (!output.includes('Ctrl-C stops everything')) {
    if (devnet.exitCode !== null || Date.now() > deadline)
      throw new Error(`devnet did not start:\n${output}`);
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
      TESSERA_RPC_BASE_PORT: String(await freePortBlock(4)),
      TESSERA_P2P_BASE_PORT: String(await freePortBlock(4)),
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

  it('moves an allow-listed ERC-20 in and out: L1 deposit, L2 transfer, withdrawal, claim with a real proof', async () => {
    const l1Url = `http://127.0.0.1:${env.TESSERA_L1_PORT}`;
    const l1 = createPublicClient({ chain: foundry, transport: http(l1Url), cacheTime: 0 });
    const operator = createWalletClient({
      account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
      chain: foundry,
      transport: http(l1Url),
    });
    const carolKey = privateKeyToAccount(
      '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
    );
    const daveKey = privateKeyToAccount('0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a');
    const carolL1 = createWalletClient({ account: carolKey, chain: foundry, transport: http(l1Url) });
    const artifacts = await compileSources(readSources(join(root, 'contracts/test/fixtures')));
    const mock = Object.entries(artifacts).find(([k]) => k.endsWith('MockToken'))![1];
    const token = (await deployContract(operator, l1, mock.abi as Abi, mock.bytecode, ['Tether USD']))
      .address;
    const send = async (p: Promise<`0x${string}`>) => l1.waitForTransactionReceipt({ hash: await p });
    await send(
      operator.writeContract({
        address: token,
        abi: mock.abi as Abi,
        functionName: 'mint',
        args: [carolKey.address, 10_000_000_000n],
      }),
    );
    await send(
      operator.writeContract({
        address: deployment.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'listToken',
        args: [token, 2],
      }),
    );

    const client = new TesseraClient(urls());
    const carol = await Wallet.fromEthereumAccount(carolKey, client);
    const dave = await Wallet.fromEthereumAccount(daveKey, client);
    const carolIndex = await carol.register(2);
    const daveIndex = await dave.register(2);
    await send(
      carolL1.writeContract({
        address: token,
        abi: erc20Abi,
        functionName: 'approve',
        args: [deployment.bridge, 1_000_000_000n],
      }),
    );
    await send(
      carolL1.writeContract({
        address: deployment.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'deposit',
        args: [carolIndex, token, 1_000_000_000n],
      }),
    );
    const deadline = Date.now() + 120_000;
    while (BigInt((await client.getAccount(carolIndex))?.balance ?? 0) !== 1_000_000_000n) {
      if (Date.now() > deadline) throw new Error('ERC-20 deposit never appeared on L2');
      await new Promise((r) => setTimeout(r, 500));
    }
    await carol.transfer(carolIndex, daveIndex, 300_000_000n);
    expect((await client.getAccount(daveIndex))?.balance).toBe('300000000');
    const w = await dave.withdraw(daveIndex, 100_000_000n);
    const height = BigInt(w.blockHeight ?? (await client.getReceipt(w.hash))!.blockHeight);
    let exit: Awaited<ReturnType<typeof findExits>>[number] | undefined;
    const until = Date.now() + 420_000;
    while (!exit) {
      if (Date.now() > until) throw new Error(`batch ${height} was not verified in time`);
      exit = (
        await findExits(l1, {
          rollup: deployment.rollup,
          bridge: deployment.bridge,
          recipient: daveKey.address,
        })
      ).find((e) => e.height === height && e.verified);
      if (!exit) await new Promise((r) => setTimeout(r, 1_000));
    }
    if (!exit.claimed) {
      await send(
        operator.writeContract({
          address: deployment.bridge,
          abi: tesseraBridgeAbi,
          functionName: 'claim',
          args: claimArgs(exit),
        }),
      );
    }
    const paid = await l1.readContract({
      address: token,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [daveKey.address],
    });
    expect(paid).toBe(100_000_000n);
    await expect(
      l1.simulateContract({
        account: daveKey,
        address: deployment.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'claim',
        args: claimArgs(exit),
      }),
    ).rejects.toThrow(/revert/i);
  }, 600_000);

  it('shows the ledger in the explorer in real Chromium, with live blocks and a batch moving to verified', async () => {
    const client = new TesseraClient(urls());
    const alice = await Wallet.fromEthereumAccount(
      privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'),
      client,
    );
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

  it('keeps payments private on the devnet: shield, pay, unshield, no double spend, the regulator opens them, L1 verifies them', async () => {
    const client = new TesseraClient(urls());
    const alice = await Wallet.fromEthereumAccount(privateKeyToAccount(ALICE_KEY), client);
    const bob = await Wallet.fromEthereumAccount(privateKeyToAccount(BOB_KEY), client);
    const r = await runPrivacyFlow({
      client,
      alice,
      bob,
      aliceIndex: demo.aliceIndex,
      bobIndex: demo.bobIndex,
    });

    expect(r.transfer.ring).toHaveLength(4);
    expect(r.transfer.ring).toContain(r.transfer.spentNote);
    expect(r.doubleSpendError).toMatch(/KEY_IMAGE_SPENT/);
    expect(r.bobBalanceAfter - r.bobBalanceBefore).toBe(NOTE);

    // The regulator: the real spent note, the sender's account, the verified recipient, the memo.
    expect(r.opened.spentNote?.index).toBe(r.transfer.spentNote);
    expect(r.opened.ringSignatureValid).toBe(true);
    expect(r.opened.sender.accounts.map((a) => a.index)).toContain(demo.aliceIndex);
    expect(r.opened.recipient).toMatchObject({
      kind: 'note',
      address: bob.privacy().address(),
      verified: true,
    });
    expect(r.opened.memo.text).toBe('invoice 42');
    expect(r.openedUnshield.sender.accounts.map((a) => a.index)).toContain(demo.bobIndex);
    expect(r.openedUnshield.recipient).toMatchObject({ kind: 'account', index: demo.bobIndex });
    expect(r.traceOrigin).toBe(demo.aliceIndex);
    expect(r.withoutKeyError).toMatch(/ObserverKeyMissingError/);
    expect(r.rotatedEpoch).toBe(2n);
    expect(r.afterRotation.opened.observerEpoch).toBe(2n);
    expect(r.afterRotation.opened.sender.accounts.map((a) => a.index)).toContain(demo.aliceIndex);
    expect(r.afterRotation.oldKeyError).toMatch(/ObserverKeyMissingError/);

    // The explorer shows the private transfer without a sender.
    const explorer = `http://127.0.0.1:${env.TESSERA_EXPLORER_PORT}`;
    let html = '';
    const until = Date.now() + 60_000;
    while (!html.includes(r.transfer.hash)) {
      if (Date.now() > until) throw new Error('the explorer never showed the private transfer');
      const res = await fetch(`${explorer}/tx/${r.transfer.hash}`);
      html = res.ok ? await res.text() : '';
      if (!html.includes(r.transfer.hash)) await new Promise((res2) => setTimeout(res2, 500));
    }
    expect(html).toMatch(/hidden/i);
    expect(html).not.toContain(`/account/${demo.aliceIndex}"`);
    expect(html).not.toContain(alice.eth.address.toLowerCase());

    // The batches carrying all of it are verified on L1 with real proofs, and the auditor agrees.
    const l1 = createPublicClient({
      chain: foundry,
      transport: http(`http://127.0.0.1:${env.TESSERA_L1_PORT}`),
    });
    const deadline = Date.now() + 600_000;
    for (;;) {
      const verified = (await l1.readContract({
        address: deployment.rollup,
        abi: tesseraRollupAbi,
        functionName: 'verifiedHeight',
      })) as bigint;
      if (verified >= r.lastHeight) break;
      if (Date.now() > deadline) throw new Error(`batch ${r.lastHeight} not verified (verified ${verified})`);
      await new Promise((res2) => setTimeout(res2, 1_000));
    }
    const report = await audit({ client: l1, rollup: deployment.rollup });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.proofsChecked).toBeGreaterThanOrEqual(Number(r.lastHeight));
  }, 900_000);

  it('resumes after a full stop and start: same chain, still committing', async () => {
    const client = new TesseraClient(urls());
    const before = await client.blockNumber();
    await stopDevnet();
    output = '';
    await startDevnet();
    expect(output).toContain('contracts already deployed; resuming');
    const afterRestart = await client.blockNumber();
    expect(afterRestart).toBe(before);
    const alice = await Wallet.fromEthereumAccount(
      privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'),
      client,
    );
    await alice.transfer(demo.aliceIndex, demo.bobIndex, 10n ** 15n);
    expect(await client.blockNumber()).toBe(afterRestart + 1n);
    const l1 = createPublicClient({
      chain: foundry,
      transport: http(`http://127.0.0.1:${env.TESSERA_L1_PORT}`),
    });
    const committed = (await l1.readContract({
      address: deployment.rollup,
      abi: tesseraRollupAbi,
      functionName: 'committedHeight',
    })) as bigint;
    expect(committed >= demo.withdrawHeight).toBe(true);
  }, 600_000);
});
