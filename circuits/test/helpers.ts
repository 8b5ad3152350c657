import {
  type ChainParams,
  type DepositTx,
  L2State,
  type ObserverKeyPair,
  type ObserverKeyTx,
  type PrivateTransferTx,
  type RegisterTx,
  type ShieldTx,
  type StealthKeys,
  type TransferTx,
  TxType,
  type UnshieldTx,
  type WithdrawTx,
  applyTx,
  buildPrivateTransfer,
  buildShield,
  buildUnshield,
  chainParams,
  devnetPrivacySecrets,
  observerKeyFromSecret,
  oneTimeSecret,
  privateKeyToPublicKey,
  registrationMessage,
  signObserverKey,
  signTransfer,
  signWithdraw,
  stealthKeysFromSecrets,
} from '@tessera/core';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { BatchParams } from '../src/config.ts';

/** Deterministic identities: an Ethereum key and an L2 EdDSA key per seed. */
export function identity(seed: number) {
  const eth = privateKeyToAccount(keccak256(toHex(`circuit-eth-${seed}`)));
  const l2Key = new Uint8Array(Buffer.from(keccak256(toHex(`circuit-l2-${seed}`)).slice(2), 'hex'));
  return {
    eth,
    address: eth.address.toLowerCase() as `0x${string}`,
    l2Key,
    publicKey: privateKeyToPublicKey(l2Key),
  };
}

export function paramsFor(c: BatchParams): ChainParams {
  return chainParams({ chainId: c.chainId, tree: { arity: c.arity, depth: c.depth } });
}

export async function registerTx(seed: number, assetId: number, chainId: bigint): Promise<RegisterTx> {
  const id = identity(seed);
  const message = registrationMessage(id.eth.address, id.publicKey, chainId) as string | Uint8Array;
  const binding = await id.eth.signMessage({
    message: typeof message === 'string' ? message : { raw: message },
  });
  return { type: TxType.REGISTER, ethAddress: id.address, publicKey: id.publicKey, assetId, binding };
}

export function depositTx(
  state: L2State,
  to: number,
  amount: bigint,
  assetId = 1,
  seed = 99,
  offset = 0,
): DepositTx {
  return {
    type: TxType.DEPOSIT,
    queueIndex: state.nextDepositIndex + BigInt(offset),
    depositor: identity(seed).address,
    to,
    assetId,
    amount,
  };
}

export function transferTx(
  state: L2State,
  seed: number,
  from: number,
  to: number,
  amount: bigint,
  nonce?: bigint,
): TransferTx {
  return signTransfer(identity(seed).l2Key, state.chainId, {
    from,
    to,
    amount,
    nonce: nonce ?? state.account(from)!.nonce,
  });
}

export function withdrawTx(
  state: L2State,
  seed: number,
  from: number,
  amount: bigint,
  nonce?: bigint,
): WithdrawTx {
  return signWithdraw(identity(seed).l2Key, state.chainId, {
    from,
    amount,
    nonce: nonce ?? state.account(from)!.nonce,
  });
}

/** A state with accounts 1..count (seed = index) holding `balance` of asset 1 (and one of asset 2). */
export async function fundedState(c: BatchParams, count: number, balance: bigint): Promise<L2State> {
  const state = new L2State(paramsFor(c));
  for (let i = 1; i <= count; i++) {
    applyTx(state, await registerTx(i, i === count ? 2 : 1, c.chainId));
    applyTx(state, depositTx(state, i, balance, i === count ? 2 : 1));
  }
  state.stateRoot();
  return state;
}

import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WitnessCalculationError } from '../src/witnessCalculator.ts';

const circomRoots = [
  resolve(import.meta.dirname, '../circom'),
  resolve(import.meta.dirname, '../../node_modules/circomlib/circuits'),
];
const templateFiles = new Map<string, string>();

function indexTemplates(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) indexTemplates(p);
    else if (e.name.endsWith('.circom')) {
      for (const m of readFileSync(p, 'utf8').matchAll(/^\s*template\s+(\w+)\s*\(/gm)) {
        if (!templateFiles.has(m[1]!)) templateFiles.set(m[1]!, p);
      }
    }
  }
}

/** Source lines of the failing assertion's call chain (innermost first), e.g. for `toContain`. */
export function failingSource(err: unknown): string[] {
  if (!(err instanceof WitnessCalculationError)) throw err;
  if (templateFiles.size === 0) for (const r of circomRoots) indexTemplates(r);
  return err.trace.map(({ template, line }) => {
    const file = templateFiles.get(template);
    return file
      ? `${template}: ${readFileSync(file, 'utf8').split('\n')[line - 1]!.trim()}`
      : `${template}:${line}`;
  });
}

