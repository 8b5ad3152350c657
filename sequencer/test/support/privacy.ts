// Wallet side of the privacy tests: shields from devnet genesis accounts, rings drawn from the
// notes a node serves, spends with the owner's one-time secret (core's builders).
import {
  type Note,
  type NoteJson,
  type ObserverKeyTx,
  type PrivateTransferTx,
  type ShieldTx,
  type StealthKeys,
  type UnshieldTx,
  buildPrivateTransfer,
  buildShield,
  devnetPrivacySecrets,
  generateObserverKey,
  observerKeyFromSecret,
  oneTimeSecret,
  signObserverKey,
  stealthKeysFromSecrets,
} from '@tessera/core';
import type { DevAccount } from '../../src/node/genesis.ts';

export const ETH = 10n ** 18n;
export const secrets = devnetPrivacySecrets();
export const observer1 = observerKeyFromSecret(secrets.observerSecret, 1n);
export const alice = stealthKeysFromSecrets(11n, 12n);
export const bob = stealthKeysFromSecrets(21n, 22n);
/** Notes nobody in the tests spends (decoys). */
export const carol = stealthKeysFromSecrets(31n, 32n);

type NoteLike = Pick<Note, 'index' | 'oneTimeKey' | 'txPublicKey' | 'assetId' | 'amount'>;

export function shield(
  a: DevAccount,
  nonce: bigint,
  chainId: bigint,
  to: StealthKeys = carol,
  amount = ETH,
  observer = observer1.publicKey,
): ShieldTx {
  return buildShield({
    privateKey: a.l2Key,
    chainId,
    account: { index: a.index, assetId: 1, nonce, publicKey: a.account.publicKey },
    amount,
    recipient: to.address,
    observer,
  });
}

/** `size` ETH notes ending with the spent one, as strictly increasing indices. */
export function ringFor(notes: readonly NoteLike[], spent: number, size: number, amount = ETH) {
  const others = notes
    .filter((n) => n.assetId === 1 && n.amount === amount && n.index !== spent)
    .map((n) => n.index)
    .slice(0, size - 1);
  return [...others, spent]
    .sort((a, b) => a - b)
    .map((i) => ({ index: i, oneTimeKey: notes.find((n) => n.index === i)!.oneTimeKey }));
}

export function spend(
  notes: readonly NoteLike[],
  noteIndex: number,
  owner: StealthKeys,
  sender: DevAccount,
  chainId: bigint,
  opts: { ringSize?: number; observer?: typeof observer1.publicKey } = {},
) {
  const note = notes.find((n) => n.index === noteIndex)!;
  return {
    chainId,
    assetId: 1,
    amount: note.amount,
    ring: ringFor(notes, noteIndex, opts.ringSize ?? 8, note.amount),
    spentIndex: noteIndex,
    secretKey: oneTimeSecret(owner, {
      txPublicKey: note.txPublicKey,
      oneTimeKey: note.oneTimeKey,
      outputIndex: 0,
    }),
    sender: sender.account.publicKey,
    senderAddress: owner.address,
    observer: opts.observer ?? observer1.publicKey,
  };
}

export function privateTransfer(
  notes: readonly NoteLike[],
  noteIndex: number,
  owner: StealthKeys,
  sender: DevAccount,
  chainId: bigint,
  to: StealthKeys,
  opts: { ringSize?: number; observer?: typeof observer1.publicKey } = {},
): PrivateTransferTx {
  return buildPrivateTransfer({
    ...spend(notes, noteIndex, owner, sender, chainId, opts),
    recipient: to.address,
  });
}

export { buildUnshield } from '@tessera/core';
export type { UnshieldTx };

/** The regulator admin's rotation to a fresh observer key of `epoch`. */
export function rotation(
  epoch: bigint,
  chainId: bigint,
): { tx: ObserverKeyTx; pair: ReturnType<typeof generateObserverKey> } {
  const pair = generateObserverKey(epoch);
  return {
    tx: signObserverKey(secrets.regulatorAdminKey, chainId, { epoch, key: pair.publicKey.key }),
    pair,
  };
}

/** Notes as a node serves them over tessera_getNotes. */
export type NoteView = NoteJson;

export function noteFromView(v: NoteView): NoteLike {
  return {
    index: v.index,
    oneTimeKey: [BigInt(v.oneTimeKey[0]), BigInt(v.oneTimeKey[1])],
    txPublicKey: [BigInt(v.txPublicKey[0]), BigInt(v.txPublicKey[1])],
    assetId: v.assetId,
    amount: BigInt(v.amount),
  };
}
