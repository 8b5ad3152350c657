import { encodeExits, encodeRegistrations, exitTree, verifierAbi } from '@tessera/contracts';
// The auditor check: from an L1 endpoint and the rollup address alone, re-derive every committed
// batch, recompute the L2 state with core, and compare everything L1 holds — state roots, data
// commitments, block hashes, public inputs, exit roots, certificates, verified proofs — with the
// recomputation. Signatures of transfers and withdrawals are not needed (and not published): the
// state transition only needs amounts, indices and the current nonces.
import {
  type Account,
  type AssetInfo,
  type ChainParams,
  type Hex as CoreHex,
  DEVNET_ASSETS,
  type DepositTx,
  L2State,
  type PrivacyParams,
  ProtocolError,
  type Receipt,
  type RegisterTx,
  type Tx,
  TxType,
  applyTx,
  batchData,
  batchPublicInput,
  blockHash,
  commitBatch,
  decodeFloat40,
  devnetPrivacy,
  isInPrimeSubgroup,
  isOnCurve,
  replayPublicRecord,
} from '@tessera/core';
import { type Address, type Hex, type PublicClient, bytesToHex, concatHex } from 'viem';
import { checkCertificate, splitSignatures } from './certificate.ts';
import {
  type CommitCall,
  type CommittedBatch,
  type LogRange,
  type QueuedDeposit,
  addressFromUint,
  decodeBatchBytes,
  findDeploymentBlock,
  readCommitCall,
  readCommittedBatches,
  readDeposits,
  readRollupInfo,
  readSequencerSets,
  readVerifiedBatches,
  readVerifyCall,
  sequencerSetAt,
} from './l1Reader.ts';

export type AuditCheck =
  | 'genesis'
  | 'calldata'
  | 'linkage'
  | 'deposits'
  | 'records'
  | 'stateTransition'
  | 'stateRoot'
  | 'dataCommitment'
  | 'dataHash'
  | 'exits'
  | 'exitRoot'
  | 'blockHash'
  | 'publicInput'
  | 'certificate'
  | 'verifiedRoot'
  | 'proof';

export type Finding = { height: bigint; check: AuditCheck; message: string };

export type AuditReport = {
  ok: boolean;
  rollup: Address;
  l2ChainId: bigint;
  committedHeight: bigint;
  verifiedHeight: bigint;
  /** Batches whose state was recomputed and matched (stops at the first state divergence). */
  recomputed: number;
  certificatesChecked: number;
  proofsChecked: number;
  revertedBatches: number;
  /** First height whose recomputed state differs from L1 (later batches build on a state nobody can check). */
  divergedAt?: bigint;
  findings: Finding[];
};

export type AuditOptions = {
  client: PublicClient;
  rollup: Address;
  /** Listed assets at genesis (they fix the assets root); default core's DEVNET_ASSETS. */
  assets?: AssetInfo[];
  /** Privacy parameters (the genesis observer key fixes the first epoch); default the devnet's. */
  privacy?: PrivacyParams;
  /** Accounts present at genesis (devnet pre-funding); their root must be the rollup's genesis root. */
  genesis?: readonly Account[];
  /** First L1 block to scan; default (and at most) the rollup's deployment block, found on chain. */
  fromBlock?: bigint;
  maxRange?: bigint;
  /** Check each verified batch's proof against the recomputed public input with the verifier (default true). */
  checkProofs?: boolean;
  onBatch?: (height: bigint, findings: Finding[]) => void;
};

