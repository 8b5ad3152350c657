// Tessera command line: `npx tsx sdk/src/cli.ts <command> [options]`.
//   audit     re-derive every committed batch from L1 alone and report mismatches (exit code 1)
//   balance   L2 accounts of an address (and its L1 ETH balance with --l1)
//   register  open an L2 account for an asset
//   deposit   deposit ETH (or an ERC-20 with --token) into an L2 account through the L1 bridge
//   transfer  L2 transfer;  withdraw  L2 withdrawal to the account's L1 address
//   claim     claim your verified exits on L1 (proofs built from L1 data alone)
//   private address|balance, shield, private-transfer, unshield   private notes (docs/PRIVACY.md)
//   regulator open|trace|report|keystore   the regulator tool (observer keyring in an encrypted keystore)
// Commands that sign read the Ethereum key from TESSERA_PRIVATE_KEY; the L2 key is derived from it.
import '../../scripts/polyfills.ts';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tesseraBridgeAbi } from '@tessera/contracts';
import { type Account, accountFromJson } from '@tessera/core';
import { KeystoreError } from '@tessera/core/storage/keystore';
import {
  http,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  formatEther,
  parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { audit, formatReport } from './auditor/audit.ts';
import { claimMyExits } from './auditor/claim.ts';
import { readRollupInfo } from './auditor/l1Reader.ts';
import { CliError } from './cliError.ts';
import { PrivacyWalletError } from './privacy/errors.ts';
import { type CommandContext, privacyCommand, regulatorCommand } from './privacyCli.ts';
import { RegulatorError } from './regulator/errors.ts';
import { RpcError, TesseraClient } from './rpcClient.ts';
import { Wallet } from './wallet.ts';

export { CliError };

const USAGE = `usage: cli.ts <command> [options]
  audit    --l1 URL --rollup ADDR [--from-block N] [--genesis FILE] [--no-proofs] [--json]
  balance  --rpc URLS (--address ADDR | --account N) [--l1 URL]
  register --rpc URLS [--asset ID]
  deposit  --l1 URL (--bridge ADDR | --rollup ADDR) --to N --amount AMOUNT [--token ADDR]
  transfer --rpc URLS --from N --to N --amount AMOUNT
  withdraw --rpc URLS --from N --amount AMOUNT
  claim    --l1 URL --rollup ADDR [--from-block N]
  private address
  private balance  --rpc URLS
  shield           --rpc URLS --from N --amount AMOUNT [--to STEALTH_ADDRESS] [--memo TEXT]
  private-transfer --rpc URLS --asset ID --amount AMOUNT --to STEALTH_ADDRESS [--memo TEXT]
  unshield         --rpc URLS --asset ID --amount AMOUNT --to N
  regulator open <txHash>      --rpc URLS --keystore FILES [--json]
  regulator trace <noteIndex>  --rpc URLS --keystore FILES [--json]
  regulator report             --rpc URLS --keystore FILES --from H --to H --format json|csv [--out FILE]
  regulator keystore create    --out FILE --epoch N [--rpc URLS]
  regulator keystore add       --keystore FILE --epoch N [--rpc URLS]
  regulator rotate             --rpc URLS --keystore FILE --admin-keystore FILE   (regulator admin)
AMOUNT is an integer in base units, or ETH with an "eth" suffix (1.5eth). URLS, FILES: comma-separated.
Signing commands read TESSERA_PRIVATE_KEY. Private amounts are note values (docs/PROTOCOL.md "Privacy").
The regulator's keystore password comes from TESSERA_OBSERVER_KEYSTORE_PASSWORD_FILE,
TESSERA_OBSERVER_KEYSTORE_PASSWORD or a prompt; "keystore create|add" read the observer secret
from TESSERA_OBSERVER_SECRET or a prompt.`;

const OPTIONS = {
  l1: { type: 'string' },
  rpc: { type: 'string' },
  rollup: { type: 'string' },
  bridge: { type: 'string' },
  token: { type: 'string' },
  address: { type: 'string' },
  account: { type: 'string' },
  asset: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  amount: { type: 'string' },
  genesis: { type: 'string' },
  'from-block': { type: 'string' },
  'no-proofs': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  memo: { type: 'string' },
  keystore: { type: 'string' },
  'admin-keystore': { type: 'string' },
  epoch: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'scrypt-n': { type: 'string' },
} as const;

export type Opts = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** What the CLI takes from its environment; tests replace the sequencer client and the prompt. */
export type CliDeps = {
  client?: (endpoints: string[]) => TesseraClient;
  env?: NodeJS.ProcessEnv;
  /** Reads a secret (password, observer secret) from the user; default: a hidden TTY prompt. */
  readSecret?: (prompt: string) => Promise<string>;
};

export function need(o: Opts, name: keyof Opts): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw new CliError(`--${name} is required\n${USAGE}`);
  return v;
}
const address = (v: string, what: string): Address => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new CliError(`${what} must be a 0x address`);
  return v as Address;
};
export const index = (v: string, what: string): number => {
  if (!/^[0-9]+$/.test(v)) throw new CliError(`${what} must be an account index`);
  return Number(v);
};
export function parseAmount(v: string): bigint {
  if (/^[0-9]+(\.[0-9]+)?eth$/i.test(v)) return parseEther(v.slice(0, -3));
  if (/^[0-9]+$/.test(v)) return BigInt(v);
  throw new CliError(`amount ${v} must be an integer (base units) or a decimal with an "eth" suffix`);
}

