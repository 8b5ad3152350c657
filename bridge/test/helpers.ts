// Test world for the bridge services: a real anvil with the real rollup and bridge (verifier = the
// contracts tests' fifth-root Groth16 circuit, so every public input has a real proof), and an L2
// chain built block by block with core's executeBlock and certified with four secp256k1 dev keys
// over the precommit digest, served over HTTP JSON-RPC exactly as docs/RPC.md describes.
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Anvil,
  compileSources,
  deployAll,
  deployContract,
  startAnvil,
  tesseraBridgeAbi,
  tesseraRollupAbi,
  voteDigest,
} from '@tessera/contracts';
import {
  type ChainParams,
  type Hex as CoreHex,
  type ExecutedBlock,
  GENESIS_PARENT_HASH,
  L2State,
  type Receipt,
  type RegisterTx,
  RocksKV,
  type Tx,
  TxType,
  batchData,
  batchPublicInput,
  blockHash,
  chainParams,
  commitBatch,
  executeBlock,
  privateKeyToPublicKey,
  registrationMessage,
  signTransfer,
  signWithdraw,
} from '@tessera/core';
import {
  http,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
  createPublicClient,
  createTestClient,
  createWalletClient,
  keccak256,
  parseEther,
  toHex,
} from 'viem';
import { type HDAccount, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { type TinyCircuit, prove, tinyCircuit } from '../../contracts/test/helpers/groth16.ts';
import { type CertifiedBlock, certifiedBlockToJson } from '../src/blockSource.ts';
import { l1Certificate } from '../src/certificate.ts';
import { DepositWatcher } from '../src/depositWatcher.ts';
import { createLogger } from '../src/log.ts';
import { createBridgeMetrics } from '../src/metrics.ts';
import type { BatchProof, ProofSource } from '../src/proofSource.ts';
import { L2Replica, prepareCommit } from '../src/replica.ts';
import { sleep } from '../src/retry.ts';
import { TxManager, type TxManagerOptions } from '../src/txManager.ts';

export const MNEMONIC = 'test test test test test test test test test test test junk';
export const L2_CHAIN_ID = 7777n;
export const SLOTS = 16;
export const PARAMS: ChainParams = chainParams({ chainId: L2_CHAIN_ID, tree: { arity: 4, depth: 4 } });
export const SEQUENCER_KEYS = [1, 2, 3, 4].map((i) => keccak256(toHex(`tessera-bridge-test-sequencer-${i}`)));
export const sequencerAccounts = SEQUENCER_KEYS.map((k) => privateKeyToAccount(k));

export type Wallet = WalletClient<Transport, Chain, Account>;

export interface L1 {
  anvil: Anvil;
  client: PublicClient<Transport, Chain>;
  test: TestClient<'anvil', Transport, Chain>;
  admin: Wallet;
  /** Users 0..3 (mnemonic accounts 1..4) and the operator (account 5). */
  users: Wallet[];
  operator: HDAccount;
  rollup: Address;
  bridge: Address;
  deployedAtBlock: bigint;
  circuit: TinyCircuit;
  stop(): Promise<void>;
}

export async function startL1(): Promise<L1> {
  const [anvil, circuit] = await Promise.all([startAnvil(), tinyCircuit()]);
  try {
    return await deployOn(anvil, circuit);
  } catch (err) {
    await anvil.stop(); // never leak the process when the deployment fails
    throw err;
  }
}

async function deployOn(anvil: Anvil, circuit: TinyCircuit): Promise<L1> {
  const chain: Chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
  const transport = http(anvil.rpcUrl);
  const client = createPublicClient({ chain, transport, pollingInterval: 20 });
  const test = createTestClient({ chain, transport, mode: 'anvil', pollingInterval: 20 });
  const wallet = (i: number) =>
    createWalletClient({
      chain,
      transport,
      account: mnemonicToAccount(MNEMONIC, { addressIndex: i }),
      pollingInterval: 20,
    });
  const admin = wallet(0);
  const artifacts = await compileSources({ 'Verifier.sol': circuit.verifierSource });
  const verifierArt = artifacts.Groth16Verifier!;
  const verifier = await deployContract(admin, client, verifierArt.abi, verifierArt.bytecode);
  const deployment = await deployAll(admin, client, {
    l2ChainId: L2_CHAIN_ID,
    slots: SLOTS,
    arity: 4,
    depth: 4,
    genesisBlockHash: GENESIS_PARENT_HASH,
    genesisStateRoot: new L2State(PARAMS).stateRoot(),
    sequencers: sequencerAccounts.map((a) => a.address) as unknown as readonly [
      Address,
      Address,
      Address,
      Address,
    ],
    verifier: verifier.address,
    forcedInclusionDeadline: 600n,
    escapeDelay: 3600n,
    timelockDelay: 7200n,
  });
  return {
    anvil,
    client,
    test,
    admin,
    users: [1, 2, 3, 4].map(wallet),
    operator: mnemonicToAccount(MNEMONIC, { addressIndex: 5 }),
    rollup: deployment.rollup,
    bridge: deployment.bridge,
    deployedAtBlock: deployment.deployedAtBlock,
    circuit,
    stop: () => anvil.stop(),
  };
}

/** An L2 user: an Ethereum wallet on the anvil and an L2 key. */
export type User = { wallet: Wallet; address: Address; l2Key: Uint8Array };

export function l2User(wallet: Wallet, seed: string): User {
  return {
    wallet,
    address: wallet.account.address,
    l2Key: new Uint8Array(Buffer.from(keccak256(toHex(`l2-key-${seed}`)).slice(2), 'hex')),
  };
}

export async function registerTx(u: User): Promise<RegisterTx> {
  const publicKey = privateKeyToPublicKey(u.l2Key);
  const binding = await u.wallet.account.signMessage!({
    message: { raw: registrationMessage(u.address, publicKey, L2_CHAIN_ID) },
  });
  return {
    type: TxType.REGISTER,
    ethAddress: u.address.toLowerCase() as CoreHex,
    publicKey,
    assetId: 1,
    binding,
  };
}

export const transferTx = (u: User, from: number, to: number, amount: bigint, nonce: bigint) =>
  signTransfer(u.l2Key, L2_CHAIN_ID, { from, to, amount, nonce });
export const withdrawTx = (u: User, from: number, amount: bigint, nonce: bigint) =>
  signWithdraw(u.l2Key, L2_CHAIN_ID, { from, amount, nonce });

export async function depositEth(l1: L1, wallet: Wallet, toIndex: number, amount: bigint): Promise<void> {
  const hash = await wallet.writeContract({
    address: l1.bridge,
    abi: tesseraBridgeAbi,
    functionName: 'deposit',
    args: [toIndex, '0x0000000000000000000000000000000000000000', amount],
    value: amount,
  });
  const r = await l1.client.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error('deposit reverted');
}

export async function signCertificate(
  height: bigint,
  hash: Hex,
  signers: number[] = [0, 1, 2, 3],
  round = 0,
) {
  const digest = voteDigest(L2_CHAIN_ID, height, round, hash);
  return {
    height,
    round,
    valueHash: hash,
    signatures: await Promise.all(
      signers.map(async (i) => ({
        validator: sequencerAccounts[i]!.address.toLowerCase() as Address,
        signature: await sequencerAccounts[i]!.sign({ hash: digest }),
      })),
    ),
  };
}

/**
 * The sequencer cluster's output, built with core: each block executed on the chain's state and
 * certified by the dev keys. Deposits come from the real DepositWatcher reading the L1 bridge.
 */
export class TestChain {
  readonly state = new L2State(PARAMS);
  readonly blocks: CertifiedBlock[] = [];
  readonly executed: ExecutedBlock[] = [];
  private timestamp = 1_700_000_000n;
  readonly watcher?: DepositWatcher;

  /** Without an L1, blocks carry no deposits. */
  constructor(readonly l1?: L1) {
    if (l1)
      this.watcher = new DepositWatcher({
        client: l1.client as unknown as PublicClient,
        bridge: l1.bridge,
        confirmations: 0,
        fromBlock: l1.deployedAtBlock,
      });
  }

  get height(): bigint {
    return BigInt(this.blocks.length);
  }

  /** Executes `txs` after every confirmed, unconsumed L1 deposit (deposits first, as the protocol requires). */
  async produce(
    txs: Tx[] = [],
    opts: { withDeposits?: boolean; signers?: number[] } = {},
  ): Promise<CertifiedBlock> {
    let deposits: Tx[] = [];
    if (opts.withDeposits !== false && this.watcher) {
      await this.watcher.poll();
      deposits = this.watcher.pending(this.state.nextDepositIndex, SLOTS - txs.length);
    }
    const height = this.height + 1n;
    const parentHash = this.blocks[this.blocks.length - 1]?.hash ?? GENESIS_PARENT_HASH;
    this.timestamp += 2n;
    const executed = executeBlock(this.state, [...deposits, ...txs], {
      height,
      parentHash,
      timestamp: this.timestamp,
      slots: SLOTS,
    });
    const block: CertifiedBlock = {
      hash: executed.hash,
      header: executed.block.header,
      txs: executed.block.txs,
      certificate: await signCertificate(height, executed.hash, opts.signers),
    };
    this.blocks.push(block);
    this.executed.push(executed);
    return block;
  }

  /**
   * A block the cluster signed although it is not what its transactions produce (what a colluding
   * quorum could do): a different state root, or exits redirected to another recipient. The
   * chain's own state stays honest; the forged block is returned, not appended.
   */
  async forge(txs: Tx[], opts: { stateRootDelta?: bigint; redirectExitsTo?: Address }) {
    const height = this.height + 1n;
    const parentHash = this.blocks[this.blocks.length - 1]?.hash ?? GENESIS_PARENT_HASH;
    this.state.checkpoint();
    const executed = executeBlock(this.state, txs, {
      height,
      parentHash,
      timestamp: this.timestamp + 2n,
      slots: SLOTS,
    });
    this.state.rollback();
    this.state.stateRoot();
    let receipts = executed.receipts;
    let commitment: { dataHash: Hex; dataCommitment: bigint; y: bigint } = executed.commitment;
    let header = executed.block.header;
    if (opts.redirectExitsTo) {
      const to = opts.redirectExitsTo.toLowerCase() as CoreHex;
      receipts = receipts.map((r) =>
        'exit' in r ? { ...r, exit: { ...r.exit, recipient: to } } : r,
      ) as typeof receipts;
      commitment = commitBatch(batchData(executed.block.txs, receipts), SLOTS);
      header = { ...header, dataHash: commitment.dataHash, dataCommitment: commitment.dataCommitment };
    }
    if (opts.stateRootDelta) header = { ...header, stateRoot: header.stateRoot + opts.stateRootDelta };
    const hash = blockHash(header);
    const block: CertifiedBlock = {
      hash,
      header,
      txs: executed.block.txs,
      certificate: await signCertificate(height, hash, [0, 1, 2]),
    };
    return { block, receipts, commitment };
  }
}

/** Commits a block straight to the rollup from `wallet` (a competitor, or a colluding submitter). */
export async function commitDirect(
  l1: L1,
  wallet: Wallet,
  forged: {
    block: CertifiedBlock;
    receipts: readonly Receipt[];
    commitment: { dataHash: Hex; dataCommitment: bigint; y: bigint };
  },
) {
  const p = prepareCommit(forged.block, forged.receipts, forged.commitment);
  const sequencers = await l1.client.readContract({
    address: l1.rollup,
    abi: tesseraRollupAbi,
    functionName: 'sequencers',
  });
  const cert = await l1Certificate(p.certificate, L2_CHAIN_ID, sequencers);
  const hash = await wallet.writeContract({
    address: l1.rollup,
    abi: tesseraRollupAbi,
    functionName: 'commitBatch',
    args: [
      p.header,
      p.depositCount,
      p.records,
      p.registrations,
      p.exits,
      { round: cert.round, signatures: cert.signatures },
    ],
  });
  const r = await l1.client.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error('direct commit reverted');
  return p;
}

/** verifyBatch with a real (fifth-root) proof of whatever public input L1 stored. */
export async function verifyDirect(l1: L1, wallet: Wallet, height: bigint) {
  const b = await l1.client.readContract({
    address: l1.rollup,
    abi: tesseraRollupAbi,
    functionName: 'batch',
    args: [height],
  });
  const proof = await prove(l1.circuit, b.publicInput);
  const hash = await wallet.writeContract({
    address: l1.rollup,
    abi: tesseraRollupAbi,
    functionName: 'verifyBatch',
    args: [height, proof],
  });
  const r = await l1.client.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error('direct verify reverted');
}

/** docs/RPC.md's block methods over HTTP, serving a TestChain (what the sequencers will serve). */
export async function serveChain(
  chain: TestChain,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      let result: unknown = null;
      if (msg.method === 'tessera_blockNumber') result = chain.height.toString();
      else if (msg.method === 'tessera_getBlockByNumber') {
        const b = chain.blocks[Number(msg.params[0]) - 1];
        result = b ? certifiedBlockToJson(b) : null;
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: msg.id,
            error: { code: -32601, message: 'unknown method' },
          }),
        );
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/rpc`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The prover stand-in: real Groth16 proofs of the fifth-root circuit for the block's real public input. */
export class TinyProver implements ProofSource {
  requests = 0;
  /** Heights whose proof is withheld (a prover that is behind). */
  readonly withheld = new Set<bigint>();
  constructor(
    private readonly chain: TestChain,
    private readonly circuit: TinyCircuit,
  ) {}

  async getProof(height: bigint): Promise<BatchProof | null> {
    this.requests++;
    const executed = this.chain.executed[Number(height) - 1];
    if (!executed || this.withheld.has(height)) return null;
    const h = executed.block.header;
    const pi = batchPublicInput(h.prevStateRoot, h.stateRoot, executed.commitment);
    return { ...(await prove(this.circuit, pi)), publicInput: pi };
  }
}

export const silent = createLogger('test', 'silent');

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `tessera-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Opens the operator's services on a RocksDB directory (reopen = process restart). */
export async function openOperator(l1: L1, dir: string, overrides: Partial<TxManagerOptions> = {}) {
  const store = await RocksKV.open(join(dir, 'db'));
  const metrics = createBridgeMetrics();
  const txs = await TxManager.open({
    client: l1.client as unknown as PublicClient,
    account: l1.operator,
    confirmations: 1,
    stuckAfterMs: 60_000,
    store,
    log: silent,
    metrics,
    ...overrides,
  });
  const replica = await L2Replica.open(store, PARAMS, SLOTS);
  return { store, metrics, txs, replica };
}

