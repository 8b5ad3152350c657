/**
 * Sequencer cluster benchmark: four sequencer processes on this machine (loopback libp2p,
 * RocksDB in temp dirs), a load generator sending pre-signed transfers over JSON-RPC at a fixed
 * rate to all four nodes, and soft-confirmation latency measured from submission to the first
 * `newBlocks` notification carrying the transaction. Two runs: all nodes up, and one node killed
 * (SIGKILL) half-way. Every accepted transaction must be committed (a wallet resubmits to another
 * node when its node dies or the deadline passes).
 *
 * Env: BENCH_SEQ_SECONDS (60), BENCH_SEQ_RATE (350 tx/s), BENCH_SEQ_ACCOUNTS (1000). Diagnostics:
 * BENCH_SEQ_LOG (node log level, default warn), BENCH_SEQ_PROF (directory: CPU profile of node 0),
 * BENCH_SEQ_CPU=1 (CPU seconds per process every 2 s), BENCH_SEQ_TIMELINE (file: latency
 * percentiles per second of send time, appended).
 */
import '../scripts/polyfills.ts';
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signTransfer, txToJson } from '@tessera/core';
import WebSocket from 'ws';
import { DEV_SEED } from '../sequencer/src/node/config.ts';
import { freePort } from '../sequencer/src/node/devnet.ts';
import { devAccounts } from '../sequencer/src/node/genesis.ts';

type BenchResult = { name: string; value: number; unit: string };

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', 'sequencer', 'src', 'node', 'main.ts');
const CHAIN_ID = 31_337n;

interface Cluster {
  procs: (ChildProcess | null)[];
  rpcPorts: number[];
  dir: string;
}

