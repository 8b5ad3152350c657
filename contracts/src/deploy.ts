// Deploys the L1 side: circomlib Poseidon contracts, the timelock, and the rollup and bridge behind
// UUPS proxies (the two reference each other through addresses predicted from the deployer nonce).
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  encodeFunctionData,
  getAddress,
  getContractAddress,
  isAddressEqual,
} from 'viem';
import { erc1967ProxyAbi, tesseraBridgeAbi, tesseraRollupAbi, timelockControllerAbi } from './abi.ts';
import { type Artifact, artifactOf, compileProjectSources } from './compile.ts';
import { poseidonArtifact } from './poseidon.ts';

/** Production values (seconds). The timelock must outlast the escape delay plus time to escape. */
export const PRODUCTION_TIMING = {
  forcedInclusionDeadline: 24n * 3600n,
  escapeDelay: 7n * 24n * 3600n,
  timelockDelay: 14n * 24n * 3600n,
} as const;

export class DeployError extends Error {
  readonly code = 'DEPLOY_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

export interface DeployParams {
  /** L2 chain id (in block hashes, votes and transaction signatures). */
  l2ChainId: bigint;
  /** Circuit slot count N. */
  slots: number;
  /** Accounts-tree arity (2 or 4: the escape hatch needs an A-input Poseidon on L1) and depth. */
  arity: 2 | 4;
  depth: number;
  genesisBlockHash: Hex;
  genesisStateRoot: bigint;
  sequencers: readonly [Address, Address, Address, Address];
  /** snarkjs Groth16 verifier of the block circuit (one public input). */
  verifier: Address;
  forcedInclusionDeadline: bigint;
  escapeDelay: bigint;
  timelockDelay: bigint;
  /** Timelock proposer and executor; defaults to the deployer. */
  timelockAdmin?: Address;
  /** Sequencer-set rotation and batch reverts; defaults to the deployer. */
  governance?: Address;
  pauser?: Address;
  tokenLister?: Address;
}

export interface Deployment {
  rollup: Address;
  bridge: Address;
  timelock: Address;
  rollupImplementation: Address;
  bridgeImplementation: Address;
  verifier: Address;
  /** Poseidon contract by input count. */
  poseidon: Record<number, Address>;
  /** L1 block of the last deployment transaction (where watchers start). */
  deployedAtBlock: bigint;
}

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

export async function deployContract(
  wallet: Wallet,
  client: PublicClient,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[] = [],
): Promise<{ address: Address; blockNumber: bigint }> {
  const hash = await wallet.deployContract({
    abi,
    bytecode,
    args,
    account: wallet.account,
    chain: wallet.chain,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new DeployError(`deployment ${hash} failed`);
  return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber };
}

/** Deploys the circomlib Poseidon contract for each input count in `widths`. */
export async function deployPoseidon(
  wallet: Wallet,
  client: PublicClient,
  widths: Iterable<number>,
): Promise<Record<number, Address>> {
  const out: Record<number, Address> = {};
  for (const n of [...new Set(widths)].sort((a, b) => a - b)) {
    const art = await poseidonArtifact(n);
    out[n] = (await deployContract(wallet, client, art.abi, art.bytecode)).address;
  }
  return out;
}

export async function deployAll(
  wallet: Wallet,
  client: PublicClient,
  params: DeployParams,
): Promise<Deployment> {
  if (params.timelockDelay <= params.escapeDelay) {
    throw new DeployError('the timelock delay must be longer than the escape delay (the exit window)');
  }
  const artifacts = await compileProjectSources();
  const art = (name: string): Artifact => artifactOf(artifacts, name);
  const me = wallet.account.address;

  const poseidon = await deployPoseidon(wallet, client, [3, 6, 4, 5, params.arity]);
  const admin = params.timelockAdmin ?? me;
  const timelock = await deployContract(
    wallet,
    client,
    timelockControllerAbi,
    art('TimelockController').bytecode,
    [params.timelockDelay, [admin], [admin], '0x0000000000000000000000000000000000000000'],
  );

  // rollup impl (n), bridge impl (n+1), rollup proxy (n+2), bridge proxy (n+3)
  const nonce = BigInt(await client.getTransactionCount({ address: me, blockTag: 'pending' }));
  const predictedRollup = getContractAddress({ from: me, nonce: nonce + 2n });
  const predictedBridge = getContractAddress({ from: me, nonce: nonce + 3n });

  const rollupImpl = await deployContract(wallet, client, tesseraRollupAbi, art('TesseraRollup').bytecode, [
    {
      l2ChainId: params.l2ChainId,
      slots: BigInt(params.slots),
      poseidon3: poseidon[3]!,
      poseidon6: poseidon[6]!,
      verifier: params.verifier,
      bridge: predictedBridge,
      forcedInclusionDeadline: params.forcedInclusionDeadline,
      escapeDelay: params.escapeDelay,
    },
  ]);
  const bridgeImpl = await deployContract(wallet, client, tesseraBridgeAbi, art('TesseraBridge').bytecode, [
    {
      rollup: predictedRollup,
      arity: BigInt(params.arity),
      depth: BigInt(params.depth),
      poseidonArity: poseidon[params.arity]!,
      poseidon4: poseidon[4]!,
      poseidon5: poseidon[5]!,
    },
  ]);
  const rollupInit = encodeFunctionData({
    abi: tesseraRollupAbi,
    functionName: 'initialize',
    args: [
      params.genesisBlockHash,
      params.genesisStateRoot,
      params.sequencers,
      timelock.address,
      params.governance ?? me,
      params.pauser ?? me,
    ],
  });
  const rollup = await deployContract(wallet, client, erc1967ProxyAbi, art('ERC1967Proxy').bytecode, [
    rollupImpl.address,
    rollupInit,
  ]);
  const bridgeInit = encodeFunctionData({
    abi: tesseraBridgeAbi,
    functionName: 'initialize',
    args: [timelock.address, params.tokenLister ?? me],
  });
  const bridge = await deployContract(wallet, client, erc1967ProxyAbi, art('ERC1967Proxy').bytecode, [
    bridgeImpl.address,
    bridgeInit,
  ]);
  if (!isAddressEqual(rollup.address, predictedRollup) || !isAddressEqual(bridge.address, predictedBridge)) {
    throw new DeployError(
      'proxy addresses differ from the predicted ones (was the deployer used concurrently?)',
    );
  }
  return {
    rollup: rollup.address,
    bridge: bridge.address,
    timelock: timelock.address,
    rollupImplementation: rollupImpl.address,
    bridgeImplementation: bridgeImpl.address,
    verifier: params.verifier,
    poseidon,
    deployedAtBlock: bridge.blockNumber,
  };
}
