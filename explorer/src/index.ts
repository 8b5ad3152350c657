import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { RocksKV } from '@tessera/core';
import pino, { type Logger } from 'pino';
import { Indexer } from './indexer/indexer.ts';
import type { L1Options } from './indexer/l1.ts';
import type { LedgerOptions } from './indexer/ledger.ts';
import { explorerMetrics } from './metrics.ts';
import { ExplorerDb } from './store/db.ts';
import { createApp } from './web/app.ts';
import { Queries } from './web/queries.ts';

export type ExplorerOptions = {
  /** Sequencer nodes (base URL or `/rpc` URL); the first answering one is followed, all are health-checked. */
  rpcUrls: string[];
  wsUrls?: string[];
  /** L1 node and contract addresses; without it batches and bridge show L2 data only. */
  l1?: L1Options;
  /** RocksDB lives in `<dataDir>/index`. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  pollMs?: number;
  clusterPollMs?: number;
  ledger?: LedgerOptions;
  logger?: Logger;
};

export type RunningExplorer = { url: string; indexer: Indexer; close(): Promise<void> };

export async function startExplorer(options: ExplorerOptions): Promise<RunningExplorer> {
  const log = options.logger ?? pino({ name: 'explorer', level: process.env.LOG_LEVEL ?? 'info' });
  mkdirSync(options.dataDir, { recursive: true });
  const db = new ExplorerDb(await RocksKV.open(join(options.dataDir, 'index')));
  const indexer = new Indexer(db, {
    rpcUrls: options.rpcUrls,
    wsUrls: options.wsUrls,
    l1: options.l1,
    pollMs: options.pollMs,
    clusterPollMs: options.clusterPollMs,
    ledger: options.ledger,
    log,
  });
  try {
    await indexer.start();
  } catch (err) {
    await indexer.stop().catch(() => {});
    await db.close();
    throw err;
  }
  const { app, closeStreams } = createApp(indexer, new Queries(db, indexer), {
    l1TxUrl: options.l1?.txUrl,
    log,
    metrics: explorerMetrics(indexer),
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'explorer listening');
  let closed: Promise<void> | undefined;
  return {
    url,
    indexer,
    close() {
      closed ??= (async () => {
        closeStreams();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await indexer.stop();
        await db.close();
      })();
      return closed;
    },
  };
}

export { Indexer } from './indexer/indexer.ts';
export type { IndexerStatus, BlockEvent } from './indexer/indexer.ts';
export type { L1Options } from './indexer/l1.ts';
export type { LedgerOptions } from './indexer/ledger.ts';
export { createApp } from './web/app.ts';
export { ExplorerDb } from './store/db.ts';
export { Queries } from './web/queries.ts';
