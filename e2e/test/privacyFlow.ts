/**
 * The accountable-privacy walk-through on a running devnet, used by the end-to-end test: shields,
 * a private transfer, a refused double spend, an unshield, the explorer showing no sender, the
 * regulator opening and tracing with the observer secret (and nothing without it), an observer
 * key rotation, and the batches that carry all of it verified on L1 with real proofs.
 */
import {
  ETH_ASSET_ID,
  buildPrivateTransfer,
  devnetPrivacySecrets,
  oneTimeSecret,
} from '../../core/src/index.ts';
import {
  ObserverKeyring,
  type OpenedTransaction,
  Regulator,
  type TesseraClient,
  type Wallet,
  rotateObserverKey,
} from '../../sdk/src/index.ts';

export const NOTE = 10n ** 17n; // 0.1 ETH, a devnet denomination

export type PrivacyFlowResult = {
  shieldHashes: string[];
  transfer: { hash: string; spentNote: number; ring: number[]; noteIndex: number; blockHeight: bigint };
  doubleSpendError: string;
  unshield: { hash: string; blockHeight: bigint; to: number };
  bobBalanceBefore: bigint;
  bobBalanceAfter: bigint;
  opened: OpenedTransaction;
  openedUnshield: OpenedTransaction;
  traceOrigin: number;
  traceSteps: number;
  withoutKeyError: string;
  rotatedEpoch: bigint;
  afterRotation: { hash: string; blockHeight: bigint; opened: OpenedTransaction; oldKeyError: string };
  lastHeight: bigint;
};

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  return '';
}

export async function runPrivacyFlow(o: {
  client: TesseraClient;
  alice: Wallet;
  bob: Wallet;
  aliceIndex: number;
  bobIndex: number;
}): Promise<PrivacyFlowResult> {
  const { client, alice, bob } = o;
  const alicePriv = alice.privacy();
  const bobPriv = bob.privacy();

  // 1. Three notes for Alice, one for Bob: a ring of four is possible.
  const shieldHashes: string[] = [];
  for (let i = 0; i < 3; i++) shieldHashes.push((await alicePriv.shield(o.aliceIndex, NOTE)).hash);
  shieldHashes.push((await bobPriv.shield(o.bobIndex, NOTE)).hash);

  // 2. Alice pays Bob 0.1 ETH privately.
  const pt = await alicePriv.privateTransfer(ETH_ASSET_ID, NOTE, bobPriv.address(), 'invoice 42');

  // 3. Alice tries to spend the same note again (the wallet would not; build it by hand).
  const spent = await client.call<{
    notes: { txPublicKey: [string, string]; oneTimeKey: [string, string] }[];
  }>('tessera_getNotes', [pt.spentNote, 1]);
  const n = spent.notes[0]!;
  const point = (p: [string, string]) => [BigInt(p[0]), BigInt(p[1])] as [bigint, bigint];
  const secretKey = oneTimeSecret(alicePriv.ctx.keys, {
    txPublicKey: point(n.txPublicKey),
    oneTimeKey: point(n.oneTimeKey),
    outputIndex: 0,
  });
  const ringNotes = await client.call<{ notes: { index: number; oneTimeKey: [string, string] }[] }>(
    'tessera_getNotes',
    [0, 100],
  );
  const observer = await client.call<{ epoch: string; key: [string, string] }>('tessera_getObserverKey');
  const again = buildPrivateTransfer({
    chainId: await client.chainId(),
    assetId: ETH_ASSET_ID,
    amount: NOTE,
    ring: ringNotes.notes
      .filter((m) => pt.ring.includes(m.index))
      .map((m) => ({ index: m.index, oneTimeKey: point(m.oneTimeKey) })),
    spentIndex: pt.spentNote,
    secretKey,
    sender: alicePriv.publicKey,
    senderAddress: alicePriv.stealthAddress(),
    recipient: alicePriv.stealthAddress(),
    observer: { epoch: BigInt(observer.epoch), key: point(observer.key) },
  });
  const doubleSpendError = await errorOf(client.sendTransaction(again, { wait: true }));

  // 4. Bob unshields one of his notes to his public account.
  const bobBalanceBefore = BigInt((await client.getAccount(o.bobIndex))!.balance);
  const un = await bobPriv.unshield(ETH_ASSET_ID, NOTE, o.bobIndex);
  const bobBalanceAfter = BigInt((await client.getAccount(o.bobIndex))!.balance);

  // 5. The regulator opens and traces with the epoch-1 observer secret; without it nothing opens.
  const secrets = devnetPrivacySecrets();
  const keyring = new ObserverKeyring([{ epoch: 1n, secret: secrets.observerSecret }]);
  const regulator = new Regulator(client, keyring);
  const opened = await regulator.openTransaction(pt.hash);
  const openedUnshield = await regulator.openTransaction(un.hash);
  const trace = await regulator.traceNote(pt.noteIndex!);
  const withoutKeyError = await errorOf(
    new Regulator(client, new ObserverKeyring()).openTransaction(pt.hash),
  );

  // 6. The regulator admin rotates the observer key; the next transfer uses epoch 2.
  const rotation = await rotateObserverKey(client, secrets.regulatorAdminKey, async (entry) => {
    keyring.add(entry.epoch, entry.secret);
  });
  const pt2 = await alicePriv.privateTransfer(ETH_ASSET_ID, NOTE, bobPriv.address(), 'after rotation');
  const openedAfter = await regulator.openTransaction(pt2.hash);
  const oldKeyError = await errorOf(
    new Regulator(
      client,
      new ObserverKeyring([{ epoch: 1n, secret: secrets.observerSecret }]),
    ).openTransaction(pt2.hash),
  );

  return {
    shieldHashes,
    transfer: {
      hash: pt.hash,
      spentNote: pt.spentNote,
      ring: pt.ring,
      noteIndex: pt.noteIndex!,
      blockHeight: pt.blockHeight,
    },
    doubleSpendError,
    unshield: { hash: un.hash, blockHeight: un.blockHeight, to: un.to },
    bobBalanceBefore,
    bobBalanceAfter,
    opened,
    openedUnshield,
    traceOrigin: trace.origin.accountIndex,
    traceSteps: trace.steps.length,
    withoutKeyError,
    rotatedEpoch: rotation.epoch,
    afterRotation: { hash: pt2.hash, blockHeight: pt2.blockHeight, opened: openedAfter, oldKeyError },
    lastHeight: pt2.blockHeight,
  };
}
