/**
 * Devnet L1: start anvil (state persisted in the devnet folder), and deploy the circuit's Groth16
 * verifier, Poseidon, rollup and bridge once. Also writes the operator's encrypted keystore.
 * `tsx scripts/deploy.ts` runs only this part (the docker-compose `deploy` service).
 */
import './polyfills.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, type Hex, createPublicClient, createWalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { encryptKeystore } from '../bridge/src/keystore.ts';
import { exportSolidityVerifier } from '../circuits/src/index.ts';
import { compileSources, deployAll, deployContract, startAnvil } from '../contracts/src/index.ts';
import { GENESIS_PARENT_HASH, L2State, chainParams } from '../core/src/index.ts';
import { addressOfPrivateKey, devValidatorKey } from '../sequencer/src/consensus/crypto.ts';
import { DEV_SEED } from '../sequencer/src/node/config.ts';
import {
  DEVNET_OPERATOR_KEY,
  type DevnetDeployment,
  type DevnetLayout,
  devnetLayout,
} from './devnetLayout.ts';

type Saved = {
  rollup: Hex;
  bridge: Hex;
  timelock: Hex;
  verifier: Hex;
  deployedAtBlock: string;
  circuitHash: string;
};

/** Devnet timing: short windows so forced inclusion and the escape hatch can be seen in minutes. */
const DEVNET_TIMING = { forcedInclusionDeadline: 600n, escapeDelay: 3_600n, timelockDelay: 7_200n };

export function devnetGenesisRoot(layout: DevnetLayout): bigint {
  const { circuit } = layout;
  return new L2State(
    chainParams({ chainId: circuit.chainId, tree: { arity: circuit.arity, depth: circuit.depth } }),
  ).stateRoot();
}

export async function deployDevnet(
  layout: DevnetLayout,
  say: (m: string) => void = () => {},
): Promise<DevnetDeployment> {
  say(
    `trusted setup for circuit N=${layout.circuit.slots} A=${layout.circuit.arity} D=${layout.circuit.depth} (cached after the first run)…`,
  );
  const verifier = await exportSolidityVerifier(layout.circuit);
  say(`starting anvil on ${layout.l1RpcUrl} (state: ${layout.l1StateFile})`);
  const anvil = await startAnvil({
    port: layout.l1Port,
    chainId: layout.l1ChainId,
    args: ['--state', layout.l1StateFile, '--state-interval', '2'],
  });
  const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
  const operator = privateKeyToAccount(DEVNET_OPERATOR_KEY);
  const wallet = createWalletClient({ account: operator, chain: foundry, transport: http(anvil.rpcUrl) });
  if (!existsSync(layout.operatorKeystore)) {
    writeFileSync(
      layout.operatorKeystore,
      JSON.stringify(await encryptKeystore(DEVNET_OPERATOR_KEY, layout.password), null, 2),
    );
  }

  if (existsSync(layout.deploymentFile)) {
    const saved = JSON.parse(readFileSync(layout.deploymentFile, 'utf8')) as Saved;
    const code = await client.getCode({ address: saved.rollup });
    if (code && code !== '0x' && saved.circuitHash === verifier.keys.hash) {
      say('contracts already deployed; resuming');
      return {
        rollup: saved.rollup,
        bridge: saved.bridge,
        deployedAtBlock: BigInt(saved.deployedAtBlock),
        anvil,
      };
    }
    say('saved deployment does not match this L1 or circuit; deploying again');
  }

  say('deploying verifier, Poseidon, rollup and bridge…');
  const artifacts = await compileSources({ 'generated/BatchVerifier.sol': verifier.source });
  const verifierArtifact = Object.values(artifacts).find((a) =>
    (a.abi as unknown as { name?: string }[]).some((e) => e.name === 'verifyProof'),
  );
  if (!verifierArtifact) throw new Error('compiled verifier has no verifyProof');
  const v = await deployContract(wallet, client, verifierArtifact.abi, verifierArtifact.bytecode);
  const sequencers = [0, 1, 2, 3].map((i) => addressOfPrivateKey(devValidatorKey(DEV_SEED, i))) as [
    Hex,
    Hex,
    Hex,
    Hex,
  ];
  const d = await deployAll(wallet, client, {
    l2ChainId: layout.circuit.chainId,
    slots: layout.circuit.slots,
    arity: layout.circuit.arity as 2 | 4,
    depth: layout.circuit.depth,
    genesisBlockHash: GENESIS_PARENT_HASH,
    genesisStateRoot: devnetGenesisRoot(layout),
    sequencers,
    verifier: v.address,
    ...DEVNET_TIMING,
  });
  const saved: Saved = {
    rollup: d.rollup,
    bridge: d.bridge,
    timelock: d.timelock,
    verifier: d.verifier,
    deployedAtBlock: d.deployedAtBlock.toString(),
    circuitHash: verifier.keys.hash,
  };
  writeFileSync(layout.deploymentFile, JSON.stringify(saved, null, 2));
  say(`deployed rollup ${d.rollup}, bridge ${d.bridge}`);
  return { rollup: d.rollup, bridge: d.bridge, deployedAtBlock: d.deployedAtBlock, anvil };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const layout = devnetLayout();
  const d = await deployDevnet(layout, (m) => process.stdout.write(`[deploy] ${m}\n`));
  await d.anvil.stop();
}
