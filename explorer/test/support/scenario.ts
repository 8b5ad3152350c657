import {
  type ChainParams,
  type DepositTx,
  type Hex,
  type ObserverKeyTx,
  type PrivateTransferTx,
  type RegisterTx,
  type ShieldTx,
  type StealthKeys,
  type Tx,
  TxType,
  type UnshieldTx,
  buildPrivateTransfer,
  buildShield,
  buildUnshield,
  chainParams,
  devnetPrivacySecrets,
  generateObserverKey,
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

export const NOTE_VALUE = ETH / 10n;
export const alice = stealthKeysFromSecrets(11n, 12n);
export const bob = stealthKeysFromSecrets(21n, 22n);
const decoy = stealthKeysFromSecrets(31n, 32n);

export type PrivacyScenario = {
  shields: ShieldTx[];
  privateTransfer: PrivateTransferTx;
  rotation: ObserverKeyTx;
  unshield: UnshieldTx;
};

function shieldFrom(chain: FakeChain, seed: number, index: number, to: StealthKeys, nonceOffset: bigint) {
  const u = user(seed);
  return buildShield({
    privateKey: u.l2Key,
    chainId: chain.params.chainId,
    account: { index, assetId: 1, nonce: nonce(chain, index) + nonceOffset, publicKey: u.publicKey },
    amount: NOTE_VALUE,
    recipient: to.address,
    observer: observerKeyFromSecret(devnetPrivacySecrets().observerSecret, 1n).publicKey,
  });
}

/**
 * After `buildScenario`: seven 0.1 ETH notes shielded by accounts #1 (three, the first to Alice),
 * #2 and #3 (two each); Alice pays Bob in a ring of all seven notes and the regulator admin
 * rotates the observer key to epoch 2; Bob unshields to account #3 in a ring of all eight notes.
 */
export function privacyScenario(chain: FakeChain): PrivacyScenario {
  const shields = [
    shieldFrom(chain, 1, 1, alice, 0n),
    shieldFrom(chain, 1, 1, decoy, 1n),
    shieldFrom(chain, 1, 1, decoy, 2n),
    shieldFrom(chain, 2, 2, decoy, 0n),
    shieldFrom(chain, 2, 2, decoy, 1n),
    shieldFrom(chain, 3, 3, decoy, 0n),
    shieldFrom(chain, 3, 3, decoy, 1n),
  ];
  chain.produce(shields);
  const spend = (noteIndex: number, owner: StealthKeys, observer: ReturnType<typeof generateObserverKey>) => {
    const notes = chain.state.notes;
    const n = notes[noteIndex]!;
    return {
      chainId: chain.params.chainId,
      assetId: 1,
      amount: NOTE_VALUE,
      ring: notes.map((x) => ({ index: x.index, oneTimeKey: x.oneTimeKey })),
      spentIndex: noteIndex,
      secretKey: oneTimeSecret(owner, {
        txPublicKey: n.txPublicKey,
        oneTimeKey: n.oneTimeKey,
        outputIndex: 0,
      }),
      sender: user(1).publicKey,
      senderAddress: owner.address,
      observer: observer.publicKey,
    };
  };
  const epoch1 = observerKeyFromSecret(devnetPrivacySecrets().observerSecret, 1n);
  const privateTransfer = buildPrivateTransfer({ ...spend(0, alice, epoch1), recipient: bob.address });
  const next = generateObserverKey(2n);
  const rotation = signObserverKey(devnetPrivacySecrets().regulatorAdminKey, chain.params.chainId, {
    epoch: 2n,
    key: next.publicKey.key,
  });
  chain.produce([privateTransfer, rotation]);
  const unshield = buildUnshield({ ...spend(7, bob, next), to: 3 });
  chain.produce([unshield]);
  return { shields, privateTransfer, rotation, unshield };
}
