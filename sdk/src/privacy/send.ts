import type { Hex, ObserverKey, Tx } from '@tessera/core';
import { RpcError } from '../rpcClient.ts';
import { fetchObserverKey } from './chain.ts';
import type { PrivacyContext } from './context.ts';
import { PrivacyWalletError } from './errors.ts';

export type SentPrivacyTx = {
  hash: Hex;
  blockHeight: bigint;
  observerEpoch: bigint;
  receipt: { noteIndex?: number; keyImageTag?: string } & Record<string, unknown>;
};

function isStaleObserver(err: unknown): boolean {
  return err instanceof RpcError && err.data?.code === 'STALE_OBSERVER_EPOCH';
}

/**
 * Builds the transaction for the observer key in force, sends it and waits for its commit. If
 * the key rotated in between (STALE_OBSERVER_EPOCH), the key is fetched again and the
 * transaction rebuilt and sent once more.
 */
export async function sendWithObserver(
  ctx: PrivacyContext,
  build: (observer: ObserverKey) => Tx | Promise<Tx>,
): Promise<SentPrivacyTx> {
  const attempt = async (): Promise<SentPrivacyTx> => {
    const observer = await fetchObserverKey(ctx.client);
    const result = await ctx.client.sendTransaction(await build(observer), { wait: true });
    if (result.status !== 'committed' || result.blockHeight === undefined)
      throw new PrivacyWalletError('NOT_COMMITTED', `transaction ${result.hash} was not committed`);
    return {
      hash: result.hash,
      blockHeight: BigInt(result.blockHeight),
      observerEpoch: observer.epoch,
      receipt: (result.receipt ?? {}) as SentPrivacyTx['receipt'],
    };
  };
  try {
    return await attempt();
  } catch (err) {
    if (!isStaleObserver(err)) throw err;
    return attempt();
  }
}
