import {
  type ChainParams,
  type DepositTx,
  L2State,
  type RegisterTx,
  type TransferTx,
  TxType,
  type WithdrawTx,
  applyTx,
  chainParams,
  privateKeyToPublicKey,
  registrationMessage,
  signTransfer,
  signWithdraw,
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