/**
 * Runs a service's `tick` until `done` holds or `maxMs` passes, pausing between rounds: anvil's
 * automine is asynchronous, so a tick can run before the block holding its last transaction exists
 * (a fixed number of back-to-back ticks was not enough on a loaded machine). The caller asserts.
 */
export async function tickUntil(
  tick: () => Promise<unknown>,
  done: () => Promise<boolean> | boolean,
  maxMs = 60_000,
): Promise<void> {
  const end = Date.now() + maxMs;
  while (!(await done()) && Date.now() < end) {
    await tick();
    if (!(await done())) await sleep(50);
  }
}

export async function rollupHeads(l1: L1) {
  const [committed, verified] = await Promise.all([
    l1.client.readContract({ address: l1.rollup, abi: tesseraRollupAbi, functionName: 'committedHeight' }),
    l1.client.readContract({ address: l1.rollup, abi: tesseraRollupAbi, functionName: 'verifiedHeight' }),
  ]);
  return { committed, verified };
}

/** BatchCommitted events on the canonical chain, in order. */
export async function commitEvents(l1: L1) {
  return l1.client.getContractEvents({
    address: l1.rollup,
    abi: tesseraRollupAbi,
    eventName: 'BatchCommitted',
    fromBlock: 0n,
  });
}

export const ETH = parseEther('1');
