// The private-note and regulator commands of sdk/src/cli.ts (usage there).
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BASE8, L2_KEY_DERIVATION_MESSAGE, l2PrivateKeyFromEthSignature, mulPoint } from '@tessera/core';
import {
  decryptKeystore,
  decryptObserverKeyring,
  encryptObserverKeyring,
  keystorePasswordFromEnv,
  readKeystoreFile,
  readObserverKeyringFile,
  writeKeystoreFile,
} from '@tessera/core/storage/keystore';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Opts } from './cli.ts';
import { CliError } from './cliError.ts';
import { encodeStealthAddress } from './privacy/address.ts';
import { fetchPrivacyParams } from './privacy/chain.ts';
import { stealthKeysFromL2Key } from './privacy/keys.ts';
import { pointHex, reportToCsv, reportToJson, toJsonValue } from './regulator/format.ts';
import { ObserverKeyring } from './regulator/keyring.ts';
import type { OpenedTransaction } from './regulator/open.ts';
import { Regulator } from './regulator/regulator.ts';
import { rotateObserverKey } from './regulator/rotate.ts';
import type { NoteTrace } from './regulator/trace.ts';
import type { TesseraClient } from './rpcClient.ts';
import { Wallet } from './wallet.ts';

export type CommandContext = {
  o: Opts;
  positionals: string[];
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
  client: (urls: string) => TesseraClient;
  readSecret?: (prompt: string) => Promise<string>;
  usage: string;
  need: (name: keyof Opts) => string;
  amount: (v: string) => bigint;
  index: (v: string, what: string) => number;
  json: (v: unknown) => string;
  ethKey: () => Hex;
};

/** Password of the regulator's keystore: `TESSERA_OBSERVER_KEYSTORE_PASSWORD(_FILE)` or a prompt. */
export const OBSERVER_KEYSTORE_ENV = 'TESSERA_OBSERVER_KEYSTORE';
/** The observer secret for `regulator keystore create|add` (decimal or 0x-hex), else a prompt. */
export const OBSERVER_SECRET_ENV = 'TESSERA_OBSERVER_SECRET';

const asset = (v: string): number => {
  if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new CliError('--asset must be an asset id');
  return Number(v);
};

async function wallet(ctx: CommandContext): Promise<Wallet> {
  return Wallet.fromEthereumAccount(privateKeyToAccount(ctx.ethKey()), ctx.client(ctx.need('rpc')));
}

export async function privacyCommand(command: string, ctx: CommandContext): Promise<number> {
  const { o, out } = ctx;
  switch (command) {
    case 'private': {
      const sub = ctx.positionals[0];
      if (ctx.positionals.length !== 1 || (sub !== 'address' && sub !== 'balance'))
        throw new CliError(`private needs "address" or "balance"\n${ctx.usage}`);
      if (sub === 'address') {
        // Derived locally: no sequencer needed to tell a payer where to pay.
        const account = privateKeyToAccount(ctx.ethKey());
        const l2Key = l2PrivateKeyFromEthSignature(
          await account.signMessage({ message: L2_KEY_DERIVATION_MESSAGE }),
        );
        out(encodeStealthAddress(stealthKeysFromL2Key(l2Key).address));
        return 0;
      }
      const balances = await (await wallet(ctx)).privacy().balance();
      for (const b of balances) {
        const notes = Object.entries(b.byDenomination)
          .map(([value, n]) => `${n} × ${value}`)
          .join(', ');
        out(`asset ${b.assetId}: ${b.total} in ${b.notes} note${b.notes === 1 ? '' : 's'} (${notes})`);
      }
      if (balances.length === 0) out('no private notes');
      return 0;
    }
    case 'shield': {
      const w = (await wallet(ctx)).privacy();
      const r = await w.shield(ctx.index(ctx.need('from'), '--from'), ctx.amount(ctx.need('amount')), o.to, {
        memo: o.memo,
      });
      out(
        `shielded ${r.amount} of asset ${r.assetId} into note ${r.noteIndex ?? '?'} for ${o.to ? o.to : 'this wallet'}: tx ${r.hash} in block ${r.blockHeight}`,
      );
      return 0;
    }
    case 'private-transfer': {
      const w = (await wallet(ctx)).privacy();
      const r = await w.privateTransfer(
        asset(ctx.need('asset')),
        ctx.amount(ctx.need('amount')),
        ctx.need('to'),
        o.memo,
      );
      out(
        `paid ${r.amount} of asset ${r.assetId} privately (ring of ${r.ring.length}, new note ${r.noteIndex ?? '?'}): tx ${r.hash} in block ${r.blockHeight}`,
      );
      return 0;
    }
    case 'unshield': {
      const w = (await wallet(ctx)).privacy();
      const r = await w.unshield(
        asset(ctx.need('asset')),
        ctx.amount(ctx.need('amount')),
        ctx.index(ctx.need('to'), '--to'),
        { memo: o.memo },
      );
      out(
        `unshielded ${r.amount} of asset ${r.assetId} to account ${r.to} (ring of ${r.ring.length}): tx ${r.hash} in block ${r.blockHeight}`,
      );
      return 0;
    }
    default:
      throw new CliError(`unknown command ${command}`);
  }
}

