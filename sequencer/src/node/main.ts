import '../../../scripts/polyfills.ts';
import { loadConfig } from './config.ts';
import { SequencerNode } from './node.ts';

/**
 * Entry point: `tsx sequencer/src/node/main.ts` (configuration from TESSERA_* environment
 * variables, defaults for a loopback devnet: TESSERA_NODE_INDEX=0..3).
 */
const cfg = loadConfig();
const node = await SequencerNode.start(cfg);
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  node.log.info({ signal }, 'shutting down');
  await node.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.send?.({ type: 'ready', rpcPort: node.rpc.port, index: cfg.index });
