/**
 * `npm start`: the whole system on loopback, data under one folder (TESSERA_HOME, default
 * .data/devnet). Starting again resumes: anvil's state is dumped and reloaded, the sequencers,
 * prover, bridge and explorer keep their RocksDB folders, and contracts are only deployed once.
 *
 *   1. trusted setup of the devnet circuit (cached in ~/.cache/tessera, keyed by circuit hash)
 *   2. anvil (L1) on 127.0.0.1:8545, with its state in TESSERA_HOME/l1-state.json
 *   3. verifier + Poseidon + rollup + bridge, deployed once (TESSERA_HOME/deployment.json)
 *   4. four sequencers, the prover, the bridge services and the explorer as child processes
 */
import './polyfills.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployDevnet } from './deploy.ts';
import { type DevnetLayout, devnetLayout } from './devnetLayout.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');

type Service = { name: string; entry: string; env: Record<string, string> };

function say(msg: string) {
  process.stdout.write(`[devnet] ${msg}\n`);
}

function spawnService(s: Service, layout: DevnetLayout): ChildProcess {
  const logDir = join(layout.home, 'logs');
  mkdirSync(logDir, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, s.entry)], {
    cwd: root,
    env: { ...process.env, ...s.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(join(logDir, `${s.name}.log`), { flags: 'a' });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  child.on('exit', (code, signal) => {
    if (!stopping)
      say(`${s.name} exited (code ${code}, signal ${signal}); see ${join(logDir, `${s.name}.log`)}`);
  });
  return child;
}

let stopping = false;

/** Wait until every sequencer answers JSON-RPC and the explorer serves its home page. */
async function waitReady(layout: DevnetLayout, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ok = async (url: string, init?: RequestInit) => {
    try {
      return (await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tessera_blockNumber', params: [] });
  for (;;) {
    const checks = await Promise.all([
      ...layout.sequencerRpcUrls.map((u) =>
        ok(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      ),
      ok(`http://127.0.0.1:${layout.explorerPort}/`),
    ]);
    if (checks.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`services not ready after ${timeoutMs} ms; see ${join(layout.home, 'logs')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main() {
  const layout = devnetLayout(process.env);
  mkdirSync(layout.home, { recursive: true });
  say(`data folder ${layout.home}`);
  const deployment = await deployDevnet(layout, say);
  const children: ChildProcess[] = [];
  for (const s of layout.services(deployment)) children.push(spawnService(s, layout));
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await deployment.anvil.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await waitReady(layout);
  say('endpoints:');
  say(`  L1 (anvil)        ${layout.l1RpcUrl}   chain id ${layout.l1ChainId}`);
  say(`  rollup / bridge   ${deployment.rollup} / ${deployment.bridge}`);
  layout.sequencerRpcUrls.forEach((u, i) =>
    say(`  sequencer ${i}       ${u}   (health: ${u.replace('/rpc', '/health')})`),
  );
  say(`  explorer          http://127.0.0.1:${layout.explorerPort}`);
  say(`  bridge metrics    http://127.0.0.1:${layout.bridgeMetricsPort}/metrics`);
  say(`logs in ${join(layout.home, 'logs')}; Ctrl-C stops everything (state is kept)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await main();
}