const NO_SIGNATURE = { R8: [0n, 1n] as const, S: 0n } as unknown as Extract<Tx, { type: 2 }>['signature'];
const hexEq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export async function audit(o: AuditOptions): Promise<AuditReport> {
  const { client, rollup } = o;
  // The sequencer set and the genesis are set when the rollup proxy is deployed, which may be before
  // the block an operator calls "the deployment" (the last deployment transaction).
  const deployedAt = await findDeploymentBlock(client, rollup);
  const fromBlock = o.fromBlock !== undefined && o.fromBlock < deployedAt ? o.fromBlock : deployedAt;
  const range: LogRange = { fromBlock, maxRange: o.maxRange };
  const info = await readRollupInfo(client, rollup);
  const params: ChainParams = {
    chainId: info.l2ChainId,
    tree: { arity: info.arity as ChainParams['tree']['arity'], depth: info.depth },
    assets: o.assets ?? DEVNET_ASSETS,
    privacy: o.privacy ?? devnetPrivacy(),
  };
  const [{ batches, reverted }, verified, sets, deposits] = await Promise.all([
    readCommittedBatches(client, rollup, range),
    readVerifiedBatches(client, rollup, range),
    readSequencerSets(client, rollup, range),
    readDeposits(client, info.bridge, range),
  ]);
  const findings: Finding[] = [];
  const report: AuditReport = {
    ok: false,
    rollup,
    l2ChainId: info.l2ChainId,
    committedHeight: info.committedHeight,
    verifiedHeight: info.verifiedHeight,
    recomputed: 0,
    certificatesChecked: 0,
    proofsChecked: 0,
    revertedBatches: reverted.length,
    findings,
  };

  const state = new L2State(params);
  for (const a of o.genesis ?? []) state.putAccount(a);
  state.nextIndex = (o.genesis ?? []).reduce((m, a) => Math.max(m, a.index + 1), 1);
  const genesisRoot = state.stateRoot();
  if (genesisRoot !== info.genesis.stateRoot) {
    findings.push({
      height: 0n,
      check: 'genesis',
      message: `genesis state root on L1 is ${info.genesis.stateRoot}, recomputed ${genesisRoot}`,
    });
    report.divergedAt = 0n;
  }
  if (BigInt(batches.length) !== info.committedHeight || batches.some((b, i) => b.height !== BigInt(i + 1))) {
    findings.push({
      height: 0n,
      check: 'calldata',
      message: `commit events cover ${batches.length} batches, the committed head is ${info.committedHeight}`,
    });
  }

  // What L1 holds, chained: previous block hash / state root / deposit end.
  let prev = {
    blockHash: info.genesis.blockHash,
    stateRoot: info.genesis.stateRoot,
    depositEnd: 0n,
    timestamp: 0n,
  };
  const recomputedInputs = new Map<bigint, bigint>();
  for (const b of batches) {
    const f: Finding[] = [];
    const add = (check: AuditCheck, message: string) => f.push({ height: b.height, check, message });
    let call: CommitCall | undefined;
    try {
      call = await readCommitCall(client, rollup, b.at.txHash, b.height);
    } catch (err) {
      add('calldata', (err as Error).message);
    }
    if (call) {
      const h = call.header;
      if (!hexEq(h.parentHash, prev.blockHash))
        add('linkage', `parent hash ${h.parentHash} is not block ${b.height - 1n} (${prev.blockHash})`);
      if (h.prevStateRoot !== prev.stateRoot)
        add(
          'linkage',
          `previous state root ${h.prevStateRoot} is not block ${b.height - 1n}'s (${prev.stateRoot})`,
        );
      if (h.depositStart !== prev.depositEnd)
        add('linkage', `deposit start ${h.depositStart} is not the previous deposit end ${prev.depositEnd}`);
      if (h.stateRoot !== b.stateRoot)
        add('calldata', `event state root ${b.stateRoot} differs from calldata ${h.stateRoot}`);

      // Certificate: 3 distinct members of the set in force when the batch was committed.
      const set = sequencerSetAt(sets, b.at);
      if (!set) add('certificate', 'no sequencer set was registered before this commit');
      else {
        const cert = await checkCertificate(
          info.l2ChainId,
          b.height,
          call.certificate.round,
          b.blockHash,
          splitSignatures(call.certificate.signatures),
          set.members,
        );
        report.certificatesChecked++;
        if (!cert.ok)
          add(
            'certificate',
            `certificate (epoch ${set.epoch}) has ${cert.signers.length} valid distinct signers; ${cert.problems.join('; ') || 'below quorum'}`,
          );
      }

      if (report.divergedAt === undefined) {
        const ok = recompute(state, params, info.slots, b, call, deposits, add);
        if (ok) {
          report.recomputed++;
          recomputedInputs.set(b.height, ok.publicInput);
        } else {
          report.divergedAt = b.height;
        }
      }
      prev = {
        blockHash: b.blockHash,
        stateRoot: h.stateRoot,
        depositEnd: h.depositStart + BigInt(call.depositCount),
        timestamp: h.timestamp,
      };
    } else {
      report.divergedAt ??= b.height;
      prev = {
        blockHash: b.blockHash,
        stateRoot: b.stateRoot,
        depositEnd: b.depositStart + BigInt(b.depositCount),
        timestamp: prev.timestamp,
      };
    }
    findings.push(...f);
    o.onBatch?.(b.height, f);
  }

  // Verified batches: the event's root is the recomputed one, and the verifier accepts the proof
  // for the public input recomputed from L1 data (not the one the rollup stored).
  for (const v of [...verified.values()].sort((a, b) => (a.height < b.height ? -1 : 1))) {
    if (v.height > info.verifiedHeight) continue;
    const b = batches.find((x) => x.height === v.height);
    if (b && v.stateRoot !== b.stateRoot)
      findings.push({
        height: v.height,
        check: 'verifiedRoot',
        message: `verified root ${v.stateRoot} differs from the committed ${b.stateRoot}`,
      });
    const expected = recomputedInputs.get(v.height);
    if (o.checkProofs === false || expected === undefined) continue;
    try {
      const proof = await readVerifyCall(client, rollup, v.at.txHash, v.height);
      const accepted = await client.readContract({
        address: info.verifier,
        abi: verifierAbi,
        functionName: 'verifyProof',
        args: [proof.a, proof.b, proof.c, [expected]],
      });
      report.proofsChecked++;
      if (!accepted)
        findings.push({
          height: v.height,
          check: 'proof',
          message: 'the verifier rejects the posted proof for the recomputed public input',
        });
    } catch (err) {
      findings.push({
        height: v.height,
        check: 'proof',
        message: `could not check the proof: ${(err as Error).message}`,
      });
    }
  }
  report.ok = findings.length === 0;
  return report;
}

