import { rpcCall } from './rpc.ts';
import type { Endpoint } from './rpc.ts';

export type NodeStatus = {
  node?: string;
  validator?: string;
  height?: string;
  round?: number;
  step?: string;
  peers?: number;
  mempool?: number;
  syncing?: boolean;
};

export type NodeHealth = {
  url: string;
  up: boolean;
  /** up, answering, not syncing and within `maxLag` blocks of the best node. */
  healthy: boolean;
  status?: NodeStatus;
  latencyMs?: number;
  error?: string;
  checkedAt: number;
};

/** Polls `tessera_status` of every node; the home page shows the result as cluster health. */
export class ClusterMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  nodes: NodeHealth[];

  constructor(
    private readonly endpoints: readonly Endpoint[],
    private readonly intervalMs = 2_000,
    private readonly maxLag = 2n,
    private readonly onUpdate?: (nodes: NodeHealth[]) => void,
  ) {
    this.nodes = endpoints.map((e) => ({ url: e.base, up: false, healthy: false, checkedAt: 0 }));
  }

  start(): void {
    const tick = () => {
      this.running = this.poll()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async poll(): Promise<NodeHealth[]> {
    const results = await Promise.all(
      this.endpoints.map(async (e): Promise<NodeHealth> => {
        const t0 = Date.now();
        try {
          const status = await rpcCall<NodeStatus>(
            e.rpc,
            'tessera_status',
            [],
            Math.max(500, this.intervalMs - 250),
          );
          return {
            url: e.base,
            up: true,
            healthy: false,
            status,
            latencyMs: Date.now() - t0,
            checkedAt: Date.now(),
          };
        } catch (err) {
          return {
            url: e.base,
            up: false,
            healthy: false,
            error: (err as Error).message,
            checkedAt: Date.now(),
          };
        }
      }),
    );
    const best = results.reduce((m, n) => {
      const h = toHeight(n.status?.height);
      return h !== undefined && h > m ? h : m;
    }, 0n);
    for (const n of results) {
      const h = toHeight(n.status?.height);
      n.healthy = n.up && h !== undefined && best - h <= this.maxLag && !n.status?.syncing;
    }
    this.nodes = results;
    this.onUpdate?.(results);
    return results;
  }

  /** Highest height any node reports. */
  get bestHeight(): bigint | undefined {
    let best: bigint | undefined;
    for (const n of this.nodes) {
      const h = toHeight(n.status?.height);
      if (h !== undefined && (best === undefined || h > best)) best = h;
    }
    return best;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

function toHeight(v: unknown): bigint | undefined {
  if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return undefined;
}
