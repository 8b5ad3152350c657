import { tesseraBridgeAbi } from '@tessera/contracts';
import type { PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchPoster } from '../src/batchPoster.ts';
import { RpcBlockSource } from '../src/blockSource.ts';
import { Claimer, claimExit, claimMyExits, findExits } from '../src/claimer.ts';
import { decodeRevert } from '../src/revert.ts';
import {
  ETH,
  type L1,
  TestChain,
  TinyProver,
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
  transferTx,
  withdrawTx,
} from './helpers.ts';

let l1: L1;
beforeAll(async () => {
  l1 = await startL1();
});
afterAll(async () => {
  await l1?.stop();
});

describe('claimer', () => {
  it('claims verified exits for users (operator pays the gas), skips claimed ones, and a second claim fails', async () => {
    const client = l1.client as unknown as PublicClient;
    const [alice, bob, carol] = [
      l2User(l1.users[0]!, 'alice'),
      l2User(l1.users[1]!, 'bob'),
      l2User(l1.users[2]!, 'carol'),
    ];
    const chain = new TestChain(l1);
    await chain.produce([await registerTx(alice), await registerTx(bob)]);
    await depositEth(l1, alice.wallet, 1, 5n * ETH);
    await depositEth(l1, carol.wallet, 7, ETH); // account 7 does not exist: refunded to carol
    await chain.produce([transferTx(alice, 1, 2, 2n * ETH, 0n)]);
    await chain.produce([withdrawTx(alice, 1, 2n * ETH, 1n), withdrawTx(bob, 2, ETH / 2n, 0n)]);

    const rpc = await serveChain(chain);
    const dir = tempDir('claimer');
    const op = await openOperator(l1, dir.path);
    try {
      const poster = await BatchPoster.create({
        client,
        rollup: l1.rollup,
        txs: op.txs,
        source: new RpcBlockSource([rpc.url]),
        replica: op.replica,
        proofs: new TinyProver(chain, l1.circuit),
        log: silent,
        metrics: op.metrics,
      });
      await tickUntil(
        () => poster.tick(),
        async () => (await rollupHeads(l1)).verified >= 3n && op.txs.tracked().length === 0,
      );
      expect(await rollupHeads(l1)).toEqual({ committed: 3n, verified: 3n });

      // Exits rebuilt from L1 calldata alone.
      const aliceExits = await findExits(client, {
        rollup: l1.rollup,
        bridge: l1.bridge,
        recipient: alice.address,
      });
      expect(aliceExits.map((e) => [e.height, e.j, e.exit.amount, e.verified, e.claimed])).toEqual([
        [3n, 0, 2n * ETH, true, false],
      ]);

      // Bob does not wait for the operator.
      const bobBefore = await l1.client.getBalance({ address: bob.address });
      const mine = await claimMyExits(bob.wallet, client, { rollup: l1.rollup, bridge: l1.bridge });
      expect(mine.claimed.map((e) => [e.height, e.j, e.exit.amount])).toEqual([[3n, 1, ETH / 2n]]);
      expect(await l1.client.getBalance({ address: bob.address })).toBeGreaterThan(
        bobBefore + ETH / 2n - ETH / 100n,
      );

      const claimer = await Claimer.open({
        client,
        rollup: l1.rollup,
        bridge: l1.bridge,
        txs: op.txs,
        store: op.store,
        log: silent,
        metrics: op.metrics,
      });
      const [aliceBefore, carolBefore] = await Promise.all(
        [alice.address, carol.address].map((address) => l1.client.getBalance({ address })),
      );
      const first = await claimer.tick();
      expect(first.sent.sort()).toEqual(['claim:2:0', 'claim:3:0']);
      await tickUntil(
        () => claimer.tick(),
        () => claimer.claimedThrough >= 3n,
      );
      expect(claimer.claimedThrough).toBe(3n);
      // Exactly the exit amounts: the users sent no transaction, the operator paid the gas.
      expect(await l1.client.getBalance({ address: alice.address })).toBe(aliceBefore! + 2n * ETH);
      expect(await l1.client.getBalance({ address: carol.address })).toBe(carolBefore! + ETH);
      expect((await op.metrics.exitsClaimed.get()).values[0]?.value).toBe(2);
      for (const [h, j] of [
        [2n, 0],
        [3n, 0],
        [3n, 1],
      ] as const) {
        expect(
          await l1.client.readContract({
            address: l1.bridge,
            abi: tesseraBridgeAbi,
            functionName: 'isClaimed',
            args: [h, j],
          }),
        ).toBe(true);
      }

      // A second claim of the same exit is refused by the bridge.
      let err: unknown;
      try {
        await claimExit(alice.wallet, client, l1.bridge, aliceExits[0]!);
      } catch (e) {
        err = e;
      }
      expect(decodeRevert(err, tesseraBridgeAbi)?.errorName).toBe('AlreadyClaimed');
      expect((await claimer.tick()).sent).toEqual([]);

      // The cursor survives a restart: nothing is re-examined or re-sent.
      const again = await Claimer.open({
        client,
        rollup: l1.rollup,
        bridge: l1.bridge,
        txs: op.txs,
        store: op.store,
        log: silent,
      });
      expect(again.claimedThrough).toBe(3n);
      expect((await again.tick()).sent).toEqual([]);
    } finally {
      await op.store.close();
      await rpc.close();
      dir.remove();
    }
  });
});
