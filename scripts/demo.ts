/**
 * `npm run demo` (against a running `npm start`): a wallet deposits ETH on L1, sees it on L2,
 * transfers on L2, withdraws, waits for the batch to be verified on L1 with a real proof, and
 * the exit is claimed on L1; a second claim of the same exit is refused; the auditor re-derives
 * every batch from L1 data alone. The end-to-end test runs the same steps.
 */
import './polyfills.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, type Address, type Hex, createPublicClient, createWalletClient, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { tesseraBridgeAbi, tesseraRollupAbi } from '../contracts/src/index.ts';
import { ETH_ASSET_ID } from '../core/src/index.ts';
import { TesseraClient, Wallet, audit, claimArgs, findExits } from '../sdk/src/index.ts';
import { devnetLayout } from './devnetLayout.ts';

/** anvil's well-known accounts #1 and #2: Alice and Bob. */
const ALICE_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const BOB_KEY: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

export type DemoOptions = {
  l1RpcUrl: string;
  sequencerRpcUrls: string[];
  rollup: Address;
  bridge: Address;
  log?: (m: string) => void;
  timeoutMs?: number;
};

export type DemoResult = {
  aliceIndex: number;
  bobIndex: number;
  withdrawHeight: bigint;
  verifiedHeight: bigint;
  claimedAmount: bigint;
  secondClaimError: string;
  auditOk: boolean;
  auditRecomputed: number;
  auditProofsChecked: number;
};

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((m: string) => process.stdout.write(`[demo] ${m}\n`));
  const timeout = o.timeoutMs ?? 600_000;
  const l1 = createPublicClient({ chain: foundry, transport: http(o.l1RpcUrl), cacheTime: 0 });
  const alice = privateKeyToAccount(ALICE_KEY);
  const bob = privateKeyToAccount(BOB_KEY);
  const aliceL1 = createWalletClient({ account: alice, chain: foundry, transport: http(o.l1RpcUrl) });
  const bobL1 = createWalletClient({ account: bob, chain: foundry, transport: http(o.l1RpcUrl) });
  const client = new TesseraClient(o.sequencerRpcUrls);

  const aliceWallet = await Wallet.fromEthereumAccount(alice, client);
  const bobWallet = await Wallet.fromEthereumAccount(bob, client);
  const aliceIndex = await aliceWallet.register(ETH_ASSET_ID);
  const bobIndex = await bobWallet.register(ETH_ASSET_ID);
  log(
    `registered Alice as L2 account ${aliceIndex}, Bob as ${bobIndex} (keys derived from their Ethereum signatures)`,
  );

  const amount = parseEther('1');
  const depositTx = await aliceL1.writeContract({
    address: o.bridge,
    abi: tesseraBridgeAbi,
    functionName: 'deposit',
    args: [aliceIndex, '0x0000000000000000000000000000000000000000', amount],
    value: amount,
  });
  await l1.waitForTransactionReceipt({ hash: depositTx });
  log(`Alice deposited 1 ETH on L1 (${depositTx})`);
  await waitFor(
    'the deposit on L2',
    async () => BigInt((await client.getAccount(aliceIndex))?.balance ?? 0) === amount,
    timeout,
  );
  log('the deposit is credited on L2');

  const sent = parseEther('0.25');
  await aliceWallet.transfer(aliceIndex, bobIndex, sent);
  log(`Alice sent 0.25 ETH to Bob on L2: Bob's balance ${(await client.getAccount(bobIndex))?.balance}`);

  const out = parseEther('0.1');
  const bobBefore = await l1.getBalance({ address: bob.address });
  const withdrawal = await bobWallet.withdraw(bobIndex, out);
  const withdrawHeight = BigInt(
    withdrawal.blockHeight ?? (await client.getReceipt(withdrawal.hash))?.blockHeight ?? 0,
  );
  log(
    `Bob withdrew 0.1 ETH on L2 in block ${withdrawHeight}; waiting for the batch to be proven and verified on L1…`,
  );

  const verifiedHeight = await waitFor(
    `batch ${withdrawHeight} verified on L1`,
    async () => {
      const h = (await l1.readContract({
        address: o.rollup,
        abi: tesseraRollupAbi,
        functionName: 'verifiedHeight',
      })) as bigint;
      return h >= withdrawHeight ? h : undefined;
    },
    timeout,
  );
  log(`L1 verified head is ${verifiedHeight}`);

  // The operator's claimer pays exits for users (gas subsidy); Bob claims himself if it has not.
  const exit = await waitFor(
    "Bob's exit",
    async () =>
      (await findExits(l1, { rollup: o.rollup, bridge: o.bridge, recipient: bob.address })).find(
        (e) => e.height === withdrawHeight && e.verified,
      ),
    timeout,
  );
  if (!exit.claimed) {
    const hash = await bobL1.writeContract({
      address: o.bridge,
      abi: tesseraBridgeAbi,
      functionName: 'claim',
      args: claimArgs(exit),
    });
    await l1.waitForTransactionReceipt({ hash });
  }
  await waitFor(
    'the claim',
    async () =>
      (await findExits(l1, { rollup: o.rollup, bridge: o.bridge, recipient: bob.address })).find(
        (e) => e.height === withdrawHeight,
      )?.claimed,
    timeout,
  );
  const bobAfter = await l1.getBalance({ address: bob.address });
  log(
    `Bob's exit is claimed on L1 (his L1 balance changed by ${bobAfter - bobBefore} wei, net of any gas he paid)`,
  );

  let secondClaimError = '';
  try {
    await l1.simulateContract({
      account: bob,
      address: o.bridge,
      abi: tesseraBridgeAbi,
      functionName: 'claim',
      args: claimArgs(exit),
    });
  } catch (err) {
    secondClaimError = (err as Error).message.split('\n')[0] ?? 'reverted';
  }
  if (!secondClaimError) throw new Error('a second claim of the same exit was accepted');
  log(`a second claim is refused: ${secondClaimError}`);

  const report = await audit({ client: l1, rollup: o.rollup });
  log(
    `auditor: ${report.ok ? 'OK' : 'MISMATCH'} — ${report.recomputed} batches recomputed, ${report.certificatesChecked} certificates and ${report.proofsChecked} proofs checked`,
  );
  return {
    aliceIndex,
    bobIndex,
    withdrawHeight,
    verifiedHeight,
    claimedAmount: exit.exit.amount,
    secondClaimError,
    auditOk: report.ok,
    auditRecomputed: report.recomputed,
    auditProofsChecked: report.proofsChecked,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const layout = devnetLayout();
  const d = JSON.parse(readFileSync(layout.deploymentFile, 'utf8')) as { rollup: Address; bridge: Address };
  const r = await runDemo({
    l1RpcUrl: layout.l1RpcUrl,
    sequencerRpcUrls: layout.sequencerRpcUrls,
    rollup: d.rollup,
    bridge: d.bridge,
  });
  process.exit(r.auditOk ? 0 : 1);
}
