/**
 * Prover process. Configuration from the environment:
 *   PROVER_QUEUE_DIR   shared job queue directory (default ~/.cache/tessera/prover-queue)
 *   PROVER_ID          stable owner id (default host-pid); reuse it across restarts to resume leases at once
 *   PROVER_WORKERS     prover worker threads (default 1)
 *   PROVER_THREADS     curve threads per worker (default: CPU count; 1 = single-threaded)
 *   PROVER_LEASE_MS    lease duration (default 30000)
 *   PROVER_METRICS_PORT  serve Prometheus metrics on /metrics (optional)
 *   TESSERA_CIRCUITS   circuit to prove with (first entry; default "default")
 *   TESSERA_SEQUENCER_RPCS  follow these sequencers and enqueue a job per committed block (optional)
 *   PROVER_HTTP_PORT   serve GET /proofs/<height> (snarkjs proof JSON, 404 until ready), /status, /metrics
 */
import '../../scripts/polyfills.ts';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RpcBlockSource } from '@tessera/bridge';
import { configuredCircuits } from '@tessera/circuits';
import { chainParams } from '@tessera/core';
import pino from 'pino';
import { BlockFeeder } from './feeder.ts';
import { jobId } from './job.ts';
import { ProverService } from './service.ts';

const log = pino({ name: 'prover', level: process.env.LOG_LEVEL ?? 'info' });
const num = (v: string | undefined) => (v ? Number(v) : undefined);

const service = await ProverService.start({
  queueDir: process.env.PROVER_QUEUE_DIR ?? join(homedir(), '.cache', 'tessera', 'prover-queue'),
  circuit: configuredCircuits()[0]!,
  owner: process.env.PROVER_ID,
  workers: num(process.env.PROVER_WORKERS),
  threads: num(process.env.PROVER_THREADS),
  leaseMs: num(process.env.PROVER_LEASE_MS),
  maxAttempts: num(process.env.PROVER_MAX_ATTEMPTS),
  backoffMs: num(process.env.PROVER_BACKOFF_MS),
  pollMs: num(process.env.PROVER_POLL_MS),
  logger: log,
});
service.start();

const circuit = configuredCircuits()[0]!;
const rpcs = process.env.TESSERA_SEQUENCER_RPCS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const feeder = rpcs?.length
  ? new BlockFeeder(
      new RpcBlockSource(rpcs),
      service.queue,
      chainParams({ chainId: circuit.chainId, tree: { arity: circuit.arity, depth: circuit.depth } }),
      circuit.slots,
      log,
    )
  : undefined;
feeder?.start();

const httpPort = num(process.env.PROVER_HTTP_PORT);
const http = httpPort
  ? createServer(async (req, res) => {
      const m = /^\/proofs\/(\d+)$/.exec(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (m) {
        const result = await service.queue.result(jobId(BigInt(m[1]!)));
        if (!result) {
          res.statusCode = 404;
          res.end(JSON.stringify({ error: 'not proven yet' }));
          return;
        }
        res.end(
          JSON.stringify({
            proof: result.proof,
            publicSignals: result.publicSignals,
            timings: result.timings,
          }),
        );
      } else if (req.url === '/status') {
        res.end(
          JSON.stringify({
            replayedHeight: feeder?.replayedHeight.toString() ?? null,
            jobs: await service.queue.list(),
          }),
        );
      } else if (req.url === '/metrics') {
        res.setHeader('content-type', service.registry.contentType);
        res.end(await service.registry.metrics());
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: 'unknown path' }));
      }
    }).listen(httpPort, '127.0.0.1')
  : undefined;

const port = num(process.env.PROVER_METRICS_PORT);
const server = port
  ? createServer(async (req, res) => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', service.registry.contentType);
        res.end(await service.registry.metrics());
      } else {
        res.statusCode = 404;
        res.end();
      }
    }).listen(port)
  : undefined;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    log.info({ signal }, 'stopping after the jobs in progress');
    server?.close();
    http?.close();
    feeder?.stop();
    await service.stop();
    process.exit(0);
  });
}