// ---- privacy transactions (devnet privacy parameters: regulator admin, observer epoch 1)

export const ETH = 10n ** 18n;
const privacySecrets = devnetPrivacySecrets();
/** Observer keys by epoch: the devnet's genesis key (1), then deterministic rotations. */
export function observerKey(epoch: bigint): ObserverKeyPair {
  return observerKeyFromSecret(epoch === 1n ? privacySecrets.observerSecret : 1000n + epoch, epoch);
}

/** Deterministic stealth wallets. */
export function wallet(seed: number): StealthKeys {
  return stealthKeysFromSecrets(BigInt(seed) * 2n + 101n, BigInt(seed) * 2n + 102n);
}

/** Account `from` (seed = index, asset 1) shields `amount` to `to`'s stealth address. */
export function shieldTx(
  state: L2State,
  from: number,
  to: StealthKeys,
  amount = ETH,
  nonce?: bigint,
): ShieldTx {
  const id = identity(from);
  const account = state.account(from)!;
  return buildShield({
    privateKey: id.l2Key,
    chainId: state.chainId,
    account: {
      index: from,
      assetId: account.assetId,
      nonce: nonce ?? account.nonce,
      publicKey: id.publicKey,
    },
    amount,
    recipient: to.address,
    observer: observerKey(state.currentObserverKey()!.epoch).publicKey,
  });
}

/** The ring spend of note `noteIndex` owned by `owner`: the note and up to `size − 1` decoys. */
function ringSpend(state: L2State, noteIndex: number, owner: StealthKeys, size: number) {
  const note = state.notes[noteIndex]!;
  const others = state.notes
    .filter((n) => n.assetId === note.assetId && n.amount === note.amount && n.index !== noteIndex)
    .map((n) => n.index)
    .slice(0, size - 1);
  const ring = [...others, noteIndex].sort((a, b) => a - b);
  return {
    chainId: state.chainId,
    assetId: note.assetId,
    amount: note.amount,
    ring: ring.map((i) => ({ index: i, oneTimeKey: state.notes[i]!.oneTimeKey })),
    spentIndex: noteIndex,
    secretKey: oneTimeSecret(owner, {
      txPublicKey: note.txPublicKey,
      oneTimeKey: note.oneTimeKey,
      outputIndex: 0,
    }),
    sender: identity(1).publicKey,
    senderAddress: owner.address,
    observer: observerKey(state.currentObserverKey()!.epoch).publicKey,
  };
}

export function privateTransferTx(
  state: L2State,
  noteIndex: number,
  owner: StealthKeys,
  to: StealthKeys,
  ringSize = 8,
): PrivateTransferTx {
  return buildPrivateTransfer({ ...ringSpend(state, noteIndex, owner, ringSize), recipient: to.address });
}

export function unshieldTx(
  state: L2State,
  noteIndex: number,
  owner: StealthKeys,
  to: number,
  ringSize = 8,
): UnshieldTx {
  return buildUnshield({ ...ringSpend(state, noteIndex, owner, ringSize), to });
}

/** The regulator admin registers the observer key of the next epoch. */
export function rotateObserverTx(state: L2State): ObserverKeyTx {
  const epoch = state.currentObserverKey()!.epoch + 1n;
  return signObserverKey(privacySecrets.regulatorAdminKey, state.chainId, {
    epoch,
    key: observerKey(epoch).publicKey.key,
  });
}

/** Index of the note whose one-time key belongs to `owner` (the latest one). */
export function noteOf(state: L2State, owner: StealthKeys): number {
  for (let i = state.notes.length - 1; i >= 0; i--) {
    const n = state.notes[i]!;
    try {
      oneTimeSecret(owner, { txPublicKey: n.txPublicKey, oneTimeKey: n.oneTimeKey, outputIndex: 0 });
      return i;
    } catch {}
  }
  throw new Error('no note of this wallet');
}

/**
 * A privacy-ready state: accounts 1..4 (1–3 hold ETH, 4 holds USDT) with `balance` each, and
 * `notes` 1-ETH notes shielded (outside any proven block) by accounts 1..3 in turn to wallets
 * 1..notes.
 */
export async function privacyState(c: BatchParams, notes: number, balance = 5n * ETH): Promise<L2State> {
  const state = await fundedState(c, 4, balance);
  for (let k = 1; k <= notes; k++) applyTx(state, shieldTx(state, 1 + ((k - 1) % 3), wallet(k)));
  state.stateRoot();
  return state;
}
