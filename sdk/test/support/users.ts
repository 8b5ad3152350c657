import { createHash } from 'node:crypto';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Wallet } from '../../src/wallet.ts';
import type { FakeChain } from './fakeChain.ts';

export const ETH = 10n ** 18n;

/** A deterministic Ethereum private key and account for a name. */
export const ethKey = (name: string) => keccak256(toHex(`sdk-test-${name}`));
export function ethAccount(name: string) {
  return privateKeyToAccount(ethKey(name));
}

/** A wallet on the fake chain with one registered, funded account of `assetId`. */
export async function user(chain: FakeChain, name: string, assetId = 1, funds = 30n * ETH) {
  const wallet = await Wallet.fromEthereumAccount(ethAccount(name), chain.client());
  const account = await wallet.register(assetId);
  if (funds > 0n) chain.deposit(account, funds, assetId);
  return { name, wallet, account, privacy: wallet.privacy() };
}

/** Deterministic randomness (SHA-256 in counter mode) for reproducible statistics. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}
