// Privacy transactions through the batch poster: the replica re-executes shield, private transfer,
// unshield and observer-key blocks (keeping notes and key images across a restart), and L1
// receives their records and extras triples (ax 32 ‖ ay 32 ‖ third element as 20 bytes).
import { tesseraRollupAbi } from '@tessera/contracts';
import {
  type PrivacyReceipt,
  type Tx,
  TxType,
  buildPrivateTransfer,
  buildShield,
  buildUnshield,
  devnetPrivacySecrets,
  generateObserverKey,
  observerKeyFromSecret,
  oneTimeSecret,
  privateKeyToPublicKey,
  signObserverKey,
  stealthKeysFromSecrets,
} from '@tessera/core';
import { type Hex, type PublicClient, decodeFunctionData, hexToBigInt, hexToNumber, slice } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchPoster } from '../src/batchPoster.ts';
import { RpcBlockSource } from '../src/blockSource.ts';
import {
  ETH,
  type L1,
  L2_CHAIN_ID,
  TestChain,
  TinyProver,
  commitEvents,
  depositEth,
  l2User,
  openOperator,
  registerTx,
  rollupHeads,
  serveChain,
  silent,
  startL1,
  tempDir,
  tickUntil,
} from './helpers.ts';

let l1: L1;
beforeAll(async () => {
  l1 = await startL1();
});
afterAll(async () => {
  await l1?.stop();
});

const observer = observerKeyFromSecret(devnetPrivacySecrets().observerSecret, 1n);
const alice = stealthKeysFromSecrets(11n, 12n);
const bob = stealthKeysFromSecrets(21n, 22n);

/** The 14-byte records and 84-byte extras triples of one commitBatch call. */
async function calldataOf(txHash: Hex) {
  const tx = await l1.client.getTransaction({ hash: txHash });
  const { args } = decodeFunctionData({ abi: tesseraRollupAbi, data: tx.input });
  const [, , records, registrations] = args as unknown as [unknown, number, Hex, Hex];
  const recs = [];
  for (let i = 0; (i + 1) * 14 <= (records.length - 2) / 2; i++) {
    const r = slice(records, i * 14, (i + 1) * 14);
    recs.push({
      type: hexToNumber(slice(r, 0, 1)),
      from: hexToNumber(slice(r, 1, 5)),
      to: hexToNumber(slice(r, 5, 9)),
    });
  }
  const extras = [];
  expect((registrations.length - 2) % 168).toBe(0);
  for (let i = 0; i < (registrations.length - 2) / 168; i++) {
    const t = slice(registrations, i * 84, (i + 1) * 84);
    extras.push({
      ax: hexToBigInt(slice(t, 0, 32)),
      ay: hexToBigInt(slice(t, 32, 64)),
      third: hexToBigInt(slice(t, 64, 84)),
    });
  }
  return { recs, extras };
}

