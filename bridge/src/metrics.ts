import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the bridge process. One registry per process (tests build several, so the
 * global default registry is not used).
 */
export function createBridgeMetrics(
  registry: Registry = new Registry(),
  options: { defaults?: boolean } = {},
) {
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'tessera_bridge_' });
  const r = [registry];
  return {
    registry,
    l1CommittedHeight: new Gauge({
      name: 'tessera_bridge_l1_committed_height',
      help: 'Committed head of the L1 rollup',
      registers: r,
    }),
    l1VerifiedHeight: new Gauge({
      name: 'tessera_bridge_l1_verified_height',
      help: 'Verified head of the L1 rollup',
      registers: r,
    }),
    l2Height: new Gauge({
      name: 'tessera_bridge_l2_height',
      help: 'Head height reported by the sequencers',
      registers: r,
    }),
    replicaHeight: new Gauge({
      name: 'tessera_bridge_replica_height',
      help: "Height of the poster's L2 state replica",
      registers: r,
    }),
    batchesCommitted: new Counter({
      name: 'tessera_bridge_batches_committed_total',
      help: 'commitBatch transactions confirmed by this poster',
      registers: r,
    }),
    batchesVerified: new Counter({
      name: 'tessera_bridge_batches_verified_total',
      help: 'verifyBatch transactions confirmed by this poster',
      registers: r,
    }),
    txSent: new Counter({
      name: 'tessera_bridge_tx_sent_total',
      help: 'L1 transactions broadcast, by kind',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    txReplaced: new Counter({
      name: 'tessera_bridge_tx_replaced_total',
      help: 'Stuck L1 transactions resubmitted with bumped fees',
      registers: r,
    }),
    txReorged: new Counter({
      name: 'tessera_bridge_tx_reorged_total',
      help: 'Mined L1 transactions that a reorg removed',
      registers: r,
    }),
    txReverted: new Counter({
      name: 'tessera_bridge_tx_reverted_total',
      help: 'L1 transactions mined with status reverted',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    txDropped: new Counter({
      name: 'tessera_bridge_tx_dropped_total',
      help: 'Tracked transactions whose nonce another transaction consumed',
      registers: r,
    }),
    txCancelled: new Counter({
      name: 'tessera_bridge_tx_cancelled_total',
      help: 'Obsolete pending transactions replaced by a self-transfer',
      registers: r,
    }),
    txInflight: new Gauge({
      name: 'tessera_bridge_tx_inflight',
      help: 'Tracked L1 transactions not yet final',
      registers: r,
    }),
    txConfirmSeconds: new Histogram({
      name: 'tessera_bridge_tx_confirm_seconds',
      help: 'Time from first broadcast to the required confirmations',
      buckets: [1, 5, 15, 30, 60, 120, 300, 900],
      registers: r,
    }),
    simulationReverts: new Counter({
      name: 'tessera_bridge_simulation_reverts_total',
      help: 'Sends skipped because eth_estimateGas reverted',
      labelNames: ['error'] as const,
      registers: r,
    }),
    loopErrors: new Counter({
      name: 'tessera_bridge_loop_errors_total',
      help: 'Failed service iterations',
      labelNames: ['service'] as const,
      registers: r,
    }),
    healthy: new Gauge({
      name: 'tessera_bridge_healthy',
      help: '1 while the service loop runs without persistent errors',
      labelNames: ['service'] as const,
      registers: r,
    }),
    exitsClaimed: new Counter({
      name: 'tessera_bridge_exits_claimed_total',
      help: 'Exits claimed on behalf of users',
      registers: r,
    }),
    exitsSkipped: new Counter({
      name: 'tessera_bridge_exits_skipped_total',
      help: 'Exits found already claimed or not eligible',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    depositsSeen: new Counter({
      name: 'tessera_bridge_deposits_confirmed_total',
      help: 'Deposits seen with the required confirmations',
      registers: r,
    }),
    depositBacklog: new Gauge({
      name: 'tessera_bridge_deposit_backlog',
      help: 'Queued deposits not yet consumed by a committed batch',
      registers: r,
    }),
    oldestDepositAge: new Gauge({
      name: 'tessera_bridge_oldest_unconsumed_deposit_age_seconds',
      help: 'Age of the oldest queued deposit not yet in a batch',
      registers: r,
    }),
  };
}

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;
