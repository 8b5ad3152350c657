import { mkdirSync } from 'node:fs';
// Wires the bridge process: one operator key (one TxManager owns its nonce), the batch poster, the
// claimer, the deposit-queue monitor and the metrics endpoint. `main.ts` calls this with
// environment configuration; a devnet script can call it in-process with its own BlockSource and
// ProofSource.
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { tesseraBridgeAbi, tesseraRollupAbi } from '@tessera/contracts';
import {
  type Account,
  type AssetInfo,
  DEVNET_ASSETS,
  type KVStore,
  type PrivacyParams,
  RocksKV,
  chainParams,
} from '@tessera/core';
import { readRollupInfo } from '@tessera/sdk/auditor/l1Reader';
import { http, type Address, type LocalAccount, type PublicClient, createPublicClient } from 'viem';
import { BatchPoster } from './batchPoster.ts';
import type { BlockSource } from './blockSource.ts';
import { Claimer } from './claimer.ts';
import { DepositWatcher } from './depositWatcher.ts';
import { type Logger, createLogger } from './log.ts';
import { type BridgeMetrics, createBridgeMetrics } from './metrics.ts';
import type { ProofSource } from './proofSource.ts';
import { L2Replica } from './replica.ts';
import { sleep } from './retry.ts';
import { TxManager } from './txManager.ts';

export type BridgeServiceConfig = {
  l1RpcUrl: string;
  rollup: Address;
  /** L1 block of the deployment (log scans start here). */
  deployedAtBlock?: bigint;
  account: LocalAccount;
  source: BlockSource;
  proofs?: ProofSource;
  dataDir: string;
  genesis?: readonly Account[];
  assets?: AssetInfo[];
  /** Privacy parameters of the chain (observer keys, regulator admin); default the devnet's. */
  privacy?: PrivacyParams;
  confirmations?: number;
  depositConfirmations?: number;
  pollIntervalMs?: number;
  stuckAfterMs?: number;
  feeBumpPercent?: number;
  maxFeePerGas?: bigint;
  lookahead?: number;
  claimer?: boolean;
  /** Exits below this amount are left to their owners (no gas subsidy for dust). */
  claimMinAmount?: bigint;
  metricsPort?: number;
  metricsHost?: string;
  log?: Logger;
  client?: PublicClient;
};

export type BridgeService = {
  poster: BatchPoster;
  claimer?: Claimer;
  watcher: DepositWatcher;
  txs: TxManager;
  metrics: BridgeMetrics;
  metricsUrl?: string;
  /** Resolves when every loop has stopped; rejects with the first fatal error. */
  done: Promise<void>;
  stop(): Promise<void>;
};

