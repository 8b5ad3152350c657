// The L1 view of a block (docs/PROTOCOL.md, "Blocks" and "Public data"): the public-data vector E,
// the data hash k, the data commitment c, the challenge z, y = P_E(z), the public input, the block
// hash, the vote digest, the exit tree and the calldata of `commitBatch`. The batch poster, the
// auditor check and the contract tests share it; core/ remains the reference for E itself.
import {
  type Address,
  type Hex,
  concatHex,
  encodeAbiParameters,
  keccak256,
  numberToHex,
  stringToHex,
} from 'viem';
import type { PoseidonFn } from './poseidon.ts';

/** BN254 scalar field order. */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const TX_TYPE = { NOOP: 0, REGISTER: 1, TRANSFER: 2, DEPOSIT: 3, WITHDRAW: 4 } as const;
export const PRECOMMIT = 2;
export const VOTE_DOMAIN = keccak256(stringToHex('tessera.vote.v1'));
const U128 = (1n << 128n) - 1n;

export class BatchEncodingError extends Error {
  readonly code = 'BATCH_ENCODING';
  constructor(message: string) {
    super(message);
    this.name = 'BatchEncodingError';
  }
}

/** A queued deposit as the bridge stores it: `E[2i]` and `E[2i+1]`. */
export interface DepositElements {
  element: bigint;
  depositor: Address;
}
export interface Registration {
  ax: bigint;
  ay: bigint;
  ethAddress: Address;
}
export interface Exit {
  recipient: Address;
  assetId: number;
  amount: bigint;
}
/** What a block publishes, in slot order; `records` are the 14-byte records as integers. */
export interface BatchPublicData {
  deposits: DepositElements[];
  records: bigint[];
  registrations: Registration[];
  exits: Exit[];
}

/** E[2i] of a deposit: 3·2^192 + to·2^160 + assetId·2^128 + amount. */
export function depositElement(to: number, assetId: number, amount: bigint): bigint {
  return (3n << 192n) | (BigInt(to) << 160n) | (BigInt(assetId) << 128n) | amount;
}

/**
 * float40 with the largest exponent: f = e·2^35 + m denotes m·10^e. Zero (REGISTER records) is
 * encoded as the all-zero field rather than 31·2^35.
 */
export function encodeFloat40(amount: bigint): bigint {
  if (amount < 0n) throw new BatchEncodingError('negative amount');
  if (amount === 0n) return 0n;
  for (let e = 31n; e >= 0n; e--) {
    const scale = 10n ** e;
    if (amount % scale === 0n && amount / scale < 1n << 35n) return (e << 35n) | (amount / scale);
  }
  throw new BatchEncodingError(`amount ${amount} is not representable in float40`);
}

export function decodeFloat40(f: bigint): bigint {
  return (f & ((1n << 35n) - 1n)) * 10n ** (f >> 35n);
}

/** The 14-byte record `type ‖ from ‖ to ‖ float40 amount` as an integer. */
export function record(type: number, from: number, to: number, amountFloat40: bigint): bigint {
  return (BigInt(type) << 104n) | (BigInt(from) << 72n) | (BigInt(to) << 40n) | amountFloat40;
}

/** The full vector E (7N elements) of a block whose circuit has `slots` = N slots. */
export function publicVector(data: BatchPublicData, slots: number): bigint[] {
  const n = slots;
  const m = data.deposits.length;
  if (m + data.records.length > n) throw new BatchEncodingError('more transactions than slots');
  if (data.registrations.length > n || data.exits.length > n)
    throw new BatchEncodingError('too many registrations or exits');
  const e = new Array<bigint>(7 * n).fill(0n);
  data.deposits.forEach((d, i) => {
    e[2 * i] = d.element;
    e[2 * i + 1] = BigInt(d.depositor);
  });
  data.records.forEach((r, j) => {
    e[2 * (m + j)] = r;
  });
  data.registrations.forEach((r, k) => {
    e[2 * n + 3 * k] = r.ax;
    e[2 * n + 3 * k + 1] = r.ay;
    e[2 * n + 3 * k + 2] = BigInt(r.ethAddress);
  });
  data.exits.forEach((x, j) => {
    e[5 * n + 2 * j] = (BigInt(x.recipient) << 32n) | BigInt(x.assetId);
    e[5 * n + 2 * j + 1] = x.amount;
  });
  return e;
}

