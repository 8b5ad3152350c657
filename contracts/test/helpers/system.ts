// Test harness: a fresh anvil, the full L1 deployment with the real snarkjs verifier of the tiny
// circuit, four sequencer keys, and helpers to build, sign, commit and verify batches.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  http,
  type Abi,
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeErrorResult,
  keccak256,
  toHex,
} from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { tesseraBridgeAbi, tesseraRollupAbi, timelockControllerAbi } from '../../src/abi.ts';
import { type Anvil, startAnvil } from '../../src/anvil.ts';
import {
  type BatchPublicData,
  FIELD_P,
  type PreparedBatch,
  encodeCertificate,
  prepareBatch,
  voteDigest,
} from '../../src/batch.ts';
import { type Artifact, compileSources, readSources } from '../../src/compile.ts';
import { type DeployParams, type Deployment, deployAll, deployContract } from '../../src/deploy.ts';
import { type PoseidonFn, buildPoseidonHasher } from '../../src/poseidon.ts';
import { type SolidityProof, type TinyCircuit, prove, tinyCircuit } from './groth16.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MNEMONIC = 'test test test test test test test test test test test junk';

export type Wallet = WalletClient<Transport, Chain, Account>;

/** Fixed sequencer keys so that test runs are reproducible. */
export const SEQUENCER_KEYS = [1, 2, 3, 4].map((i) =>
  keccak256(toHex(`tessera-test-sequencer-${i}`)),
) as Hex[];
export const sequencerAccounts = SEQUENCER_KEYS.map((k) => privateKeyToAccount(k));

export const TEST_TIMING = {
  forcedInclusionDeadline: 600n,
  escapeDelay: 3600n,
  timelockDelay: 7200n,
} as const;

export interface System {
  anvil: Anvil;
  client: PublicClient<Transport, Chain>;
  test: TestClient<'anvil', Transport, Chain>;
  /** Deployer: timelock proposer/executor, governance, pauser and token lister. */
  admin: Wallet;
  users: Wallet[];
  deployment: Deployment;
  rollup: Address;
  bridge: Address;
  params: DeployParams;
  poseidon: PoseidonFn;
  circuit: TinyCircuit;
  fixtures: Record<string, Artifact>;
  verifierAbi: Abi;
  stop(): Promise<void>;
}

/** Compiles the snarkjs verifier and the Solidity test fixtures (cached like the main sources). */
export async function compileFixtures(circuit: TinyCircuit): Promise<Record<string, Artifact>> {
  const sources = readSources(resolve(here, '../fixtures'));
  sources['test/generated/Verifier.sol'] = circuit.verifierSource;
  return compileSources(sources);
}

export async function startSystem(overrides: Partial<DeployParams> = {}): Promise<System> {
  const [anvil, poseidon, circuit] = await Promise.all([startAnvil(), buildPoseidonHasher(), tinyCircuit()]);
  const fixtures = await compileFixtures(circuit);
  const chain: Chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const transport = http(anvil.rpcUrl);
  const client = createPublicClient({ chain, transport, pollingInterval: 20 });
  const test = createTestClient({ chain, transport, mode: 'anvil', pollingInterval: 20 });
  const wallets = Array.from({ length: 6 }, (_, i) =>
    createWalletClient({
      chain,
      transport,
      account: mnemonicToAccount(MNEMONIC, { addressIndex: i }),
      pollingInterval: 20,
    }),
  );
  const admin = wallets[0]!;
  const verifierArt = fixtures.Groth16Verifier!;
  const verifier = await deployContract(admin, client, verifierArt.abi, verifierArt.bytecode);
  const params: DeployParams = {
    l2ChainId: 7777n,
    slots: 16,
    arity: 4,
    depth: 4,
    // core's GENESIS_PARENT_HASH: block 1's parent is the zero hash.
    genesisBlockHash: `0x${'00'.repeat(32)}`,
    genesisStateRoot: 0x1234n,
    sequencers: sequencerAccounts.map((a) => a.address) as unknown as DeployParams['sequencers'],
    verifier: verifier.address,
    ...TEST_TIMING,
    ...overrides,
  };
  const deployment = await deployAll(admin, client, params);
  return {
    anvil,
    client,
    test,
    admin,
    users: wallets.slice(1),
    deployment,
    rollup: deployment.rollup,
    bridge: deployment.bridge,
    params,
    poseidon,
    circuit,
    fixtures,
    verifierAbi: verifierArt.abi,
    stop: () => anvil.stop(),
  };
}

/** Every ABI whose errors a revert may carry (the bridge bubbles the rollup's, and so on). */
export function allAbis(sys: System): Abi {
  return [
    ...tesseraRollupAbi,
    ...tesseraBridgeAbi,
    ...timelockControllerAbi,
    ...Object.values(sys.fixtures).flatMap((a) => a.abi),
  ] as Abi;
}

export interface Revert {
  errorName: string;
  args: readonly unknown[];
}

export function decodeRevert(sys: System, err: unknown): Revert | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk(
    (e) => e instanceof ContractFunctionRevertedError,
  ) as ContractFunctionRevertedError | null;
  const raw = reverted?.raw;
  if (raw && raw !== '0x') {
    try {
      const d = decodeErrorResult({ abi: allAbis(sys), data: raw });
      return { errorName: d.errorName, args: (d.args ?? []) as readonly unknown[] };
    } catch {
      return { errorName: `unknown(${raw.slice(0, 10)})`, args: [] };
    }
  }
  if (reverted?.data)
    return { errorName: reverted.data.errorName, args: (reverted.data.args ?? []) as readonly unknown[] };
  if (reverted?.reason) return { errorName: 'Error', args: [reverted.reason] };
  return undefined;
}

