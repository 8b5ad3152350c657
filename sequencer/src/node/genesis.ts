import { keccak_256 } from '@noble/hashes/sha3';
import { type Account, ETH_ASSET_ID, type L2State, privateKeyToPublicKey } from '@tessera/core';
import { addressOfPrivateKey } from '../consensus/crypto.ts';

export const DEV_GENESIS_BALANCE = 10n ** 24n;

export interface DevAccount {
  index: number;
  l2Key: Uint8Array;
  ethKey: Uint8Array;
  account: Account;
}

function derive(seed: string, label: string, i: number): Uint8Array {
  return keccak_256(new TextEncoder().encode(`${seed}/${label}/${i}`));
}

/**
 * Devnet genesis: `count` funded ETH accounts (indexes 1..count) whose L2 and Ethereum keys are
 * keccak256("<seed>/account/<i>") and keccak256("<seed>/eth/<i>") — public knowledge, for load
 * generation and tests only. Every node derives the identical state from the same seed.
 */
export function devAccounts(seed: string, count: number): DevAccount[] {
  const out: DevAccount[] = [];
  for (let i = 1; i <= count; i++) {
    const l2Key = derive(seed, 'account', i);
    const ethKey = derive(seed, 'eth', i);
    out.push({
      index: i,
      l2Key,
      ethKey,
      account: {
        index: i,
        publicKey: privateKeyToPublicKey(l2Key),
        ethAddress: addressOfPrivateKey(ethKey),
        assetId: ETH_ASSET_ID,
        nonce: 0n,
        accountType: 0,
        kycLevel: 0,
        flags: 0,
        balance: DEV_GENESIS_BALANCE,
      },
    });
  }
  return out;
}

export function applyGenesis(state: L2State, accounts: Account[]): void {
  for (const a of accounts) state.putAccount(a);
  state.nextIndex = accounts.length + 1;
}
