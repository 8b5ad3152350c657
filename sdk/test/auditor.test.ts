import { tesseraBridgeAbi, tesseraRollupAbi } from '@tessera/contracts';
import { type PublicClient, toHex } from 'viem';
// The auditor against a real L1: the rollup and bridge on anvil, batches posted by the real batch
// poster from blocks executed with core, proofs from a real Groth16 verifier. Then a quorum that
// signs blocks which are not what their transactions produce, committed and "proven" on L1.
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchPoster } from '../../bridge/src/batchPoster.ts';
import { RpcBlockSource } from '../../bridge/src/blockSource.ts';
import {
  ETH,
  type L1,
  MNEMONIC,
  TestChain,
  TinyProver,
  commitDirect,
  depositEth,
  l2User,
  openOperator,
  registerTx,
  rollupHeads,
  serveChain,
  silent,
  startL1,
  tempDir,
  transferTx,
  verifyDirect,
  withdrawTx,
} from '../../bridge/test/helpers.ts';
import { audit, formatReport } from '../src/auditor/audit.ts';
import { runCli } from '../src/cli.ts';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  } finally {
    process.env = saved;
  }
}

let l1: L1;
let chain: TestChain;
const alice = () => l2User(l1.users[0]!, 'alice');
const bob = () => l2User(l1.users[1]!, 'bob');

beforeAll(async () => {
  l1 = await startL1();
  chain = new TestChain(l1);
  await chain.produce([await registerTx(alice()), await registerTx(bob())]);
  await depositEth(l1, alice().wallet, 1, 5n * ETH);
  await depositEth(l1, l1.users[2]!, 5, ETH); // no account 5: refund exit
  await chain.produce([transferTx(alice(), 1, 2, 2n * ETH, 0n)]);
  await chain.produce([withdrawTx(bob(), 2, ETH, 0n), transferTx(alice(), 1, 2, ETH / 2n, 1n)]);

  const rpc = await serveChain(chain);
  const dir = tempDir('auditor');
  const op = await openOperator(l1, dir.path);
  try {
    const poster = await BatchPoster.create({
      client: l1.client as unknown as PublicClient,
      rollup: l1.rollup,
      txs: op.txs,
      source: new RpcBlockSource([rpc.url]),
      replica: op.replica,
      proofs: new TinyProver(chain, l1.circuit),
      log: silent,
    });
    for (let i = 0; i < 12 && ((await rollupHeads(l1)).verified < 3n || op.txs.tracked().length); i++)
      await poster.tick();
  } finally {
    await op.store.close();
    await rpc.close();
    dir.remove();
  }
});
afterAll(async () => {
  await l1?.stop();
});

const run = () =>
  audit({ client: l1.client as unknown as PublicClient, rollup: l1.rollup, fromBlock: l1.deployedAtBlock });

