import { type Point, generateObserverKey, signObserverKey } from '@tessera/core';
import { fetchPrivacyParams } from '../privacy/chain.ts';
import type { TesseraClient } from '../rpcClient.ts';

export type RotationResult = { epoch: bigint; key: Point; secret: bigint; txHash: `0x${string}` };

/**
 * The regulator admin's rotation: a fresh observer secret for the next epoch, handed to `keep`
 * (which must store it durably and encrypted, e.g. append it to the keyring file) BEFORE the key
 * is registered — a registered key whose secret was lost would make that epoch's transactions
 * unopenable. Then the OBSERVER_KEY transaction, signed with the admin's EdDSA key, is sent and
 * awaited. Wallets must encrypt to the new key from the next transaction on.
 */
export async function rotateObserverKey(
  client: TesseraClient,
  adminKey: Uint8Array,
  keep: (entry: { epoch: bigint; secret: bigint }) => Promise<void>,
): Promise<RotationResult> {
  const params = await fetchPrivacyParams(client);
  const current = params.observerKeys.reduce((m, k) => (k.epoch > m ? k.epoch : m), 0n);
  const epoch = current + 1n;
  const pair = generateObserverKey(epoch);
  await keep({ epoch, secret: pair.secret });
  const chainId = await client.chainId();
  const tx = signObserverKey(adminKey, chainId, { epoch, key: pair.publicKey.key });
  const sent = await client.sendTransaction(tx, { wait: true });
  return { epoch, key: pair.publicKey.key, secret: pair.secret, txHash: sent.hash };
}
