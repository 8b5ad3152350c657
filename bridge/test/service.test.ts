// The bridge process as deployed: `tsx bridge/src/main.ts` with environment configuration, an
// encrypted keystore, the sequencer JSON-RPC and a prover over HTTP. It must commit, verify and
// claim on its own, expose metrics and health, and stop cleanly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tesseraBridgeAbi } from '@tessera/contracts';
import { freePort } from '@tessera/contracts/anvil';
import { toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptKeystore, writeKeystoreFile } from '../src/keystore.ts';
import { parseEnv } from '../src/main.ts';
import {
  ETH,
  type L1,
  TestChain,
  TinyProver,
  depositEth,
  l2User,
  registerTx,
  rollupHeads,
  serveChain,
  startL1,
  tempDir,
  withdrawTx,
} from './helpers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let l1: L1;
beforeAll(async () => {
  l1 = await startL1();
});
afterAll(async () => {
  await l1?.stop();
});

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc: { log: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; bridge output:\n${proc.log.slice(-4000)}`);
}

describe('bridge process', () => {
  it('parses its environment with defaults for the loopback devnet', () => {
    const env = parseEnv({});
    expect(env.TESSERA_L1_RPC).toBe('http://127.0.0.1:8545');
    expect(env.TESSERA_SEQUENCER_RPCS).toHaveLength(4);
    expect(env.TESSERA_CLAIMER).toBe(true);
    expect(
      parseEnv({ TESSERA_SEQUENCER_RPCS: 'http://a/rpc, http://b/rpc', TESSERA_CLAIMER: 'false' }),
    ).toMatchObject({
      TESSERA_SEQUENCER_RPCS: ['http://a/rpc', 'http://b/rpc'],
      TESSERA_CLAIMER: false,
    });
    expect(() => parseEnv({ TESSERA_FEE_BUMP_PERCENT: '5' })).toThrow(/TESSERA_FEE_BUMP_PERCENT/);
  });

  it('runs from main.ts: commits, verifies with proofs over HTTP, claims the exit, serves metrics, stops on SIGTERM', async () => {
    const [alice, bob] = [l2User(l1.users[0]!, 'alice'), l2User(l1.users[1]!, 'bob')];
    const chain = new TestChain(l1);
    await chain.produce([await registerTx(alice), await registerTx(bob)]);
    await depositEth(l1, alice.wallet, 1, 3n * ETH);
    await chain.produce([]);
    await chain.produce([withdrawTx(alice, 1, ETH, 0n)]);

    const prover = new TinyProver(chain, l1.circuit);
    const proverServer = createServer(async (req, res) => {
      const m = /^\/proofs\/([0-9]+)$/.exec(req.url ?? '');
      const proof = m ? await prover.getProof(BigInt(m[1]!)) : null;
      if (!proof) return void res.writeHead(404).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(proof, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    });
    await new Promise<void>((r) => proverServer.listen(0, '127.0.0.1', r));
    const proverPort = (proverServer.address() as { port: number }).port;
    const rpc = await serveChain(chain);
    const dir = tempDir('service');
    const metricsPort = await freePort();
    const keystore = join(dir.path, 'operator.json');
    writeKeystoreFile(
      keystore,
      await encryptKeystore(toHex(l1.operator.getHdKey().privateKey!), 'devnet-password', { n: 1 << 12 }),
    );
    const deployment = join(dir.path, 'deployment.json');
    writeFileSync(
      deployment,
      JSON.stringify({
        rollup: l1.rollup,
        bridge: l1.bridge,
        deployedAtBlock: l1.deployedAtBlock.toString(),
      }),
    );

    const aliceBefore = await l1.client.getBalance({ address: alice.address });
    const proc = { log: '' };
    let child: ChildProcess | undefined;
    try {
      // One process (no tsx CLI wrapper), so a kill reaches the service itself.
      child = spawn(process.execPath, ['--import', 'tsx', 'bridge/src/main.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          LOG_LEVEL: 'info',
          TESSERA_L1_RPC: l1.anvil.rpcUrl,
          TESSERA_DEPLOYMENT: deployment,
          TESSERA_SEQUENCER_RPCS: `http://127.0.0.1:9/rpc,${rpc.url}`,
          TESSERA_PROVER_URL: `http://127.0.0.1:${proverPort}`,
          TESSERA_KEYSTORE: keystore,
          TESSERA_KEYSTORE_PASSWORD: 'devnet-password',
          TESSERA_DATA_DIR: join(dir.path, 'data'),
          TESSERA_CONFIRMATIONS: '1',
          TESSERA_DEPOSIT_CONFIRMATIONS: '0',
          TESSERA_POLL_MS: '200',
          TESSERA_METRICS_PORT: String(metricsPort),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => {
        proc.log += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        proc.log += d.toString();
      });
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

      await until('batches verified', async () => (await rollupHeads(l1)).verified === 3n, 60_000, proc);
      await until(
        'exit claimed',
        () =>
          l1.client.readContract({
            address: l1.bridge,
            abi: tesseraBridgeAbi,
            functionName: 'isClaimed',
            args: [3n, 0],
          }),
        30_000,
        proc,
      );
      expect(await l1.client.getBalance({ address: alice.address })).toBe(aliceBefore + ETH);

      const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      // Counters move when a transaction is final, the head gauges on the next poster cycle.
      await until(
        'metrics',
        async () => {
          const m = await scrape();
          return (
            /tessera_bridge_batches_verified_total 3\n/.test(m) &&
            /tessera_bridge_l1_verified_height 3\n/.test(m)
          );
        },
        20_000,
        proc,
      );
      const metrics = await scrape();
      expect(metrics).toMatch(/tessera_bridge_l1_verified_height 3\n/);
      expect(metrics).toMatch(/tessera_bridge_batches_committed_total 3\n/);
      expect(metrics).toMatch(/tessera_bridge_deposits_confirmed_total 1/);
      await until(
        'healthy',
        async () => (await fetch(`http://127.0.0.1:${metricsPort}/health`)).status === 200,
        10_000,
        proc,
      );
      // Structured logs: one JSON object per line.
      const lines = proc.log.split('\n').filter((l) => l.startsWith('{'));
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(
        expect.arrayContaining(['bridge services started', 'L1 transaction sent']),
      );

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      child = undefined;
    } finally {
      child?.kill('SIGKILL');
      proverServer.close();
      await rpc.close();
      dir.remove();
    }
  });
});