export function key(env: NodeJS.ProcessEnv = process.env): Hex {
  const k = env.TESSERA_PRIVATE_KEY;
  if (!k || !/^0x[0-9a-fA-F]{64}$/.test(k))
    throw new CliError('set TESSERA_PRIVATE_KEY to the 0x-hex Ethereum private key');
  return k as Hex;
}

function l1Clients(url: string) {
  const client = createPublicClient({ transport: http(url), pollingInterval: 200 }) as PublicClient;
  const wallet = async () => {
    const chain: Chain = defineChain({
      id: await client.getChainId(),
      name: 'L1',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    });
    return createWalletClient({ transport: http(url), account: privateKeyToAccount(key()), chain });
  };
  return { client, wallet };
}

export const json = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);

export async function runCli(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  deps: CliDeps = {},
): Promise<number> {
  const [command, ...rest] = argv;
  let parsed: { values: Opts; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    }) as typeof parsed;
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values: o, positionals } = parsed;
  if (!command || o.help) {
    out(USAGE);
    return command ? 0 : 2;
  }
  const takesPositionals = command === 'private' || command === 'regulator';
  if (!takesPositionals && positionals.length > 0)
    throw new CliError(`unexpected argument ${positionals[0]}\n${USAGE}`);
  const env = deps.env ?? process.env;
  const client = (urls: string) => (deps.client ?? ((e: string[]) => new TesseraClient(e)))(urls.split(','));
  const ctx: CommandContext = {
    o,
    positionals,
    out,
    env,
    client,
    readSecret: deps.readSecret,
    usage: USAGE,
    need: (name) => need(o, name),
    amount: parseAmount,
    index,
    json,
    ethKey: () => key(env),
  };
  switch (command) {
    case 'private':
    case 'shield':
    case 'private-transfer':
    case 'unshield':
      return privacyCommand(command, ctx);
    case 'regulator':
      return regulatorCommand(ctx);
    case 'audit': {
      const { client } = l1Clients(need(o, 'l1'));
      let genesis: Account[] | undefined;
      if (o.genesis) {
        const j = JSON.parse(readFileSync(o.genesis, 'utf8')) as unknown;
        const list = (Array.isArray(j) ? j : (j as { accounts: unknown[] }).accounts) as Parameters<
          typeof accountFromJson
        >[0][];
        genesis = list.map(accountFromJson);
      }
      const report = await audit({
        client,
        rollup: address(need(o, 'rollup'), '--rollup'),
        genesis,
        fromBlock: o['from-block'] ? BigInt(o['from-block']) : undefined,
        checkProofs: !o['no-proofs'],
      });
      out(o.json ? json(report) : formatReport(report));
      return report.ok ? 0 : 1;
    }
    case 'balance': {
      const rpc = client(need(o, 'rpc'));
      const accounts =
        o.account !== undefined
          ? [await rpc.getAccount(index(o.account, '--account'))].filter((a) => a !== null)
          : await rpc.getAccountsByEthAddress(address(need(o, 'address'), '--address'));
      for (const a of accounts)
        out(`account ${a.index}: asset ${a.assetId} balance ${a.balance} nonce ${a.nonce} (${a.ethAddress})`);
      if (accounts.length === 0) out('no L2 account');
      if (o.l1 && o.address)
        out(
          `L1: ${formatEther(await l1Clients(o.l1).client.getBalance({ address: address(o.address, '--address') }))} ETH`,
        );
      return 0;
    }
    case 'register': {
      const wallet = await Wallet.fromEthereumAccount(privateKeyToAccount(key(env)), client(need(o, 'rpc')));
      out(`registered account ${await wallet.register(o.asset ? Number(o.asset) : 1)}`);
      return 0;
    }
    case 'transfer':
    case 'withdraw': {
      const wallet = await Wallet.fromEthereumAccount(privateKeyToAccount(key(env)), client(need(o, 'rpc')));
      const from = index(need(o, 'from'), '--from');
      const amount = parseAmount(need(o, 'amount'));
      const result =
        command === 'transfer'
          ? await wallet.transfer(from, index(need(o, 'to'), '--to'), amount)
          : await wallet.withdraw(from, amount);
      out(json(result));
      return 0;
    }
    case 'deposit': {
      const { client, wallet } = l1Clients(need(o, 'l1'));
      const bridge = o.bridge
        ? address(o.bridge, '--bridge')
        : (await readRollupInfo(client, address(need(o, 'rollup'), '--rollup'))).bridge;
      const w = await wallet();
      const amount = parseAmount(need(o, 'amount'));
      const token = o.token
        ? address(o.token, '--token')
        : ('0x0000000000000000000000000000000000000000' as Address);
      if (o.token) {
        const approve = await w.writeContract({
          address: token,
          abi: erc20Abi,
          functionName: 'approve',
          args: [bridge, amount],
        });
        await client.waitForTransactionReceipt({ hash: approve });
      }
      const hash = await w.writeContract({
        address: bridge,
        abi: tesseraBridgeAbi,
        functionName: 'deposit',
        args: [index(need(o, 'to'), '--to'), token, amount],
        value: o.token ? 0n : amount,
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      out(`deposit ${receipt.status} in L1 block ${receipt.blockNumber} (${hash})`);
      return receipt.status === 'success' ? 0 : 1;
    }
    case 'claim': {
      const { client, wallet } = l1Clients(need(o, 'l1'));
      const rollup = address(need(o, 'rollup'), '--rollup');
      const info = await readRollupInfo(client, rollup);
      const { claimed, waiting } = await claimMyExits(await wallet(), client, {
        rollup,
        bridge: info.bridge,
        fromBlock: o['from-block'] ? BigInt(o['from-block']) : undefined,
      });
      for (const e of claimed)
        out(`claimed exit ${e.height}/${e.j}: ${e.exit.amount} of asset ${e.exit.assetId}`);
      for (const e of waiting)
        out(
          `exit ${e.height}/${e.j} (${e.exit.amount} of asset ${e.exit.assetId}) waits for its batch to be verified`,
        );
      if (!claimed.length && !waiting.length) out('nothing to claim');
      return 0;
    }
    default:
      throw new CliError(`unknown command ${command}\n${USAGE}`);
  }
}

/** Failures worth a one-line message (no stack): bad usage, keys, the chain's answer. */
function expected(err: unknown): boolean {
  return (
    err instanceof CliError ||
    err instanceof KeystoreError ||
    err instanceof RegulatorError ||
    err instanceof PrivacyWalletError ||
    err instanceof RpcError
  );
}

if (process.argv[1]?.endsWith('sdk/src/cli.ts')) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `${err instanceof CliError ? err.message : expected(err) ? `${(err as Error).name}: ${(err as Error).message}` : ((err as Error).stack ?? String(err))}\n`,
      );
      process.exit(err instanceof CliError ? 2 : 1);
    },
  );
}