const hex = (v: bigint, bytes: number): Hex => numberToHex(v, { size: bytes });

export function encodeRecords(records: readonly bigint[]): Hex {
  return concatHex(['0x', ...records.map((r) => hex(r, 14))]);
}
export function encodeRegistrations(regs: readonly Registration[]): Hex {
  return concatHex([
    '0x',
    ...regs.flatMap((r) => [hex(r.ax, 32), hex(r.ay, 32), r.ethAddress.toLowerCase() as Hex]),
  ]);
}
export function encodeExits(exits: readonly Exit[]): Hex {
  return concatHex([
    '0x',
    ...exits.flatMap((x) => [x.recipient.toLowerCase() as Hex, hex(BigInt(x.assetId), 4), hex(x.amount, 16)]),
  ]);
}

/** k = keccak(uint32 m ‖ uint32 n ‖ uint32 r ‖ uint32 e ‖ deposits ‖ records ‖ registrations ‖ exits). */
export function dataHash(data: BatchPublicData): Hex {
  return keccak256(
    concatHex([
      hex(BigInt(data.deposits.length), 4),
      hex(BigInt(data.records.length), 4),
      hex(BigInt(data.registrations.length), 4),
      hex(BigInt(data.exits.length), 4),
      ...data.deposits.flatMap((d) => [hex(d.element, 32), hex(BigInt(d.depositor), 32)]),
      encodeRecords(data.records),
      ...data.registrations.map((r) =>
        concatHex([hex(r.ax, 32), hex(r.ay, 32), hex(BigInt(r.ethAddress), 32)]),
      ),
      encodeExits(data.exits),
    ]),
  );
}

/** c = sponge(E): acc = 0; for each 15-element chunk (zero padded): acc = H(acc, chunk…). */
export function dataCommitment(e: readonly bigint[], poseidon: PoseidonFn): bigint {
  let acc = 0n;
  for (let i = 0; i < e.length; i += 15) {
    const chunk = e.slice(i, i + 15);
    while (chunk.length < 15) chunk.push(0n);
    acc = poseidon([acc, ...chunk]);
  }
  return acc;
}

export function splitHash(k: Hex): [bigint, bigint] {
  const v = BigInt(k);
  return [v >> 128n, v & U128];
}

/** z = H(k >> 128, k mod 2^128, c). */
export function challenge(k: Hex, c: bigint, poseidon: PoseidonFn): bigint {
  const [hi, lo] = splitHash(k);
  return poseidon([hi, lo, c]);
}

/** y = Σ E[j]·z^j mod p. */
export function evaluate(e: readonly bigint[], z: bigint): bigint {
  let acc = 0n;
  for (let j = e.length - 1; j >= 0; j--) acc = (acc * z + e[j]!) % FIELD_P;
  return acc;
}

/** publicInput = H(prevStateRoot, stateRoot, k >> 128, k mod 2^128, c, y). */
export function publicInputOf(
  v: { prevStateRoot: bigint; stateRoot: bigint; dataHash: Hex; dataCommitment: bigint; y: bigint },
  poseidon: PoseidonFn,
): bigint {
  const [hi, lo] = splitHash(v.dataHash);
  return poseidon([v.prevStateRoot, v.stateRoot, hi, lo, v.dataCommitment, v.y]);
}

// The block header and its hash are core's (the one definition L1 must agree with).
export { type BlockHeader, blockHash } from '@tessera/core';
import { type BlockHeader, blockHash } from '@tessera/core';

/** The raw digest a sequencer signs for a precommit (no EIP-191 prefix). */
export function voteDigest(chainId: bigint, height: bigint, round: number, hash: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint8' },
        { type: 'uint256' },
        { type: 'uint64' },
        { type: 'uint32' },
        { type: 'bytes32' },
      ],
      [VOTE_DOMAIN, PRECOMMIT, chainId, height, round, hash],
    ),
  );
}

/** keccak(abi.encode(recipient, assetId, amount, height, j)). */
export function exitLeaf(x: Exit, height: bigint, j: number): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'address' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint256' },
      ],
      [x.recipient, BigInt(x.assetId), x.amount, height, BigInt(j)],
    ),
  );
}

