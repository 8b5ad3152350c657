import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  type ChainParams,
  L2State,
  type RegisterTx,
  TxType,
  chainParams,
  privateKeyToPublicKey,
  registrationMessage,
} from '../src/index.ts';

/** Deterministic test identities: an Ethereum key and an L2 key per seed. */
export function identity(seed: number) {
  const ethKey = keccak256(toHex(`eth-${seed}`));
  const l2Key = new Uint8Array(Buffer.from(keccak256(toHex(`l2-${seed}`)).slice(2), 'hex'));
  const eth = privateKeyToAccount(ethKey);
  return { eth, ethKey, l2Key, publicKey: privateKeyToPublicKey(l2Key) };
}

export async function registerTx(seed: number, assetId: number, chainId: bigint): Promise<RegisterTx> {
  const id = identity(seed);
  const message = registrationMessage(id.eth.address, id.publicKey, chainId) as string | Uint8Array;
  const binding = await id.eth.signMessage({
    message: typeof message === 'string' ? message : { raw: message },
  });
  return {
    type: TxType.REGISTER,
    ethAddress: id.eth.address.toLowerCase() as `0x${string}`,
    publicKey: id.publicKey,
    assetId,
    binding,
  };
}

export function smallParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return chainParams({ tree: { arity: 4, depth: 4 }, ...overrides });
}

/** A state with `count` registered ETH accounts (indexes 1..count) funded by deposits. */
export async function fundedState(count: number, balance: bigint, params = smallParams()) {
  const { applyTx } = await import('../src/index.ts');
  const state = new L2State(params);
  for (let i = 1; i <= count; i++) {
    applyTx(state, await registerTx(i, 1, params.chainId));
    applyTx(state, {
      type: TxType.DEPOSIT,
      queueIndex: state.nextDepositIndex,
      depositor: identity(i).eth.address.toLowerCase() as `0x${string}`,
      to: i,
      assetId: 1,
      amount: balance,
    });
  }
  return state;
}