async function startCluster(accounts: number): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
  const p2pBase = await freePort();
  const rpcBase = await freePort();
  const ports = [0, 1, 2, 3].map((i) => rpcBase + 10 + i);
  const procs = await Promise.all(
    [0, 1, 2, 3].map(
      (i) =>
        new Promise<ChildProcess>((resolve, reject) => {
          const child = fork(MAIN, [], {
            execArgv: [
              '--import',
              'tsx',
              ...(process.env.BENCH_SEQ_PROF && i === 0
                ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SEQ_PROF}`]
                : []),
            ],
            env: {
              ...process.env,
              TESSERA_NODE_INDEX: String(i),
              TESSERA_DATA_DIR: join(dir, `node${i}`),
              TESSERA_P2P_BASE_PORT: String(p2pBase + 100),
              TESSERA_RPC_BASE_PORT: String(rpcBase + 10),
              TESSERA_GENESIS_ACCOUNTS: String(accounts),
              TESSERA_LOG_LEVEL: process.env.BENCH_SEQ_LOG ?? 'warn',
            },
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          child.once('message', () => resolve(child));
          child.once('exit', (code) => reject(new Error(`node ${i} exited with ${code}`)));
        }),
    ),
  );
  return { procs, rpcPorts: ports, dir };
}

async function stopCluster(c: Cluster): Promise<void> {
  await Promise.all(
    c.procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
          setTimeout(() => p.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
  await rm(c.dir, { recursive: true, force: true });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores, every process), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    const total = f.reduce((a, b) => a + b, 0);
    return (total - f[3]! - (f[4] ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds used by each node process, by this load generator and by everything else on the
 * machine (other users' jobs: the figures are only comparable when `other` is small).
 */
function cpuMeter(c: Cluster) {
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const base = c.procs.map((p) => cpuSeconds(p?.pid));
  const selfBase = self();
  const machineBase = machineBusySeconds();
  const last = [...base];
  return () => {
    const now = c.procs.map((p, i) => {
      const v = cpuSeconds(p?.pid);
      // A killed node keeps the last reading taken while it was alive.
      if (!Number.isNaN(v)) last[i] = v;
      return last[i]! - base[i]!;
    });
    const bench = self() - selfBase;
    const other = machineBusySeconds() - machineBase - bench - now.reduce((a, b) => a + b, 0);
    return { nodes: now, bench, other };
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunStats {
  sent: number;
  committed: number;
  lost: number;
  tps: number;
  p50: number;
  p90: number;
  p99: number;
  resubmitted: number;
  refused: number;
  /** Blocks first notified between the first and the last send. */
  blocks: number;
  /** CPU seconds per node process and for the load generator, from load start to the end of the drain. */
  cpu: { nodes: number[]; bench: number; other: number };
}

async function loadRun(
  c: Cluster,
  flat: { json: unknown; account: number }[],
  rate: number,
  killAt: number | null,
): Promise<RunStats> {
  const firstSent = new Map<string, number>();
  const commitAt = new Map<string, number>();
  const json = new Map<string, unknown>();
  /** First notification of each block height. */
  const blockAt = new Map<string, number>();
  const alive = [true, true, true, true];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < 4; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${c.rpcPorts[i]}/ws`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as {
        method?: string;
        params?: { result: { height: string; txHashes: string[] } };
      };
      if (m.method !== 'tessera_subscription') return;
      const now = performance.now();
      if (!blockAt.has(m.params!.result.height)) blockAt.set(m.params!.result.height, now);
      for (const h of m.params!.result.txHashes) if (!commitAt.has(h)) commitAt.set(h, now);
    });
    ws.on('error', () => {});
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tessera_subscribe', params: ['newBlocks'] }));
    sockets.push(ws);
  }
  let refused = 0;
  let resubmitted = 0;
  const post = async (
    node: number,
    batch: unknown[],
  ): Promise<({ result?: { hash: string }; error?: { code: number } } | undefined)[]> => {
    try {
      const res = await fetch(`http://127.0.0.1:${c.rpcPorts[node]}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          batch.map((tx, id) => ({ jsonrpc: '2.0', id, method: 'tessera_sendTransaction', params: [tx] })),
        ),
      });
      return (await res.json()) as never;
    } catch {
      alive[node] = false;
      return batch.map(() => undefined);
    }
  };
  const liveNode = (k: number) => {
    for (let j = 0; j < 4; j++) {
      const n = (k + j) % 4;
      if (alive[n]) return n;
    }
    return 0;
  };

  // Warm-up (not measured): a few transactions through every node until they are committed.
  const warm = flat.splice(0, 40);
  const warmHashes: string[] = [];
  for (let k = 0; k < warm.length; k += 10) {
    for (const r of await post(
      k / 10,
      warm.slice(k, k + 10).map((t) => t.json),
    ))
      if (r?.result?.hash) warmHashes.push(r.result.hash);
  }
  for (let t = 0; t < 600 && warmHashes.some((h) => !commitAt.has(h)); t++)
    await new Promise((r) => setTimeout(r, 100));
  // Optional (BENCH_SEQ_WARMUP_S): a few seconds at the offered rate, not measured, so the nodes'
  // hot paths (HTTP, gossip, consensus) are compiled before the window starts.
  const warmSeconds = Number(process.env.BENCH_SEQ_WARMUP_S ?? 0);
  if (warmSeconds > 0) {
    const more = flat.splice(0, Math.floor(warmSeconds * rate));
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < more.length; i += 5) {
      const wait = t0 + (i / rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        post(
          (i / 5) % 4,
          more.slice(i, i + 5).map((t) => t.json),
        ).then((res) => {
          for (const r of res) if (r?.result?.hash) warmHashes.push(r.result.hash);
        }),
      );
    }
    await Promise.all(pending);
    for (let t = 0; t < 600 && warmHashes.some((h) => !commitAt.has(h)); t++)
      await new Promise((r) => setTimeout(r, 100));
  }
  const start = performance.now();
  const cpu = cpuMeter(c);
  const cpuTimer =
    process.env.BENCH_SEQ_CPU === '1'
      ? setInterval(() => {
          const u = cpu();
          process.stderr.write(
            `[bench:sequencer] t=${((performance.now() - start) / 1000).toFixed(0)}s cpu ${u.nodes.map((x) => x.toFixed(1)).join(' ')} bench ${u.bench.toFixed(1)} other ${u.other.toFixed(1)}\n`,
          );
        }, 2_000)
      : null;
  const batchSize = 5;
  const sends: Promise<void>[] = [];
  let killed = false;
  for (let i = 0; i < flat.length; i += batchSize) {
    const due = start + (i / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (killAt !== null && !killed && performance.now() - start >= killAt * 1000) {
      killed = true;
      c.procs[3]?.kill('SIGKILL');
      alive[3] = false;
    }
    const chunk = flat.slice(i, i + batchSize);
    const node = liveNode(i / batchSize);
    const at = performance.now();
    sends.push(
      post(
        node,
        chunk.map((t) => t.json),
      ).then((res) => {
        res.forEach((r, j) => {
          if (r?.result?.hash) {
            if (!firstSent.has(r.result.hash)) firstSent.set(r.result.hash, at);
            json.set(r.result.hash, chunk[j]!.json);
          } else {
            refused++;
            // Not accepted (node down, quota): resend to another node shortly.
            sends.push(
              new Promise<void>((resolve) => setTimeout(resolve, 200)).then(async () => {
                const again = await post(liveNode(i / batchSize + 1), [chunk[j]!.json]);
                const h = again[0]?.result?.hash;
                if (h) {
                  resubmitted++;
                  if (!firstSent.has(h)) firstSent.set(h, at);
                  json.set(h, chunk[j]!.json);
                }
              }),
            );
          }
        });
      }),
    );
  }
  await Promise.all(sends);
  const sendEnd = performance.now();
  // Drain: wait for every accepted tx; resubmit stragglers (a wallet retries after its deadline).
  const drainUntil = performance.now() + 45_000;
  let lastResend = performance.now();
  while (performance.now() < drainUntil) {
    const missing = [...firstSent.keys()].filter((h) => !commitAt.has(h));
    if (missing.length === 0) break;
    if (performance.now() - lastResend > 8_000) {
      lastResend = performance.now();
      for (let k = 0; k < missing.length; k += 50) {
        await post(
          liveNode(k),
          missing.slice(k, k + 50).map((h) => json.get(h)),
        );
      }
      resubmitted += missing.length;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const ws of sockets) ws.close();
  if (cpuTimer) clearInterval(cpuTimer);
  const used = cpu();
  const latencies = [...firstSent]
    .filter(([h]) => commitAt.has(h))
    .map(([h, t]) => (commitAt.get(h)! - t) / 1000);
  latencies.sort((a, b) => a - b);
  if (process.env.BENCH_SEQ_TIMELINE) {
    // Latency by send time, one line per second of the run: where the tail comes from.
    const bySecond = new Map<number, number[]>();
    for (const [h, t] of firstSent) {
      const c = commitAt.get(h);
      if (c === undefined) continue;
      const k = Math.floor((t - start) / 1000);
      bySecond.set(k, [...(bySecond.get(k) ?? []), (c - t) / 1000]);
    }
    const lines = [...bySecond]
      .sort((a, b) => a[0] - b[0])
      .map(([k, l]) => {
        l.sort((a, b) => a - b);
        return `${k}\t${l.length}\t${percentile(l, 50).toFixed(2)}\t${percentile(l, 99).toFixed(2)}\t${l[l.length - 1]!.toFixed(2)}`;
      });
    appendFileSync(process.env.BENCH_SEQ_TIMELINE, `# killAt=${killAt}\ns\ttxs\tp50\tp99\tmax\n${lines.join('\n')}\n`);
  }
  const inWindow = [...commitAt.values()].filter((t) => t <= sendEnd).length;
  const blocksInWindow = [...blockAt.values()].filter((t) => t >= start && t <= sendEnd).length;
  return {
    sent: firstSent.size,
    committed: latencies.length,
    lost: firstSent.size - latencies.length,
    tps: inWindow / ((sendEnd - start) / 1000),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    resubmitted,
    refused,
    blocks: blocksInWindow,
    cpu: {
      nodes: used.nodes.map((x) => Math.round(x * 10) / 10),
      bench: Math.round(used.bench * 10) / 10,
      other: Math.round(used.other * 10) / 10,
    },
  };
}

export default async function run(): Promise<BenchResult[]> {
  const seconds = Number(process.env.BENCH_SEQ_SECONDS ?? 60);
  const rate = Number(process.env.BENCH_SEQ_RATE ?? 350);
  const accounts = Number(process.env.BENCH_SEQ_ACCOUNTS ?? 1000);
  const log = (s: string) => process.stderr.write(`[bench:sequencer] ${s}\n`);

  log(`deriving ${accounts} accounts and signing ${Math.ceil(seconds * rate * 2)} transfers`);
  const accts = devAccounts(DEV_SEED, accounts);
  const nextNonce = new Map<number, bigint>();
  /** Pre-signs one run's transfers, round-robin over accounts, continuing each account's nonces. */
  const sign = () => {
    const total = Math.floor(seconds * rate);
    const out: { json: unknown; account: number }[] = [];
    for (let k = 0; k < total; k++) {
      const a = accts[k % accts.length]!;
      const nonce = nextNonce.get(a.index) ?? 0n;
      nextNonce.set(a.index, nonce + 1n);
      out.push({
        account: a.index,
        json: txToJson(
          signTransfer(a.l2Key, CHAIN_ID, { from: a.index, to: (a.index % accounts) + 1, amount: 1n, nonce }),
        ),
      });
    }
    return out;
  };
  const results: BenchResult[] = [];
  const report = (prefix: string, s: RunStats) => {
    log(`${prefix}: ${JSON.stringify(s)}`);
    results.push(
      { name: `${prefix} sustained TPS (${seconds}s, offered ${rate}/s)`, value: s.tps, unit: 'tx/s' },
      { name: `${prefix} soft confirmation p50`, value: s.p50, unit: 's' },
      { name: `${prefix} soft confirmation p90`, value: s.p90, unit: 's' },
      { name: `${prefix} soft confirmation p99`, value: s.p99, unit: 's' },
      { name: `${prefix} accepted txs`, value: s.sent, unit: 'tx' },
      { name: `${prefix} accepted txs lost`, value: s.lost, unit: 'tx' },
    );
  };

  const first = sign();
  // Each run starts from genesis: the second run's nonces start at 0 again.
  nextNonce.clear();
  const second = sign();
  // A fresh cluster per run, so the second run does not inherit the first one's backlog.
  for (const [label, txs, killAt] of [
    ['4 nodes', first, null],
    ['1 node killed', second, seconds / 2],
  ] as const) {
    log(`run: ${label}`);
    const c = await startCluster(accounts);
    try {
      report(label, await loadRun(c, [...txs], rate, killAt));
    } finally {
      await stopCluster(c);
    }
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { printTable, writeResults } = await import('./table.ts');
  const rows = await run();
  printTable('sequencer', rows);
  writeResults('sequencer', rows);
  process.exit(0);
}