/** Reads a line without echo from the terminal. */
async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError(`${question.trim()} needed, but stdin is not a terminal`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(question);
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve, reject) => {
      let answered = false;
      rl.question('', (answer) => {
        answered = true;
        resolve(answer);
      });
      rl.on('SIGINT', () => reject(new CliError('cancelled')));
      rl.on('close', () => {
        if (!answered) reject(new CliError('cancelled'));
      });
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

function ask(ctx: CommandContext, question: string): Promise<string> {
  return (ctx.readSecret ?? promptHidden)(question);
}

async function keystorePassword(ctx: CommandContext, confirm = false): Promise<string> {
  if (ctx.env[`${OBSERVER_KEYSTORE_ENV}_PASSWORD_FILE`] || ctx.env[`${OBSERVER_KEYSTORE_ENV}_PASSWORD`])
    return keystorePasswordFromEnv(ctx.env, OBSERVER_KEYSTORE_ENV);
  const pw = await ask(ctx, 'observer keystore password: ');
  if (confirm && (await ask(ctx, 'repeat the password: ')) !== pw) throw new CliError('the passwords differ');
  return pw;
}

function parseSecret(text: string): bigint {
  const t = text.trim();
  if (/^0x[0-9a-fA-F]{1,64}$/.test(t) || /^[0-9]{1,78}$/.test(t)) return BigInt(t);
  throw new CliError('the observer secret must be a decimal or 0x-hex scalar');
}

function parseEpoch(v: string): bigint {
  if (!/^[0-9]{1,20}$/.test(v) || BigInt(v) < 1n || BigInt(v) >= 1n << 64n)
    throw new CliError('--epoch must be an observer epoch (1, 2, …)');
  return BigInt(v);
}

function parseHeight(v: string, what: string): bigint {
  if (!/^[0-9]{1,20}$/.test(v)) throw new CliError(`${what} must be a block height`);
  return BigInt(v);
}

/** With --rpc, the secret must match the chain's observer key of its epoch (if registered yet). */
async function checkAgainstChain(ctx: CommandContext, epoch: bigint, secret: bigint): Promise<void> {
  if (!ctx.o.rpc) return;
  const params = await fetchPrivacyParams(ctx.client(ctx.o.rpc));
  const onChain = params.observerKeys.find((k) => k.epoch === epoch);
  if (!onChain) {
    ctx.out(`note: the chain has no observer key for epoch ${epoch} yet`);
    return;
  }
  const mine = mulPoint(BASE8, secret);
  if (mine[0] !== onChain.key[0] || mine[1] !== onChain.key[1])
    throw new CliError(`this secret is not the one of the chain's observer key for epoch ${epoch}`);
}

async function observerSecret(ctx: CommandContext): Promise<bigint> {
  const fromEnv = ctx.env[OBSERVER_SECRET_ENV];
  return parseSecret(fromEnv ?? (await ask(ctx, 'observer secret: ')));
}

function scryptOptions(ctx: CommandContext): { n?: number } {
  const n = ctx.o['scrypt-n'];
  if (n === undefined) return {};
  if (!/^[0-9]+$/.test(n)) throw new CliError('--scrypt-n must be a power of two');
  return { n: Number(n) };
}

async function keystoreCommand(ctx: CommandContext): Promise<number> {
  const sub = ctx.positionals[1];
  const epoch = parseEpoch(ctx.need('epoch'));
  if (sub === 'create') {
    const file = ctx.need('out');
    const secret = await observerSecret(ctx);
    await checkAgainstChain(ctx, epoch, secret);
    const ks = await encryptObserverKeyring(
      [{ epoch, secret }],
      await keystorePassword(ctx, true),
      scryptOptions(ctx),
    );
    writeKeystoreFile(file, ks);
    ctx.out(`wrote observer keyring ${file}: epoch ${epoch}, key ${pointHex(mulPoint(BASE8, secret))}`);
    return 0;
  }
  if (sub === 'add') {
    const file = ctx.need('keystore');
    const password = await keystorePassword(ctx);
    const entries = await decryptObserverKeyring(readObserverKeyringFile(file), password);
    if (entries.some((e) => e.epoch === epoch)) throw new CliError(`${file} already holds epoch ${epoch}`);
    const secret = await observerSecret(ctx);
    await checkAgainstChain(ctx, epoch, secret);
    const ks = await encryptObserverKeyring([...entries, { epoch, secret }], password, scryptOptions(ctx));
    writeKeystoreFile(file, ks, { overwrite: true });
    ctx.out(`added epoch ${epoch} to ${file} (epochs ${ks.epochs.map((e) => e.epoch).join(', ')})`);
    return 0;
  }
  throw new CliError(`regulator keystore needs "create" or "add"\n${ctx.usage}`);
}

/** Env var holding the password of the regulator admin's keystore (its EdDSA key, 32 bytes). */
export const ADMIN_KEYSTORE_ENV = 'TESSERA_REGULATOR_ADMIN_KEYSTORE';

/**
 * `regulator rotate --rpc URLS --keystore FILE --admin-keystore FILE`: new observer secret for the
 * next epoch, appended to the (encrypted) keyring first, then registered on chain by the admin.
 */
async function rotateCommand(ctx: CommandContext): Promise<number> {
  const file = ctx.need('keystore');
  const adminFile = ctx.need('admin-keystore');
  const password = await keystorePassword(ctx);
  const entries = await decryptObserverKeyring(readObserverKeyringFile(file), password);
  const adminKey = await decryptKeystore(
    readKeystoreFile(adminFile),
    keystorePasswordFromEnv(ctx.env, ADMIN_KEYSTORE_ENV),
  );
  const result = await rotateObserverKey(
    ctx.client(ctx.need('rpc')),
    Buffer.from(adminKey.slice(2), 'hex'),
    async (entry) => {
      // An entry for this epoch or later was kept by a rotation that failed to register: replace it.
      const kept = entries.filter((e) => e.epoch < entry.epoch);
      const ks = await encryptObserverKeyring([...kept, entry], password, scryptOptions(ctx));
      writeKeystoreFile(file, ks, { overwrite: true });
    },
  );
  ctx.out(
    `observer key epoch ${result.epoch} registered (tx ${result.txHash}), key ${pointHex(result.key)}; secret stored in ${file}`,
  );
  return 0;
}

async function regulator(ctx: CommandContext): Promise<Regulator> {
  const files = ctx.need('keystore').split(',');
  const client = ctx.client(ctx.need('rpc'));
  const password = await keystorePassword(ctx);
  return new Regulator(client, await ObserverKeyring.fromKeystoreFiles(files, password));
}

export async function regulatorCommand(ctx: CommandContext): Promise<number> {
  const { o, out, positionals } = ctx;
  const sub = positionals[0];
  const arg = (what: string) => {
    if (positionals.length !== 2) throw new CliError(`regulator ${sub} needs ${what}\n${ctx.usage}`);
    return positionals[1]!;
  };
  switch (sub) {
    case 'open': {
      const hash = arg('a transaction hash');
      if (!/^0x[0-9a-fA-F]{64}$/.test(hash))
        throw new CliError('the transaction hash must be 32 bytes of 0x-hex');
      const opened = await (await regulator(ctx)).openTransaction(hash);
      out(o.json ? ctx.json(toJsonValue(opened)) : formatOpened(opened).join('\n'));
      return 0;
    }
    case 'trace': {
      const noteIndex = ctx.index(arg('a note index'), 'the note index');
      const trace = await (await regulator(ctx)).traceNote(noteIndex);
      out(o.json ? ctx.json(toJsonValue(trace)) : formatTrace(trace).join('\n'));
      return 0;
    }
    case 'report': {
      if (positionals.length !== 1) throw new CliError(`unexpected argument ${positionals[1]}`);
      const format = ctx.need('format');
      if (format !== 'json' && format !== 'csv') throw new CliError('--format must be json or csv');
      const range = {
        fromHeight: parseHeight(ctx.need('from'), '--from'),
        toHeight: parseHeight(ctx.need('to'), '--to'),
      };
      const rep = await (await regulator(ctx)).report(range);
      const text = format === 'json' ? reportToJson(rep) : reportToCsv(rep);
      if (o.out) {
        try {
          // Opened transactions are sensitive: owner-only, and never over an existing file.
          writeFileSync(o.out, text, { flag: 'wx', mode: 0o600 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST')
            throw new CliError(`${o.out} exists (refusing to overwrite)`);
          throw err;
        }
        out(
          `wrote ${rep.transactions.length} privacy transactions of blocks ${rep.fromHeight}..${rep.toHeight} to ${o.out}`,
        );
      } else out(text.replace(/\r?\n$/, ''));
      return 0;
    }
    case 'keystore':
      return keystoreCommand(ctx);
    case 'rotate':
      return rotateCommand(ctx);
    default:
      throw new CliError(`regulator needs open, trace, report, keystore or rotate\n${ctx.usage}`);
  }
}

function accounts(list: OpenedTransaction['sender']['accounts']): string {
  return list.length
    ? list.map((a) => `account ${a.index} (${a.ethAddress}, asset ${a.assetId})`).join(', ')
    : 'no account';
}

export function formatOpened(t: OpenedTransaction): string[] {
  const lines = [
    `${t.type} ${t.txHash} (block ${t.blockHeight ?? '?'}, index ${t.txIndex ?? '?'}, observer epoch ${t.observerEpoch})`,
    `  amount:     ${t.amount} of asset ${t.assetId}`,
    `  sender:     ${t.sender.publicKey ? `key ${pointHex(t.sender.publicKey)}: ${accounts(t.sender.accounts)}` : 'unknown (memo unreadable)'}${t.sender.source === 'memo' ? ' [stated in the memo]' : ' [public]'}`,
  ];
  if (t.spentNote)
    lines.push(
      `  spent note: ${t.spentNote.index} (created by ${t.spentNote.origin}); ring of ${t.ring!.length}: ${t.ring!.join(' ')}; ring signature ${t.ringSignatureValid ? 'valid' : 'INVALID'}`,
    );
  const r = t.recipient;
  lines.push(
    r.kind === 'account'
      ? `  recipient:  account ${r.index}${r.account ? ` (${r.account.ethAddress})` : ''} [public]`
      : `  recipient:  ${r.address ?? 'unknown (memo unreadable)'} ${r.verified ? '[verified against the output]' : '[NOT verified]'}`,
  );
  if (t.createdNote !== null) lines.push(`  new note:   ${t.createdNote}`);
  lines.push(
    `  memo:       ${!t.memo.readable ? '(unreadable)' : t.memo.text !== null ? JSON.stringify(t.memo.text) : t.memo.hex ? `bytes ${t.memo.hex}` : '(none)'}`,
  );
  for (const w of t.warnings) lines.push(`  warning:    ${w}`);
  return lines;
}

export function formatTrace(t: NoteTrace): string[] {
  const lines = [
    `note ${t.noteIndex}: ${t.steps.length} step${t.steps.length === 1 ? '' : 's'} back to a shield`,
  ];
  for (const s of t.steps) {
    const tx = s.transaction;
    lines.push(
      tx.type === 'shield'
        ? `  note ${s.noteIndex} ← shield ${tx.txHash} from ${accounts(tx.sender.accounts)}`
        : `  note ${s.noteIndex} ← private transfer ${tx.txHash} spending note ${tx.spentNote!.index}, sender ${accounts(tx.sender.accounts)}${tx.recipient.kind === 'note' && tx.recipient.verified ? '' : ' [recipient not verified]'}`,
    );
  }
  lines.push(
    `origin: account ${t.origin.accountIndex} (${t.origin.ethAddress}) shielded in ${t.origin.txHash} (block ${t.origin.blockHeight ?? '?'})`,
  );
  return lines;
}
