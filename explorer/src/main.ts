import '../../scripts/polyfills.ts';
import { z } from 'zod';
import { startExplorer } from './index.ts';

/** `npm start -w explorer`: configuration from the environment (docs/EXPLORER.md). */
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const env = z
  .object({
    EXPLORER_RPC_URLS: z.string().default('http://127.0.0.1:8545'),
    EXPLORER_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    EXPLORER_HOST: z.string().default('127.0.0.1'),
    EXPLORER_DATA_DIR: z.string().default('.data/explorer'),
    EXPLORER_POLL_MS: z.coerce.number().int().positive().default(1000),
    L1_RPC_URL: z.string().url().optional(),
    ROLLUP_ADDRESS: address.optional(),
    BRIDGE_ADDRESS: address.optional(),
    L1_FROM_BLOCK: z.coerce.bigint().optional(),
    L1_TX_URL: z.string().optional(),
  })
  .parse(process.env);

const l1 =
  env.L1_RPC_URL && env.ROLLUP_ADDRESS && env.BRIDGE_ADDRESS
    ? {
        rpcUrl: env.L1_RPC_URL,
        rollup: env.ROLLUP_ADDRESS as `0x${string}`,
        bridge: env.BRIDGE_ADDRESS as `0x${string}`,
        fromBlock: env.L1_FROM_BLOCK,
        txUrl: env.L1_TX_URL,
      }
    : undefined;

const explorer = await startExplorer({
  rpcUrls: env.EXPLORER_RPC_URLS.split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  dataDir: env.EXPLORER_DATA_DIR,
  port: env.EXPLORER_PORT,
  host: env.EXPLORER_HOST,
  pollMs: env.EXPLORER_POLL_MS,
  l1,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    explorer.close().then(() => process.exit(0));
  });
}
