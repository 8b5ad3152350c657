import { Counter, Gauge, Registry } from 'prom-client';
import type { Indexer } from './indexer/indexer.ts';

/** Per-instance registry (tests start several explorers in one process). */
export function explorerMetrics(indexer: Indexer): Registry {
  const registry = new Registry();
  const num = (v: string | null) => (v === null ? Number.NaN : Number(v));
  new Gauge({
    name: 'explorer_indexed_height',
    help: 'Height of the last indexed L2 block',
    registers: [registry],
    collect() {
      this.set(num(indexer.status().indexedHeight));
    },
  });
  new Gauge({
    name: 'explorer_head_height',
    help: 'Highest L2 height reported by the sequencer cluster',
    registers: [registry],
    collect() {
      this.set(num(indexer.status().headHeight));
    },
  });
  new Gauge({
    name: 'explorer_lag_blocks',
    help: 'Blocks between the cluster head and the index',
    registers: [registry],
    collect() {
      this.set(num(indexer.status().lag));
    },
  });
  new Gauge({
    name: 'explorer_tps',
    help: 'Transactions per second over the last 10 s of blocks',
    registers: [registry],
    collect() {
      this.set(indexer.tps());
    },
  });
  new Gauge({
    name: 'explorer_cluster_healthy_nodes',
    help: 'Sequencer nodes answering and in sync',
    registers: [registry],
    collect() {
      this.set(indexer.cluster.nodes.filter((n) => n.healthy).length);
    },
  });
  new Counter({
    name: 'explorer_blocks_indexed_total',
    help: 'Blocks indexed by this process',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(indexer.blocksIndexed);
    },
  });
  new Counter({
    name: 'explorer_rpc_failovers_total',
    help: 'Switches to another sequencer endpoint',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(indexer.pool.failovers);
    },
  });
  return registry;
}
