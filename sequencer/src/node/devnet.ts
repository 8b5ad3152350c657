import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { signTransfer, txToJson } from '@tessera/core';
import { freePort } from '@tessera/core/net/freePort';
import { type NodeConfig, devnetConfig } from './config.ts';
import type { DevAccount } from './genesis.ts';
import { SequencerNode } from './node.ts';

export { freePort, freePortBlock } from '@tessera/core/net/freePort';

export async function rpc<T = unknown>(port: number, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as {
    result?: T;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error) throw Object.assign(new Error(`${method}: ${body.error.message}`), { rpc: body.error });
  return body.result as T;
}

export function transferJson(from: DevAccount, to: number, amount: bigint, nonce: bigint, chainId: bigint) {
  return txToJson(signTransfer(from.l2Key, chainId, { from: from.index, to, amount, nonce }));
}

/**
 * Four sequencers in this process on loopback (tests). Each has its own RocksDB directory,
 * libp2p node and RPC port; nodes can be stopped, restarted or wiped individually.
 */
export class InProcessCluster {
  nodes: (SequencerNode | null)[] = [null, null, null, null];

  private constructor(readonly configs: NodeConfig[]) {}

  static async start(dir: string, overrides: Partial<NodeConfig> = {}): Promise<InProcessCluster> {
    const p2pPorts = [await freePort(), await freePort(), await freePort(), await freePort()];
    const configs = [];
    for (let i = 0; i < 4; i++) {
      configs.push(
        devnetConfig(i, {
          p2pPorts,
          rpcPort: await freePort(),
          dataDir: join(dir, `node${i}`),
          logLevel: 'warn',
          ...overrides,
        }),
      );
    }
    const c = new InProcessCluster(configs);
    await Promise.all([0, 1, 2, 3].map((i) => c.startNode(i)));
    return c;
  }

  async startNode(i: number, patch: Partial<NodeConfig> = {}): Promise<SequencerNode> {
    this.configs[i] = { ...this.configs[i]!, ...patch };
    const n = await SequencerNode.start(this.configs[i]!);
    this.nodes[i] = n;
    return n;
  }

  async stopNode(i: number, opts: { wipe?: boolean } = {}): Promise<void> {
    const n = this.nodes[i];
    this.nodes[i] = null;
    if (n) await n.stop();
    if (opts.wipe) await rm(this.configs[i]!.dataDir, { recursive: true, force: true });
  }

  live(): SequencerNode[] {
    return this.nodes.filter((n): n is SequencerNode => n !== null);
  }

  port(i: number): number {
    return this.nodes[i]?.rpc.port ?? this.configs[i]!.rpcPort;
  }

  async stop(): Promise<void> {
    await Promise.all([0, 1, 2, 3].map((i) => this.stopNode(i)));
  }
}
