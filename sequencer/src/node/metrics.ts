import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const PRIVACY_TYPE_NAMES: Record<number, string> = {
  5: 'shield',
  6: 'private_transfer',
  7: 'unshield',
  16: 'observer_key',
};

/** Per-node registry (several nodes can share a process in tests). */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly height = new Gauge({
    name: 'tessera_height',
    help: 'Committed height',
    registers: [this.registry],
  });
  readonly round = new Gauge({
    name: 'tessera_consensus_round',
    help: 'Current consensus round',
    registers: [this.registry],
  });
  readonly mempool = new Gauge({
    name: 'tessera_mempool_size',
    help: 'Pending transactions',
    registers: [this.registry],
  });
  readonly peers = new Gauge({
    name: 'tessera_peers',
    help: 'Connected validator peers',
    registers: [this.registry],
  });
  readonly tps = new Gauge({
    name: 'tessera_tps',
    help: 'Committed transactions per second over the last 10 s',
    registers: [this.registry],
  });
  readonly blocks = new Counter({
    name: 'tessera_blocks_committed_total',
    help: 'Blocks committed',
    registers: [this.registry],
  });
  readonly txs = new Counter({
    name: 'tessera_txs_committed_total',
    help: 'Transactions committed',
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'tessera_txs_rejected_total',
    help: 'Transactions refused at admission or dropped',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'tessera_commit_latency_seconds',
    help: 'Submission (to this node) to commit',
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  readonly rpcRequests = new Counter({
    name: 'tessera_rpc_requests_total',
    help: 'JSON-RPC calls',
    labelNames: ['method'],
    registers: [this.registry],
  });

  readonly privacyTxs = new Counter({
    name: 'tessera_privacy_txs_committed_total',
    help: 'Committed privacy transactions by type (shield, private_transfer, unshield, observer_key)',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly doubleSpends = new Counter({
    name: 'tessera_double_spends_rejected_total',
    help: 'Ring transactions refused because their key image is spent or being spent (stage: admission or block)',
    labelNames: ['stage'],
    registers: [this.registry],
  });

  private window: { at: number; n: number }[] = [];
  private doubleSpendsAtAdmission = 0;

  /** Counts the privacy transactions of a committed block. */
  recordPrivacyTxs(txs: readonly { type: number }[]): void {
    for (const tx of txs) {
      const name = PRIVACY_TYPE_NAMES[tx.type];
      if (name) this.privacyTxs.inc({ type: name });
    }
  }

  /** Brings the admission counter up to the mempool's running total (gossip and RPC alike). */
  syncDoubleSpends(admissionTotal: number): void {
    if (admissionTotal > this.doubleSpendsAtAdmission)
      this.doubleSpends.inc({ stage: 'admission' }, admissionTotal - this.doubleSpendsAtAdmission);
    this.doubleSpendsAtAdmission = admissionTotal;
  }

  recordBlock(txCount: number, now: number): void {
    this.blocks.inc();
    this.txs.inc(txCount);
    this.window.push({ at: now, n: txCount });
    while (this.window.length > 0 && now - this.window[0]!.at > 10_000) this.window.shift();
    this.tps.set(this.window.reduce((s, w) => s + w.n, 0) / 10);
  }
}