/**
 * Rebuilds the block's transactions from the queue and the calldata, applies them to `state`, and
 * compares every derived value with L1. Returns the recomputed public input, or undefined (state
 * rolled back) on a mismatch that makes later state unknowable.
 */
function recompute(
  state: L2State,
  params: ChainParams,
  slots: number,
  b: CommittedBatch,
  call: CommitCall,
  queue: Map<bigint, QueuedDeposit>,
  add: (check: AuditCheck, message: string) => void,
): { publicInput: bigint } | undefined {
  const h = call.header;
  let data: ReturnType<typeof decodeBatchBytes>;
  try {
    data = decodeBatchBytes(call);
  } catch (err) {
    add('calldata', (err as Error).message);
    return undefined;
  }
  const txs: Tx[] = [];
  for (let i = 0n; i < BigInt(call.depositCount); i++) {
    const d = queue.get(h.depositStart + i);
    if (!d) {
      add('deposits', `deposit ${h.depositStart + i} is not in the bridge's queue events`);
      return undefined;
    }
    txs.push({
      type: TxType.DEPOSIT,
      queueIndex: d.queueIndex,
      depositor: d.depositor as CoreHex,
      to: d.toIndex,
      assetId: d.assetId,
      amount: d.amount,
    });
  }
  const prevRoot = state.stateRoot();
  if (prevRoot !== h.prevStateRoot) {
    add('stateRoot', `recomputed state before the block is ${prevRoot}, L1 says ${h.prevStateRoot}`);
    return undefined;
  }
  state.checkpoint();
  const receipts: Receipt[] = [];
  let regCursor = 0;
  try {
    for (const tx of txs) receipts.push(applyTx(state, tx));
    for (const [i, r] of data.records.entries()) {
      const type = Number(r >> 104n);
      const from = Number((r >> 72n) & 0xffffffffn);
      const to = Number((r >> 40n) & 0xffffffffn);
      const amount = decodeFloat40(r & 0xffffffffffn);
      if (type === TxType.REGISTER) {
        const reg = data.registrations[regCursor++];
        if (!reg)
          throw new ProtocolError(
            'BLOCK_INVALID',
            `record ${i} registers an account but there is no registration ${regCursor - 1}`,
          );
        const tx: RegisterTx = {
          type: TxType.REGISTER,
          ethAddress: reg.ethAddress.toLowerCase() as CoreHex,
          publicKey: [reg.ax, reg.ay],
          assetId: to,
          binding: '0x',
        };
        receipts.push(applyRegistration(state, tx, from));
        txs.push(tx);
      } else if (
        type === TxType.SHIELD ||
        type === TxType.PRIVATE_TRANSFER ||
        type === TxType.UNSHIELD ||
        type === TxType.OBSERVER_KEY
      ) {
        // Privacy records carry an extras triple like a registration (docs/PROTOCOL.md "Privacy").
        const extras = data.registrations[regCursor++];
        if (!extras)
          throw new ProtocolError('BLOCK_INVALID', `record ${i} (type ${type}) has no extras triple`);
        const replayed = replayPublicRecord(
          state,
          { type, from, to, amount },
          { ax: extras.ax, ay: extras.ay, ethAddress: BigInt(extras.ethAddress) },
        );
        receipts.push(replayed.receipt);
        txs.push(replayed.tx);
      } else if (type === TxType.TRANSFER || type === TxType.WITHDRAW) {
        const nonce = state.account(from)?.nonce ?? 0n;
        const tx: Tx =
          type === TxType.TRANSFER
            ? { type: TxType.TRANSFER, from, to, amount, nonce, signature: NO_SIGNATURE }
            : { type: TxType.WITHDRAW, from, amount, nonce, signature: NO_SIGNATURE };
        receipts.push(applyTx(state, tx, { signatureVerified: true }));
        txs.push(tx);
      } else {
        throw new ProtocolError(
          'BLOCK_INVALID',
          `record ${i} has type ${type}, which no v1 block may contain`,
        );
      }
    }
    if (regCursor !== data.registrations.length) {
      throw new ProtocolError(
        'BLOCK_INVALID',
        `${data.registrations.length} extras triples published, ${regCursor} records use them`,
      );
    }
  } catch (err) {
    state.rollback();
    if (!(err instanceof ProtocolError)) throw err;
    add('stateTransition', `records do not apply to the recomputed state: ${err.message}`);
    return undefined;
  }
  if (txs.length > slots) add('records', `${txs.length} transactions exceed ${slots} slots`);

  const derived = batchData(txs, receipts);
  const recordsHex = derived.records.length ? concatHex(derived.records.map((r) => bytesToHex(r))) : '0x';
  if (!hexEq(recordsHex, call.records))
    add('records', 'published records are not the canonical encoding of the transactions they describe');
  const exits = derived.exits.map((e) => ({
    recipient: e.recipient as Address,
    assetId: e.assetId,
    amount: e.amount,
  }));
  if (!hexEq(encodeExits(exits), call.exits))
    add('exits', `published exits differ from the ${exits.length} exits the transactions create`);
  const regs = derived.registrations.map((r) => ({
    ax: r.ax,
    ay: r.ay,
    ethAddress: addressFromUint(r.ethAddress),
  }));
  if (!hexEq(encodeRegistrations(regs), call.registrations))
    add('records', 'published registrations are not canonical');
  for (const [i, d] of derived.deposits.entries()) {
    const q = queue.get(h.depositStart + BigInt(i))!;
    if (q.element !== d.element)
      add('deposits', `deposit ${q.queueIndex}: queued element ${q.element}, recomputed ${d.element}`);
  }

  const commitment = commitBatch(derived, slots);
  const root = state.stateRoot();
  let ok = true;
  if (root !== h.stateRoot) {
    add('stateRoot', `recomputed state root ${root}, L1 has ${h.stateRoot}`);
    ok = false;
  }
  if (commitment.dataCommitment !== h.dataCommitment)
    add(
      'dataCommitment',
      `recomputed data commitment ${commitment.dataCommitment}, header has ${h.dataCommitment}`,
    );
  const hash = blockHash({
    chainId: params.chainId,
    height: h.height,
    parentHash: h.parentHash,
    prevStateRoot: h.prevStateRoot,
    stateRoot: root,
    dataHash: commitment.dataHash,
    dataCommitment: commitment.dataCommitment,
    depositStart: h.depositStart,
    depositCount: derived.deposits.length,
    timestamp: h.timestamp,
  });
  if (!hexEq(hash, b.blockHash)) add('blockHash', `recomputed block hash ${hash}, L1 has ${b.blockHash}`);
  const publicInput = batchPublicInput(h.prevStateRoot, root, commitment);
  if (publicInput !== b.publicInput)
    add('publicInput', `recomputed public input ${publicInput}, L1 stored ${b.publicInput}`);
  const exitRoot = exitTree(exits, h.height).root;
  if (!hexEq(exitRoot, b.exitRoot)) add('exitRoot', `recomputed exit root ${exitRoot}, L1 has ${b.exitRoot}`);
  if (!ok) {
    // Keep the last state L1 and the recomputation agree on; nothing after this can be checked.
    state.rollback();
    return undefined;
  }
  state.release();
  return { publicInput };
}