describe('batch poster with privacy transactions', () => {
  it('posts shield, private transfer, unshield and rotation blocks to L1 and replays them after a restart', async () => {
    const chain = new TestChain(l1);
    const rpc = await serveChain(chain);
    const dir = tempDir('poster-privacy');
    const prover = new TinyProver(chain, l1.circuit);
    const source = new RpcBlockSource([rpc.url], { timeoutMs: 2_000 });
    let op = await openOperator(l1, dir.path);
    const makePoster = () =>
      BatchPoster.create({
        client: l1.client as unknown as PublicClient,
        rollup: l1.rollup,
        txs: op.txs,
        source,
        replica: op.replica,
        proofs: prover,
        log: silent,
        metrics: op.metrics,
      });
    let poster = await makePoster();
    const postAll = async (height: bigint) => {
      await tickUntil(
        () => poster.tick(),
        async () => (await rollupHeads(l1)).verified >= height && op.txs.tracked().length === 0,
      );
      expect(await rollupHeads(l1)).toEqual({ committed: height, verified: height });
    };
    try {
      const [u1, u2] = [l2User(l1.users[0]!, 'p-alice'), l2User(l1.users[1]!, 'p-bob')];
      await chain.produce([await registerTx(u1), await registerTx(u2)]);
      await depositEth(l1, u1.wallet, 1, 5n * ETH);
      await chain.produce([]);
      const pk = privateKeyToPublicKey(u1.l2Key);
      const shields = [0n, 1n, 2n].map((nonce) =>
        buildShield({
          privateKey: u1.l2Key,
          chainId: L2_CHAIN_ID,
          account: { index: 1, assetId: 1, nonce, publicKey: pk },
          amount: ETH,
          recipient: alice.address,
          observer: observer.publicKey,
        }),
      );
      await chain.produce(shields, { withDeposits: false });
      await postAll(3n);

      // The operator restarts: the replica must come back with the notes to check the next ring.
      await op.store.close();
      op = await openOperator(l1, dir.path);
      poster = await makePoster();
      expect(op.replica.state.notes.map((n) => n.commitment)).toEqual(
        chain.state.notes.map((n) => n.commitment),
      );
      expect(op.replica.stateRoot).toBe(chain.state.stateRoot());

      const notes = chain.state.notes;
      const ring = notes.map((n) => ({ index: n.index, oneTimeKey: n.oneTimeKey }));
      const secretOf = (i: number, owner: typeof alice) =>
        oneTimeSecret(owner, {
          txPublicKey: notes[i]!.txPublicKey,
          oneTimeKey: notes[i]!.oneTimeKey,
          outputIndex: 0,
        });
      const pt = buildPrivateTransfer({
        chainId: L2_CHAIN_ID,
        assetId: 1,
        amount: ETH,
        ring,
        spentIndex: 1,
        secretKey: secretOf(1, alice),
        sender: pk,
        senderAddress: alice.address,
        observer: observer.publicKey,
        recipient: bob.address,
      });
      const next = generateObserverKey(2n);
      const rot = signObserverKey(devnetPrivacySecrets().regulatorAdminKey, L2_CHAIN_ID, {
        epoch: 2n,
        key: next.publicKey.key,
      });
      await chain.produce([pt, rot], { withDeposits: false });
      const un = buildUnshield({
        chainId: L2_CHAIN_ID,
        assetId: 1,
        amount: ETH,
        ring: chain.state.notes.map((n) => ({ index: n.index, oneTimeKey: n.oneTimeKey })),
        spentIndex: 3,
        secretKey: secretOf(3, bob),
        sender: pk,
        senderAddress: bob.address,
        observer: next.publicKey,
        to: 2,
      });
      await chain.produce([un], { withDeposits: false });
      await postAll(5n);
      expect(op.replica.stateRoot).toBe(chain.state.stateRoot());
      expect(op.replica.state.account(2)!.balance).toBe(ETH);
      expect(op.replica.state.account(1)!.balance).toBe(2n * ETH);

      // What L1 received, block by block, against the chain's own receipts.
      const events = await commitEvents(l1);
      expect(events.map((e) => e.args.height)).toEqual([1n, 2n, 3n, 4n, 5n]);
      const expectBlock = async (height: number, txs: Tx[]) => {
        const { recs, extras } = await calldataOf(events[height - 1]!.transactionHash!);
        const receipts = chain.executed[height - 1]!.receipts as PrivacyReceipt[];
        expect(recs.map((r) => r.type)).toEqual(txs.map((t) => t.type));
        return { recs, extras, receipts };
      };
      const b3 = await expectBlock(3, shields);
      expect(b3.recs.every((r) => r.from === 1 && r.to === 0)).toBe(true);
      expect(b3.extras).toEqual(
        b3.receipts.map((r) => {
          if (r.type !== TxType.SHIELD) throw new Error('shield receipt expected');
          return { ax: r.noteCommitment, ay: 0n, third: r.binding };
        }),
      );
      const b4 = await expectBlock(4, [pt, rot]);
      const [ptr] = b4.receipts;
      if (ptr?.type !== TxType.PRIVATE_TRANSFER) throw new Error('private transfer receipt expected');
      expect(b4.recs).toEqual([
        { type: TxType.PRIVATE_TRANSFER, from: 1, to: 0 },
        { type: TxType.OBSERVER_KEY, from: 2, to: 0 },
      ]);
      expect(b4.extras).toEqual([
        { ax: ptr.keyImageTag, ay: ptr.noteCommitment, third: ptr.binding },
        { ax: next.publicKey.key[0], ay: next.publicKey.key[1], third: 0n },
      ]);
      expect(ptr.binding < 1n << 160n).toBe(true);
      const b5 = await expectBlock(5, [un]);
      const [unr] = b5.receipts;
      if (unr?.type !== TxType.UNSHIELD) throw new Error('unshield receipt expected');
      expect(b5.recs).toEqual([{ type: TxType.UNSHIELD, from: 1, to: 2 }]);
      expect(b5.extras).toEqual([{ ax: unr.keyImageTag, ay: 0n, third: unr.binding }]);
      // Register extras keep their place before any privacy triple of their block.
      const b1 = await calldataOf(events[0]!.transactionHash!);
      expect(b1.extras.map((e) => e.third)).toEqual([BigInt(u1.address), BigInt(u2.address)]);

      // And once more across a restart: notes, key images and the rotated observer key come back.
      await op.store.close();
      op = await openOperator(l1, dir.path);
      expect(op.replica.state.keyImages.size).toBe(2);
      expect(op.replica.state.currentObserverKey()).toEqual({ epoch: 2n, key: next.publicKey.key });
      expect(op.replica.state.stateRoot()).toBe(chain.state.stateRoot());
    } finally {
      await op.store.close();
      await rpc.close();
      dir.remove();
    }
  });
});
