/**
 * Where every devnet component listens and keeps its data, derived from the environment with
 * loopback defaults. One place, so `npm start`, the end-to-end tests and docs agree.
 */
import { join, resolve } from 'node:path';
import { parseParams } from '../circuits/src/config.ts';
import type { BatchParams } from '../circuits/src/config.ts';

export type DevnetDeployment = {
  rollup: `0x${string}`;
  bridge: `0x${string}`;
  deployedAtBlock: bigint;
  anvil: { stop(): Promise<void> };
};

export type DevnetLayout = ReturnType<typeof devnetLayout>;

/** Public devnet secrets: they guard nothing of value and are documented as such. */
export const DEVNET_PASSWORD = 'tessera-devnet-password';
/** anvil's well-known account #0: the devnet operator (deployer, batch poster, claimer). */
export const DEVNET_OPERATOR_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export function devnetLayout(env: NodeJS.ProcessEnv = process.env) {
  const home = resolve(env.TESSERA_HOME ?? '.data/devnet');
  const circuitSpec = env.TESSERA_CIRCUITS ?? 'devnet';
  const circuit: BatchParams = parseParams(circuitSpec);
  const l1Port = Number(env.TESSERA_L1_PORT ?? 8545);
  const rpcBase = Number(env.TESSERA_RPC_BASE_PORT ?? 18545);
  const p2pBase = Number(env.TESSERA_P2P_BASE_PORT ?? 19100);
  const explorerPort = Number(env.TESSERA_EXPLORER_PORT ?? 8700);
  const proverPort = Number(env.TESSERA_PROVER_PORT ?? 8800);
  const bridgeMetricsPort = Number(env.TESSERA_BRIDGE_METRICS_PORT ?? 9470);
  const l1RpcUrl = `http://127.0.0.1:${l1Port}`;
  const sequencerRpcUrls = [0, 1, 2, 3].map((i) => `http://127.0.0.1:${rpcBase + i}/rpc`);
  const password = env.TESSERA_KEYSTORE_PASSWORD ?? DEVNET_PASSWORD;
  const common = {
    TESSERA_CHAIN_ID: circuit.chainId.toString(),
    TESSERA_CIRCUITS: circuitSpec,
    TESSERA_TREE_ARITY: String(circuit.arity),
    TESSERA_TREE_DEPTH: String(circuit.depth),
    TESSERA_BLOCK_MAX_TXS: String(circuit.slots),
    TESSERA_L1_RPC: l1RpcUrl,
    TESSERA_DEPLOYMENT: join(home, 'deployment.json'),
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    TESSERA_LOG_LEVEL: env.LOG_LEVEL ?? 'info',
  };
  return {
    home,
    circuit,
    l1Port,
    l1ChainId: 31337,
    l1RpcUrl,
    l1StateFile: join(home, 'l1-state.json'),
    deploymentFile: join(home, 'deployment.json'),
    operatorKeystore: join(home, 'operator.keystore.json'),
    password,
    sequencerRpcUrls,
    explorerPort,
    proverPort,
    bridgeMetricsPort,
    services(d: DevnetDeployment) {
      const sequencers = [0, 1, 2, 3].map((i) => ({
        name: `sequencer-${i}`,
        entry: 'sequencer/src/node/main.ts',
        env: {
          ...common,
          TESSERA_NODE_INDEX: String(i),
          TESSERA_DATA_DIR: join(home, `sequencer-${i}`),
          TESSERA_RPC_BASE_PORT: String(rpcBase),
          TESSERA_P2P_BASE_PORT: String(p2pBase),
          TESSERA_GENESIS_ACCOUNTS: '0',
          TESSERA_BRIDGE_ADDRESS: d.bridge,
          TESSERA_L1_FROM_BLOCK: d.deployedAtBlock.toString(),
          TESSERA_DEPOSIT_CONFIRMATIONS: env.TESSERA_DEPOSIT_CONFIRMATIONS ?? '1',
        },
      }));
      return [
        ...sequencers,
        {
          name: 'prover',
          entry: 'prover/src/main.ts',
          env: {
            ...common,
            PROVER_QUEUE_DIR: join(home, 'prover'),
            PROVER_ID: 'devnet-prover',
            PROVER_HTTP_PORT: String(proverPort),
            PROVER_WORKERS: env.PROVER_WORKERS ?? '1',
            TESSERA_SEQUENCER_RPCS: sequencerRpcUrls.join(','),
          },
        },
        {
          name: 'bridge',
          entry: 'bridge/src/main.ts',
          env: {
            ...common,
            TESSERA_SEQUENCER_RPCS: sequencerRpcUrls.join(','),
            TESSERA_KEYSTORE: join(home, 'operator.keystore.json'),
            TESSERA_KEYSTORE_PASSWORD: password,
            TESSERA_DATA_DIR: join(home, 'bridge'),
            TESSERA_PROVER_URL: `http://127.0.0.1:${proverPort}`,
            TESSERA_CONFIRMATIONS: '1',
            TESSERA_DEPOSIT_CONFIRMATIONS: '1',
            TESSERA_POLL_MS: '500',
            TESSERA_METRICS_PORT: String(bridgeMetricsPort),
          },
        },
        {
          name: 'explorer',
          entry: 'explorer/src/main.ts',
          env: {
            ...common,
            EXPLORER_RPC_URLS: sequencerRpcUrls.join(','),
            EXPLORER_PORT: String(explorerPort),
            EXPLORER_DATA_DIR: join(home, 'explorer'),
            L1_RPC_URL: l1RpcUrl,
            ROLLUP_ADDRESS: d.rollup,
            BRIDGE_ADDRESS: d.bridge,
            L1_FROM_BLOCK: d.deployedAtBlock.toString(),
          },
        },
      ];
    },
  };
}