/** REGISTER without its binding signature (not published): the key and the index are what the state needs. */
function applyRegistration(state: L2State, tx: RegisterTx, publishedIndex: number): Receipt {
  const index = state.nextIndex;
  if (publishedIndex !== index)
    throw new ProtocolError(
      'BLOCK_INVALID',
      `registration record says index ${publishedIndex}, next free index is ${index}`,
    );
  if (BigInt(index) >= state.tree.capacity)
    throw new ProtocolError('TREE_FULL', 'no free account index left');
  if (!state.asset(tx.assetId)) throw new ProtocolError('UNKNOWN_ASSET', `asset ${tx.assetId} is not listed`);
  const [x, y] = tx.publicKey;
  if (!isOnCurve(tx.publicKey) || !isInPrimeSubgroup(tx.publicKey) || (x === 0n && y === 1n)) {
    throw new ProtocolError(
      'BAD_PUBLIC_KEY',
      'published key is not a non-identity point of the prime-order subgroup',
    );
  }
  state.putAccount({
    index,
    publicKey: tx.publicKey,
    ethAddress: tx.ethAddress,
    assetId: tx.assetId,
    nonce: 0n,
    accountType: 0,
    kycLevel: 0,
    flags: 0,
    balance: 0n,
  });
  state.nextIndex = index + 1;
  return { type: TxType.REGISTER, accountIndex: index };
}

export function formatReport(r: AuditReport): string {
  const lines = [
    `rollup ${r.rollup} (L2 chain ${r.l2ChainId}): committed ${r.committedHeight}, verified ${r.verifiedHeight}`,
    `recomputed ${r.recomputed} batches, checked ${r.certificatesChecked} certificates and ${r.proofsChecked} proofs${r.revertedBatches ? `, ${r.revertedBatches} reverted batches ignored` : ''}`,
  ];
  if (r.divergedAt !== undefined)
    lines.push(`state diverges from L1 at height ${r.divergedAt}; later state roots cannot be recomputed`);
  for (const f of r.findings) lines.push(`  MISMATCH height ${f.height} [${f.check}] ${f.message}`);
  lines.push(r.ok ? 'AUDIT PASSED' : `AUDIT FAILED (${r.findings.length} findings)`);
  return lines.join('\n');
}
