import {
  type ChainParams,
  type DepositTx,
  type Hex,
  type RegisterTx,
  type Tx,
  TxType,
  chainParams,
  privateKeyToPublicKey,
  registrationMessage,
  signTransfer,
  signWithdraw,
} from '@tessera/core';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { FakeChain } from './fakeSequencer.ts';

/** Small tree, real chain id: every test chain is replayable and its roots checkable. */
export function testParams(): ChainParams {
  return chainParams({ tree: { arity: 4, depth: 4 } });
}

export const ETH = 10n ** 18n;
export const USDT = 10n ** 6n;

/** Deterministic users: an Ethereum key (address, binding signature) and an L2 EdDSA key. */
export function user(seed: number) {
  const ethKey = keccak256(toHex(`explorer-test-eth-${seed}`));
  const l2Key = new Uint8Array(Buffer.from(keccak256(toHex(`explorer-test-l2-${seed}`)).slice(2), 'hex'));
  const eth = privateKeyToAccount(ethKey);
  return { eth, address: eth.address.toLowerCase() as Hex, l2Key, publicKey: privateKeyToPublicKey(l2Key) };
}

export async function register(seed: number, assetId: number, chainId: bigint): Promise<RegisterTx> {
  const u = user(seed);
  const message = registrationMessage(u.address, u.publicKey, chainId) as string | Uint8Array;
  const binding = await u.eth.signMessage({
    message: typeof message === 'string' ? message : { raw: message },
  });
  return { type: TxType.REGISTER, ethAddress: u.address, publicKey: u.publicKey, assetId, binding };
}

export function deposit(
  chain: FakeChain,
  offset: number,
  depositorSeed: number,
  to: number,
  assetId: number,
  amount: bigint,
): DepositTx {
  return {
    type: TxType.DEPOSIT,
    queueIndex: chain.state.nextDepositIndex + BigInt(offset),
    depositor: user(depositorSeed).address,
    to,
    assetId,
    amount,
  };
}

/** Next nonce of an account, from the chain's own state. */
const nonce = (chain: FakeChain, index: number) => chain.state.account(index)!.nonce;

export function transfer(
  chain: FakeChain,
  seed: number,
  from: number,
  to: number,
  amount: bigint,
  nonceOffset = 0n,
): Tx {
  return signTransfer(user(seed).l2Key, chain.params.chainId, {
    from,
    to,
    amount,
    nonce: nonce(chain, from) + nonceOffset,
  });
}

export function withdraw(chain: FakeChain, seed: number, from: number, amount: bigint): Tx {
  return signWithdraw(user(seed).l2Key, chain.params.chainId, { from, amount, nonce: nonce(chain, from) });
}

/**
 * Accounts: #1 user1 ETH, #2 user2 ETH, #3 user3 ETH, #4 user4 USDT, #5 user1 USDT.
 * Block 1 registers them, block 2 deposits (one to a missing account: refunded), block 3 moves
 * money around and withdraws, then `extra` blocks of one small transfer each.
 */
export async function buildScenario(chain: FakeChain, extra = 0): Promise<void> {
  const id = chain.params.chainId;
  chain.produce([
    await register(1, 1, id),
    await register(2, 1, id),
    await register(3, 1, id),
    await register(4, 2, id),
    await register(1, 2, id),
  ]);
  chain.produce([
    deposit(chain, 0, 1, 1, 1, 5n * ETH),
    deposit(chain, 1, 2, 2, 1, 3n * ETH),
    deposit(chain, 2, 3, 3, 1, ETH),
    deposit(chain, 3, 4, 4, 2, 1000n * USDT),
    deposit(chain, 4, 1, 5, 2, 250n * USDT),
    deposit(chain, 5, 9, 99, 1, 7n * ETH),
  ]);
  chain.produce([
    transfer(chain, 1, 1, 2, ETH),
    transfer(chain, 2, 2, 3, ETH / 2n),
    withdraw(chain, 3, 3, ETH / 5n),
    transfer(chain, 4, 4, 5, 100n * USDT),
  ]);
  for (let i = 0; i < extra; i++) chain.produce([transfer(chain, 1, 1, 2, 10n ** 15n)]);
}

/** A private transfer in the shape the privacy issue will serve (the explorer must never show a sender). */
export function privateTransferJson(): Record<string, unknown> {
  return {
    type: TxType.PRIVATE_TRANSFER,
    ring: [1, 2, 3],
    keyImage: '0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef',
    from: 2,
    sender: '0x00000000000000000000000000000000000000ff',
    outputs: ['0xaaaa'],
  };
}