describe('auditor check', () => {
  it('CLI deposits from L1 and claims exits it can prove from L1 data alone', async () => {
    const snapshot = await l1.test.snapshot();
    try {
      const carol = mnemonicToAccount(MNEMONIC, { addressIndex: 3 }); // l1.users[2]: refunded in block 2
      const env = { TESSERA_PRIVATE_KEY: toHex(carol.getHdKey().privateKey!) };
      const before = await l1.client.getBalance({ address: carol.address });
      const claim = await cli(['claim', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup], env);
      expect(claim).toMatchObject({ code: 0 });
      expect(claim.out).toContain(`claimed exit 2/0: ${ETH} of asset 1`);
      expect(await l1.client.getBalance({ address: carol.address })).toBeGreaterThan(
        before + ETH - ETH / 100n,
      );
      expect((await cli(['claim', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup], env)).out).toBe(
        'nothing to claim',
      );

      const deposit = await cli(
        ['deposit', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup, '--to', '1', '--amount', '0.25eth'],
        env,
      );
      expect(deposit.code).toBe(0);
      const queued = await l1.client.readContract({
        address: l1.bridge,
        abi: tesseraBridgeAbi,
        functionName: 'queuedDeposit',
        args: [2n],
      });
      expect(queued.depositor.toLowerCase()).toBe(carol.address.toLowerCase());
      expect(queued.element & ((1n << 128n) - 1n)).toBe(ETH / 4n);
      await expect(
        cli(
          ['deposit', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup, '--to', '1', '--amount', 'lots'],
          env,
        ),
      ).rejects.toThrow(/must be an integer/);
    } finally {
      await l1.test.revert({ id: snapshot });
    }
  });

  it('passes on honest data: every state root, certificate and proof recomputed from L1 alone', async () => {
    expect(await rollupHeads(l1)).toEqual({ committed: 3n, verified: 3n });
    const report = await run();
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      committedHeight: 3n,
      verifiedHeight: 3n,
      recomputed: 3,
      certificatesChecked: 3,
      proofsChecked: 3,
    });
    expect(report.divergedAt).toBeUndefined();
    expect(formatReport(report)).toContain('AUDIT PASSED');

    const viaCli = await cli(['audit', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.out).toContain('recomputed 3 batches, checked 3 certificates and 3 proofs');
    expect(viaCli.out).toContain('AUDIT PASSED');
  });

  it('reports a signed, committed and verified block whose state root is not what its records produce', async () => {
    const snapshot = await l1.test.snapshot();
    try {
      // Alice "sends" 1 ETH but the quorum publishes a state where something else happened.
      const forged = await chain.forge([transferTx(alice(), 1, 2, ETH, 2n)], { stateRootDelta: 1n });
      await commitDirect(l1, l1.admin, forged);
      await verifyDirect(l1, l1.admin, 4n);
      expect(await rollupHeads(l1)).toEqual({ committed: 4n, verified: 4n });

      const report = await run();
      expect(report.ok).toBe(false);
      expect(report.divergedAt).toBe(4n);
      expect(report.recomputed).toBe(3);
      const at4 = report.findings.filter((f) => f.height === 4n).map((f) => f.check);
      expect(at4).toEqual(expect.arrayContaining(['stateRoot', 'blockHash', 'publicInput']));
      // The certificate itself is valid: the auditor catches what signatures cannot.
      expect(at4).not.toContain('certificate');
      expect(report.findings.every((f) => f.height === 4n)).toBe(true);
      expect(formatReport(report)).toMatch(/MISMATCH height 4 \[stateRoot\]/);
      const viaCli = await cli(['audit', '--l1', l1.anvil.rpcUrl, '--rollup', l1.rollup, '--json']);
      expect(viaCli.code).toBe(1);
      expect(JSON.parse(viaCli.out)).toMatchObject({ ok: false, divergedAt: '4' });
    } finally {
      await l1.test.revert({ id: snapshot });
    }
  });

  it('reports exits redirected to another recipient even when the state root is honest', async () => {
    const snapshot = await l1.test.snapshot();
    try {
      const thief = mnemonicToAccount(MNEMONIC, { addressIndex: 9 }).address;
      const forged = await chain.forge([withdrawTx(alice(), 1, ETH, 2n)], { redirectExitsTo: thief });
      const p = await commitDirect(l1, l1.admin, forged);
      expect(p.exits.toLowerCase()).toContain(thief.slice(2).toLowerCase());

      const report = await run();
      expect(report.ok).toBe(false);
      const at4 = report.findings.filter((f) => f.height === 4n).map((f) => f.check);
      expect(at4).toEqual(expect.arrayContaining(['exits', 'exitRoot', 'blockHash', 'publicInput']));
      expect(at4).not.toContain('stateRoot');
      expect(report.divergedAt).toBeUndefined();

      // Governance drops the unverified batch and the honest block takes its place: the audit
      // follows the canonical chain (BatchesReverted) and passes again.
      const drop = await l1.admin.writeContract({
        address: l1.rollup,
        abi: tesseraRollupAbi,
        functionName: 'revertBatches',
        args: [3n],
      });
      await l1.client.waitForTransactionReceipt({ hash: drop });
      const honest = await chain.produce([withdrawTx(alice(), 1, ETH, 2n)]);
      await commitDirect(l1, l1.admin, {
        block: honest,
        receipts: chain.executed[3]!.receipts,
        commitment: chain.executed[3]!.commitment,
      });
      await verifyDirect(l1, l1.admin, 4n);
      const after = await run();
      expect(after.findings).toEqual([]);
      expect(after).toMatchObject({
        ok: true,
        committedHeight: 4n,
        verifiedHeight: 4n,
        recomputed: 4,
        revertedBatches: 1,
        proofsChecked: 4,
      });
    } finally {
      await l1.test.revert({ id: snapshot });
    }
  });
});