const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** The exit tree of a batch: binary keccak tree of depth ⌈log2 e⌉ over zero-padded leaves. */
export function exitTree(exits: readonly Exit[], height: bigint): { root: Hex; proof(j: number): Hex[] } {
  if (exits.length === 0) return { root: ZERO32, proof: () => [] };
  let width = 1;
  while (width < exits.length) width *= 2;
  const layers: Hex[][] = [exits.map((x, j) => exitLeaf(x, height, j))];
  while (layers[0]!.length < width) layers[0]!.push(ZERO32);
  while (layers[layers.length - 1]!.length > 1) {
    const prev = layers[layers.length - 1]!;
    const next: Hex[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(keccak256(concatHex([prev[i]!, prev[i + 1]!])));
    layers.push(next);
  }
  return {
    root: layers[layers.length - 1]![0]!,
    proof(j: number): Hex[] {
      const out: Hex[] = [];
      let idx = j;
      for (let level = 0; level < layers.length - 1; level++) {
        out.push(layers[level]![idx ^ 1]!);
        idx >>= 1;
      }
      return out;
    },
  };
}

/** The `BatchHeader` struct argument of `commitBatch`. */
export interface ContractHeader {
  height: bigint;
  parentHash: Hex;
  prevStateRoot: bigint;
  stateRoot: bigint;
  dataCommitment: bigint;
  depositStart: bigint;
  timestamp: bigint;
}

export interface PreparedBatch {
  header: ContractHeader;
  depositCount: number;
  records: Hex;
  registrations: Hex;
  exits: Hex;
  dataHash: Hex;
  dataCommitment: bigint;
  z: bigint;
  y: bigint;
  publicInput: bigint;
  blockHash: Hex;
  exitRoot: Hex;
}

/**
 * Everything L1 derives from a block, computed off-chain. `dataCommitment` defaults to the sponge
 * over E (what the circuit computes); pass it to skip the sponge when it is already known.
 */
export function prepareBatch(
  p: {
    chainId: bigint;
    slots: number;
    height: bigint;
    parentHash: Hex;
    prevStateRoot: bigint;
    stateRoot: bigint;
    depositStart: bigint;
    timestamp: bigint;
    data: BatchPublicData;
    dataCommitment?: bigint;
  },
  poseidon: PoseidonFn,
): PreparedBatch {
  const e = publicVector(p.data, p.slots);
  const k = dataHash(p.data);
  const c = p.dataCommitment ?? dataCommitment(e, poseidon);
  const z = challenge(k, c, poseidon);
  const y = evaluate(e, z);
  const publicInput = publicInputOf(
    { prevStateRoot: p.prevStateRoot, stateRoot: p.stateRoot, dataHash: k, dataCommitment: c, y },
    poseidon,
  );
  const depositCount = p.data.deposits.length;
  const hash = blockHash({
    chainId: p.chainId,
    height: p.height,
    parentHash: p.parentHash,
    prevStateRoot: p.prevStateRoot,
    stateRoot: p.stateRoot,
    dataHash: k,
    dataCommitment: c,
    depositStart: p.depositStart,
    depositCount,
    timestamp: p.timestamp,
  });
  return {
    header: {
      height: p.height,
      parentHash: p.parentHash,
      prevStateRoot: p.prevStateRoot,
      stateRoot: p.stateRoot,
      dataCommitment: c,
      depositStart: p.depositStart,
      timestamp: p.timestamp,
    },
    depositCount,
    records: encodeRecords(p.data.records),
    registrations: encodeRegistrations(p.data.registrations),
    exits: encodeExits(p.data.exits),
    dataHash: k,
    dataCommitment: c,
    z,
    y,
    publicInput,
    blockHash: hash,
    exitRoot: exitTree(p.data.exits, p.height).root,
  };
}

/** The `Certificate` struct argument: 65-byte `r ‖ s ‖ v` signatures concatenated. */
export function encodeCertificate(
  round: number,
  signatures: readonly Hex[],
): { round: number; signatures: Hex } {
  for (const s of signatures) {
    if ((s.length - 2) / 2 !== 65) throw new BatchEncodingError('signatures must be 65 bytes (r ‖ s ‖ v)');
  }
  return { round, signatures: concatHex(['0x', ...signatures]) };
}
