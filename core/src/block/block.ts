import { encodeAbiParameters, keccak256 } from 'viem';
import { ByteReader, type Hex, concatBytes, fromHex, toHex, uintToBytes } from '../bytes.ts';
import { TxType } from '../constants.ts';
import { MalformedError, ProtocolError } from '../errors.ts';
import { type ApplyOptions, type Exit, type Receipt, applyTx } from '../state/apply.ts';
import type { L2State } from '../state/state.ts';
import { decodeTx, encodeTx } from '../tx/encoding.ts';
import type { Tx } from '../tx/types.ts';
import { type BatchCommitment, batchData, commitBatch } from './publicData.ts';

export type BlockHeader = {
  chainId: bigint;
  height: bigint;
  parentHash: Hex;
  prevStateRoot: bigint;
  stateRoot: bigint;
  dataHash: Hex;
  dataCommitment: bigint;
  depositStart: bigint;
  depositCount: number;
  timestamp: bigint;
};

export type Block = { header: BlockHeader; txs: Tx[] };

export const GENESIS_PARENT_HASH: Hex = `0x${'00'.repeat(32)}`;

/** keccak(abi.encode(header fields)) — recomputed by the L1 rollup contract. */
export function blockHash(h: BlockHeader): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'uint256' },
        { type: 'uint64' },
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'uint64' },
        { type: 'uint32' },
        { type: 'uint64' },
      ],
      [
        h.chainId,
        h.height,
        h.parentHash,
        h.prevStateRoot,
        h.stateRoot,
        h.dataHash,
        h.dataCommitment,
        h.depositStart,
        h.depositCount,
        h.timestamp,
      ],
    ),
  );
}

export type ExecutedBlock = {
  block: Block;
  hash: Hex;
  receipts: Receipt[];
  exits: Exit[];
  commitment: BatchCommitment;
};

export type BlockContext = { height: bigint; parentHash: Hex; timestamp: bigint; slots: number };

/** Block-level rules on the transaction list (not on any one transaction); throws ProtocolError. */
export function checkBlockShape(txs: readonly Tx[], slots: number): void {
  if (txs.length > slots)
    throw new ProtocolError('BLOCK_INVALID', `${txs.length} transactions exceed ${slots} slots`);
  const firstL2 = txs.findIndex((t) => t.type !== TxType.DEPOSIT);
  if (firstL2 >= 0 && txs.slice(firstL2).some((t) => t.type === TxType.DEPOSIT)) {
    throw new ProtocolError('BLOCK_INVALID', 'deposits must come before every L2 transaction');
  }
}

/**
 * Apply `txs` in order to `state` and seal the header. All-or-nothing: if any transaction is
 * invalid, or deposits do not come first, the state is rolled back and a ProtocolError thrown.
 */
export function executeBlock(
  state: L2State,
  txs: readonly Tx[],
  ctx: BlockContext,
  verified: (tx: Tx, i: number) => boolean = () => false,
): ExecutedBlock {
  checkBlockShape(txs, ctx.slots);
  const prevStateRoot = state.stateRoot();
  const depositStart = state.nextDepositIndex;
  state.checkpoint();
  const receipts: Receipt[] = [];
  try {
    txs.forEach((tx, i) => {
      const options: ApplyOptions = { signatureVerified: verified(tx, i) };
      receipts.push(applyTx(state, tx, options));
    });
  } catch (err) {
    state.rollback();
    if (err instanceof ProtocolError) {
      throw new ProtocolError(
        err.code,
        `transaction ${receipts.length} of block ${ctx.height}: ${err.message}`,
      );
    }
    throw err;
  }
  state.release();
  return sealBlock(state, txs, receipts, ctx, prevStateRoot, depositStart);
}

/**
 * The header and commitments of a block whose transactions `state` has just applied (`receipts[i]`
 * for `txs[i]`), starting from `prevStateRoot` and deposit index `depositStart`. executeBlock is
 * the checked way to get here; a block builder that applied its candidates one by one (skipping
 * the ones that fail) checks checkBlockShape and seals with this directly instead of undoing and
 * re-applying them, which would hash every touched account's leaf twice.
 */