/** Awaits `p`, which must revert with custom error `errorName`; returns the decoded error. */
export async function expectRevert(sys: System, p: Promise<unknown>, errorName: string): Promise<Revert> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected a revert with ${errorName}, but the call succeeded`);
  const r = decodeRevert(sys, err);
  if (!r) throw err;
  if (r.errorName !== errorName) {
    throw new Error(`expected revert ${errorName}, got ${r.errorName}(${r.args.map(String).join(', ')})`);
  }
  return r;
}

/** Sends and waits; throws if the transaction reverts (estimation reverts surface as viem errors). */
export async function mined(sys: System, hash: Promise<Hex>) {
  const receipt = await sys.client.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

export async function signVote(digest: Hex, keyIndex: number): Promise<Hex> {
  return sequencerAccounts[keyIndex]!.sign({ hash: digest });
}

export interface BatchOptions {
  /** Number of queued deposits to consume from the bridge. */
  deposits?: number;
  records?: bigint[];
  registrations?: BatchPublicData['registrations'];
  exits?: BatchPublicData['exits'];
  stateRoot?: bigint;
  timestamp?: bigint;
  /** Sequencer key indices that sign (default 0, 1, 2). */
  signers?: number[];
  round?: number;
}

export interface CommitArgs {
  header: PreparedBatch['header'];
  depositCount: number;
  records: Hex;
  registrations: Hex;
  exits: Hex;
  certificate: { round: number; signatures: Hex };
}

let rootCounter = 0n;

/** Builds the next batch from the chain's current committed head, signed by `signers`. */
export async function buildBatch(
  sys: System,
  opts: BatchOptions = {},
): Promise<{ prepared: PreparedBatch; args: CommitArgs; data: BatchPublicData }> {
  const height = await sys.client.readContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'committedHeight',
  });
  const parent = await sys.client.readContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'batch',
    args: [height],
  });
  const depositStart = parent.depositEnd;
  const count = opts.deposits ?? 0;
  const [elements] = await sys.client.readContract({
    address: sys.bridge,
    abi: tesseraBridgeAbi,
    functionName: 'depositElements',
    args: [depositStart, count],
  });
  const deposits = Array.from({ length: count }, (_, i) => ({
    element: elements[2 * i]!,
    depositor: toHex(elements[2 * i + 1]!, { size: 20 }) as Address,
  }));
  const data: BatchPublicData = {
    deposits,
    records: opts.records ?? [],
    registrations: opts.registrations ?? [],
    exits: opts.exits ?? [],
  };
  rootCounter += 1n;
  const prepared = prepareBatch(
    {
      chainId: sys.params.l2ChainId,
      slots: sys.params.slots,
      height: height + 1n,
      parentHash: parent.blockHash,
      prevStateRoot: parent.stateRoot,
      stateRoot: opts.stateRoot ?? BigInt(keccak256(toHex(`state-${height}-${rootCounter}`))) % FIELD_P,
      depositStart,
      timestamp: opts.timestamp ?? parent.l2Timestamp + 1n,
      data,
    },
    sys.poseidon,
  );
  const round = opts.round ?? 0;
  const digest = voteDigest(sys.params.l2ChainId, height + 1n, round, prepared.blockHash);
  const signatures = await Promise.all((opts.signers ?? [0, 1, 2]).map((i) => signVote(digest, i)));
  return {
    prepared,
    data,
    args: {
      header: prepared.header,
      depositCount: prepared.depositCount,
      records: prepared.records,
      registrations: prepared.registrations,
      exits: prepared.exits,
      certificate: encodeCertificate(round, signatures),
    },
  };
}

export function sendCommit(sys: System, a: CommitArgs, from: Wallet = sys.admin): Promise<Hex> {
  return from.writeContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'commitBatch',
    args: [a.header, a.depositCount, a.records, a.registrations, a.exits, a.certificate],
  });
}

export async function commit(sys: System, opts: BatchOptions = {}) {
  const built = await buildBatch(sys, opts);
  const receipt = await mined(sys, sendCommit(sys, built.args));
  return { ...built, receipt };
}

export function sendVerify(
  sys: System,
  height: bigint,
  proof: SolidityProof,
  from: Wallet = sys.admin,
): Promise<Hex> {
  return from.writeContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'verifyBatch',
    args: [height, proof],
  });
}

/** Proves the committed batch at `height` with the tiny circuit and verifies it on L1. */
export async function verify(sys: System, height: bigint) {
  const b = await sys.client.readContract({
    address: sys.rollup,
    abi: tesseraRollupAbi,
    functionName: 'batch',
    args: [height],
  });
  const proof = await prove(sys.circuit, b.publicInput);
  return mined(sys, sendVerify(sys, height, proof));
}

export async function increaseTime(sys: System, seconds: bigint): Promise<void> {
  await sys.test.increaseTime({ seconds: Number(seconds) });
  await sys.test.mine({ blocks: 1 });
}

/** Runs a test body on a snapshot of the chain and rolls it back afterwards. */
export async function isolated<T>(sys: System, body: () => Promise<T>): Promise<T> {
  const id = await sys.test.snapshot();
  try {
    return await body();
  } finally {
    await sys.test.revert({ id });
  }
}

export function fixture(sys: System, name: string): Artifact {
  const a = sys.fixtures[name];
  if (!a) throw new Error(`fixture ${name} missing`);
  return a;
}

export function readFixtureSource(name: string): string {
  return readFileSync(resolve(here, '../fixtures', name), 'utf8');
}
