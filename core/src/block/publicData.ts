import { keccak256 } from 'viem';
import { encodeFloat40 } from '../amount/float40.ts';
import { type Hex, concatBytes, fromHex, uintToBytes } from '../bytes.ts';
import { FIELD_MODULUS, TxType } from '../constants.ts';
import { poseidon } from '../crypto/index.ts';
import { MalformedError } from '../errors.ts';
import type { Exit, Receipt } from '../state/apply.ts';
import type { DepositTx, Tx } from '../tx/types.ts';

/** What L1 receives for one block, and the values the proof's public input is built from. */
export type BatchData = {
  deposits: { element: bigint; depositor: bigint }[];
  /** 14-byte records of the L2 transactions, in block order after the deposits. */
  records: Uint8Array[];
  /**
   * Three elements per REGISTER, privacy or observer-key transaction, in block order (see
   * `extraElements`); named after the registrations that were the first to use the region.
   */
  registrations: { ax: bigint; ay: bigint; ethAddress: bigint }[];
  exits: Exit[];
};

export type BatchCommitment = {
  /** E: 7N field elements (docs/PROTOCOL.md). */
  elements: bigint[];
  dataHash: Hex;
  dataCommitment: bigint;
  z: bigint;
  y: bigint;
};

export function depositElement(tx: Pick<DepositTx, 'to' | 'assetId' | 'amount'>): bigint {
  return (3n << 192n) + (BigInt(tx.to) << 160n) + (BigInt(tx.assetId) << 128n) + tx.amount;
}

/** type (1) ‖ from (4) ‖ to (4) ‖ float40 amount (5). */
function record(type: number, from: number, to: number, amount: bigint): Uint8Array {
  return concatBytes(
    Uint8Array.of(type),
    uintToBytes(BigInt(from), 4),
    uintToBytes(BigInt(to), 4),
    amount === 0n ? new Uint8Array(5) : uintToBytes(encodeFloat40(amount), 5),
  );
}

/**
 * The third region of E carries three elements per REGISTER (the account's key and address) and
 * per privacy or observer-key transaction (docs/PROTOCOL.md "Privacy"):
 *   SHIELD (cm, 0, binding) · PRIVATE_TRANSFER (keyImageTag, cm, binding) · UNSHIELD (keyImageTag, 0, binding)
 *   OBSERVER_KEY (kx, ky, 0)
 * The third element is below 2^160 (20 bytes of calldata).
 */
export function extraElements(tx: Tx, receipt: Receipt): BatchData['registrations'][number] | undefined {
  switch (receipt.type) {
    case TxType.REGISTER:
      if (tx.type !== TxType.REGISTER) break;
      return { ax: tx.publicKey[0], ay: tx.publicKey[1], ethAddress: BigInt(tx.ethAddress) };
    case TxType.SHIELD:
      return { ax: receipt.noteCommitment, ay: 0n, ethAddress: receipt.binding };
    case TxType.PRIVATE_TRANSFER:
      return { ax: receipt.keyImageTag, ay: receipt.noteCommitment, ethAddress: receipt.binding };
    case TxType.UNSHIELD:
      return { ax: receipt.keyImageTag, ay: 0n, ethAddress: receipt.binding };
    case TxType.OBSERVER_KEY:
      if (tx.type !== TxType.OBSERVER_KEY) break;
      return { ax: tx.key[0], ay: tx.key[1], ethAddress: 0n };
  }
  return undefined;
}

export function l2Record(tx: Tx, registeredIndex?: number): Uint8Array {
  switch (tx.type) {
    case TxType.REGISTER:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(registeredIndex ?? 0), 4),
        uintToBytes(BigInt(tx.assetId), 4),
        new Uint8Array(5),
      );
    case TxType.TRANSFER:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.from), 4),
        uintToBytes(BigInt(tx.to), 4),
        uintToBytes(encodeFloat40(tx.amount), 5),
      );
    case TxType.WITHDRAW:
    case TxType.SHIELD:
      return record(tx.type, tx.from, 0, tx.amount);
    case TxType.PRIVATE_TRANSFER:
      return record(tx.type, tx.assetId, 0, tx.amount);
    case TxType.UNSHIELD:
      return record(tx.type, tx.assetId, tx.to, tx.amount);
    case TxType.OBSERVER_KEY:
      return record(tx.type, Number(tx.epoch), 0, 0n);
    default:
      throw new MalformedError(`transaction type ${tx.type} has no L2 record`);
  }
}