export async function startBridgeService(c: BridgeServiceConfig): Promise<BridgeService> {
  const log = c.log ?? createLogger('bridge');
  const metrics = createBridgeMetrics(undefined, { defaults: true });
  const client =
    c.client ?? (createPublicClient({ transport: http(c.l1RpcUrl), pollingInterval: 500 }) as PublicClient);
  const info = await readRollupInfo(client, c.rollup);
  mkdirSync(c.dataDir, { recursive: true });
  const store: KVStore = await RocksKV.open(join(c.dataDir, 'db'));
  // chainParams' defaults are the devnet's (assets, privacy keys); a deployment passes its own.
  const params = chainParams({
    chainId: info.l2ChainId,
    tree: { arity: info.arity as 2 | 4, depth: info.depth },
    assets: c.assets ?? DEVNET_ASSETS,
    ...(c.privacy ? { privacy: c.privacy } : {}),
  });
  const openReplica = () => L2Replica.open(store, params, info.slots, c.genesis ?? []);
  const txs = await TxManager.open({
    client,
    account: c.account,
    confirmations: c.confirmations ?? 2,
    stuckAfterMs: c.stuckAfterMs ?? 60_000,
    feeBumpPercent: c.feeBumpPercent,
    maxFeePerGas: c.maxFeePerGas,
    store,
    log: log.child({ component: 'tx' }),
    metrics,
  });
  const poster = await BatchPoster.create({
    client,
    rollup: c.rollup,
    txs,
    source: c.source,
    proofs: c.proofs,
    replica: await openReplica(),
    reopenReplica: openReplica,
    log: log.child({ component: 'poster' }),
    metrics,
    lookahead: c.lookahead,
    pollIntervalMs: c.pollIntervalMs,
  });
  const range = { fromBlock: c.deployedAtBlock };
  const claimer =
    c.claimer === false
      ? undefined
      : await Claimer.open({
          client,
          rollup: c.rollup,
          bridge: info.bridge,
          txs,
          store,
          log: log.child({ component: 'claimer' }),
          metrics,
          shouldClaim: (e) => e.exit.amount >= (c.claimMinAmount ?? 0n),
          pollIntervalMs: c.pollIntervalMs,
          logRange: range,
        });
  const watcher = new DepositWatcher({
    client,
    bridge: info.bridge,
    confirmations: c.depositConfirmations ?? 2,
    fromBlock: c.deployedAtBlock,
  });

  const controller = new AbortController();
  const watchLoop = async () => {
    const wlog = log.child({ component: 'deposits' });
    while (!controller.signal.aborted) {
      try {
        metrics.depositsSeen.inc(await watcher.poll());
        const committed = await client.readContract({
          address: c.rollup,
          abi: tesseraRollupAbi,
          functionName: 'committedHeight',
        });
        const head = await client.readContract({
          address: c.rollup,
          abi: tesseraRollupAbi,
          functionName: 'batch',
          args: [committed],
        });
        const queued = await client.readContract({
          address: info.bridge,
          abi: tesseraBridgeAbi,
          functionName: 'queueLength',
        });
        metrics.depositBacklog.set(Number(queued - head.depositEnd));
        if (queued > head.depositEnd) {
          const oldest = await client.readContract({
            address: info.bridge,
            abi: tesseraBridgeAbi,
            functionName: 'queuedDeposit',
            args: [head.depositEnd],
          });
          const now = (await client.getBlock()).timestamp;
          metrics.oldestDepositAge.set(Number(now - oldest.enqueuedAt));
        } else metrics.oldestDepositAge.set(0);
        watcher.prune(head.depositEnd);
      } catch (err) {
        metrics.loopErrors.inc({ service: 'deposits' });
        wlog.warn({ err: (err as Error).message }, 'deposit monitor iteration failed');
      }
      await sleep(c.pollIntervalMs ?? 2_000, controller.signal);
    }
  };

  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (c.metricsPort !== undefined && c.metricsPort >= 0) {
    server = createServer(async (req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (req.url === '/health') {
        const values = (await metrics.healthy.get()).values;
        const ok = values.every((v) => v.value === 1);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ok,
            services: Object.fromEntries(values.map((v) => [v.labels.service, v.value === 1])),
          }),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) =>
      server!.listen(c.metricsPort, c.metricsHost ?? '127.0.0.1', resolve),
    );
    const addr = server.address();
    metricsUrl = `http://${c.metricsHost ?? '127.0.0.1'}:${typeof addr === 'object' && addr ? addr.port : c.metricsPort}/metrics`;
  }

  const loops = [
    poster.run(controller.signal),
    watchLoop(),
    ...(claimer ? [claimer.run(controller.signal)] : []),
  ];
  const done = Promise.all(loops).then(() => undefined);
  done.catch(() => controller.abort());
  log.info(
    {
      rollup: c.rollup,
      bridge: info.bridge,
      operator: c.account.address,
      l2ChainId: info.l2ChainId.toString(),
      metrics: metricsUrl,
    },
    'bridge services started',
  );
  return {
    poster,
    claimer,
    watcher,
    txs,
    metrics,
    metricsUrl,
    done,
    async stop() {
      controller.abort();
      await done.catch(() => undefined);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await store.close();
    },
  };
}
