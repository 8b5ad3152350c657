// A local L1: anvil from the @foundry-rs/anvil npm package on a free loopback port.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '@tessera/core/net/freePort';

const require = createRequire(import.meta.url);

export class AnvilStartError extends Error {
  readonly code = 'ANVIL_START_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'AnvilStartError';
  }
}

export interface Anvil {
  rpcUrl: string;
  port: number;
  chainId: number;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  port?: number;
  chainId?: number;
  /** Extra command-line arguments (e.g. `--state <file>` for a devnet that resumes). */
  args?: string[];
  startTimeoutMs?: number;
}

/** The native binary of the platform package, or the package's node wrapper. */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platform = process.platform;
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${platform}-${arch}/package.json`);
    const bin = join(dirname(pkg), 'bin', platform === 'win32' ? 'anvil.exe' : 'anvil');
    if (existsSync(bin)) return bin;
  } catch {
    /* fall through to the wrapper */
  }
  return join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs');
}

async function rpcReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

async function startOnce(port: number, opts: AnvilOptions): Promise<Anvil> {
  const chainId = opts.chainId ?? 31337;
  const bin = anvilBinary();
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--chain-id',
    String(chainId),
    ...(opts.args ?? []),
  ];
  const child = bin.endsWith('.mjs')
    ? spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitExit(child);
  };
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new AnvilStartError(`anvil exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await rpcReady(rpcUrl)) return { rpcUrl, port, chainId, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new AnvilStartError(`anvil did not answer on ${rpcUrl}: ${stderr.trim()}`);
}

/** Starts anvil on `opts.port` or on a free loopback port (retrying if another process takes it). */
export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  if (opts.port !== undefined) return startOnce(opts.port, opts);
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), opts);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

export { freePort };