/** Split an applied block into the L1 batch data. `receipts[i]` belongs to `txs[i]`. */
export function batchData(txs: readonly Tx[], receipts: readonly Receipt[]): BatchData {
  const data: BatchData = { deposits: [], records: [], registrations: [], exits: [] };
  txs.forEach((tx, i) => {
    const receipt = receipts[i]!;
    if (tx.type === TxType.DEPOSIT) {
      data.deposits.push({ element: depositElement(tx), depositor: BigInt(tx.depositor) });
    } else {
      data.records.push(l2Record(tx, receipt.type === TxType.REGISTER ? receipt.accountIndex : undefined));
      const extra = extraElements(tx, receipt);
      if (extra) data.registrations.push(extra);
    }
    if ('exit' in receipt) data.exits.push(receipt.exit);
  });
  return data;
}

export function batchDataHash(d: BatchData): Hex {
  const u256 = (v: bigint) => uintToBytes(v, 32);
  return keccak256(
    concatBytes(
      uintToBytes(BigInt(d.deposits.length), 4),
      uintToBytes(BigInt(d.records.length), 4),
      uintToBytes(BigInt(d.registrations.length), 4),
      uintToBytes(BigInt(d.exits.length), 4),
      ...d.deposits.flatMap((x) => [u256(x.element), u256(x.depositor)]),
      ...d.records,
      ...d.registrations.flatMap((r) => [u256(r.ax), u256(r.ay), u256(r.ethAddress)]),
      ...d.exits.flatMap((e) => [
        fromHex(e.recipient, 20),
        uintToBytes(BigInt(e.assetId), 4),
        uintToBytes(e.amount, 16),
      ]),
    ),
  );
}

/** The element vector E of length 7N, with deposits occupying the first slots. */
export function batchElements(d: BatchData, slots: number): bigint[] {
  const txCount = d.deposits.length + d.records.length;
  if (txCount > slots)
    throw new MalformedError(`block has ${txCount} transactions, the batch has ${slots} slots`);
  const E = new Array<bigint>(7 * slots).fill(0n);
  let slot = 0;
  for (const dep of d.deposits) {
    E[2 * slot] = dep.element;
    E[2 * slot + 1] = dep.depositor;
    slot++;
  }
  for (const record of d.records) {
    E[2 * slot] = BigInt(`0x${Buffer.from(record).toString('hex')}`);
    slot++;
  }
  d.registrations.forEach((r, k) => {
    E[2 * slots + 3 * k] = r.ax;
    E[2 * slots + 3 * k + 1] = r.ay;
    E[2 * slots + 3 * k + 2] = r.ethAddress;
  });
  d.exits.forEach((e, j) => {
    E[5 * slots + 2 * j] = (BigInt(e.recipient) << 32n) + BigInt(e.assetId);
    E[5 * slots + 2 * j + 1] = e.amount;
  });
  return E;
}

/** acc = 0; for each chunk of 15 elements (zero-padded): acc = H(acc, chunk…). */
export function dataCommitment(elements: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < elements.length; i += 15) {
    const chunk = elements.slice(i, i + 15);
    while (chunk.length < 15) chunk.push(0n);
    acc = poseidon([acc, ...chunk]);
  }
  return acc;
}

/** y = Σ E[j]·z^j mod p, by Horner from the top. */
export function evaluateAt(elements: readonly bigint[], z: bigint): bigint {
  let y = 0n;
  for (let j = elements.length - 1; j >= 0; j--) y = (y * z + elements[j]!) % FIELD_MODULUS;
  return y;
}

export function splitHash(h: Hex): [bigint, bigint] {
  const v = BigInt(h);
  return [v >> 128n, v & ((1n << 128n) - 1n)];
}

export function commitBatch(d: BatchData, slots: number): BatchCommitment {
  const elements = batchElements(d, slots);
  const dataHash = batchDataHash(d);
  const c = dataCommitment(elements);
  const [kHi, kLo] = splitHash(dataHash);
  const z = poseidon([kHi, kLo, c]);
  return { elements, dataHash, dataCommitment: c, z, y: evaluateAt(elements, z) };
}

/** The single public input of the batch proof. */
export function batchPublicInput(
  prevStateRoot: bigint,
  stateRoot: bigint,
  commitment: Pick<BatchCommitment, 'dataHash' | 'dataCommitment' | 'y'>,
): bigint {
  const [kHi, kLo] = splitHash(commitment.dataHash);
  return poseidon([prevStateRoot, stateRoot, kHi, kLo, commitment.dataCommitment, commitment.y]);
}