export function sealBlock(
  state: L2State,
  txs: readonly Tx[],
  receipts: Receipt[],
  ctx: BlockContext,
  prevStateRoot: bigint,
  depositStart: bigint,
): ExecutedBlock {
  const data = batchData(txs, receipts);
  const commitment = commitBatch(data, ctx.slots);
  const header: BlockHeader = {
    chainId: state.chainId,
    height: ctx.height,
    parentHash: ctx.parentHash,
    prevStateRoot,
    stateRoot: state.stateRoot(),
    dataHash: commitment.dataHash,
    dataCommitment: commitment.dataCommitment,
    depositStart,
    depositCount: data.deposits.length,
    timestamp: ctx.timestamp,
  };
  return {
    block: { header, txs: [...txs] },
    hash: blockHash(header),
    receipts,
    exits: data.exits,
    commitment,
  };
}

/**
 * Re-execute a block received from a peer and check that its header is exactly what this node
 * computes. On mismatch the state is rolled back to before the block.
 */
export function replayBlock(
  state: L2State,
  block: Block,
  slots: number,
  verified?: (tx: Tx, i: number) => boolean,
): ExecutedBlock {
  const before = state.stateRoot();
  state.checkpoint();
  let executed: ExecutedBlock;
  try {
    executed = executeBlock(
      state,
      block.txs,
      {
        height: block.header.height,
        parentHash: block.header.parentHash,
        timestamp: block.header.timestamp,
        slots,
      },
      verified,
    );
  } catch (err) {
    state.rollback();
    throw err;
  }
  const expected = blockHash(block.header);
  if (executed.hash !== expected || before !== block.header.prevStateRoot) {
    state.rollback();
    state.stateRoot();
    throw new ProtocolError(
      'BLOCK_INVALID',
      `block ${block.header.height} header does not match its execution (computed ${executed.hash}, header ${expected})`,
    );
  }
  state.release();
  return executed;
}

/* Binary block encoding for gossip and storage: header fields, then length-prefixed txs. */
export function encodeBlock(b: Block): Uint8Array {
  const h = b.header;
  const parts: Uint8Array[] = [
    uintToBytes(h.chainId, 32),
    uintToBytes(h.height, 8),
    fromHex(h.parentHash, 32),
    uintToBytes(h.prevStateRoot, 32),
    uintToBytes(h.stateRoot, 32),
    fromHex(h.dataHash, 32),
    uintToBytes(h.dataCommitment, 32),
    uintToBytes(h.depositStart, 8),
    uintToBytes(BigInt(h.depositCount), 4),
    uintToBytes(h.timestamp, 8),
    uintToBytes(BigInt(b.txs.length), 4),
  ];
  for (const tx of b.txs) {
    const bytes = encodeTx(tx);
    parts.push(uintToBytes(BigInt(bytes.length), 2), bytes);
  }
  return concatBytes(...parts);
}

export function decodeBlock(bytes: Uint8Array): Block {
  const r = new ByteReader(bytes);
  const header: BlockHeader = {
    chainId: r.uint(32, 'chainId'),
    height: r.uint(8, 'height'),
    parentHash: toHex(r.take(32, 'parentHash')),
    prevStateRoot: r.uint(32, 'prevStateRoot'),
    stateRoot: r.uint(32, 'stateRoot'),
    dataHash: toHex(r.take(32, 'dataHash')),
    dataCommitment: r.uint(32, 'dataCommitment'),
    depositStart: r.uint(8, 'depositStart'),
    depositCount: Number(r.uint(4, 'depositCount')),
    timestamp: r.uint(8, 'timestamp'),
  };
  const count = Number(r.uint(4, 'txCount'));
  if (count > 100_000) throw new MalformedError(`implausible transaction count ${count}`);
  const txs: Tx[] = [];
  for (let i = 0; i < count; i++) {
    const len = Number(r.uint(2, `tx ${i} length`));
    txs.push(decodeTx(r.take(len, `tx ${i}`)));
  }
  r.end();
  return { header, txs };
}

export function headerToJson(h: BlockHeader) {
  return {
    chainId: h.chainId.toString(),
    height: h.height.toString(),
    parentHash: h.parentHash,
    prevStateRoot: h.prevStateRoot.toString(),
    stateRoot: h.stateRoot.toString(),
    dataHash: h.dataHash,
    dataCommitment: h.dataCommitment.toString(),
    depositStart: h.depositStart.toString(),
    depositCount: h.depositCount,
    timestamp: h.timestamp.toString(),
  };
}
