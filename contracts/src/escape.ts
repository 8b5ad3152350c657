// Off-chain side of the escape hatch: account leaves and Merkle paths of the A-ary Poseidon
// accounts tree (docs/PROTOCOL.md, "State"), in the argument layout of `TesseraBridge.escape`.
import { packAccountMeta } from '@tessera/core';
import type { Address } from 'viem';
import type { PoseidonFn } from './poseidon.ts';

export interface AccountFields {
  ax: bigint;
  ay: bigint;
  ethAddress: Address;
  assetId: number;
  nonce: bigint;
  accountType: number;
  kycLevel: number;
  flags: number;
  balance: bigint;
}

/** meta packing is core's (docs/PROTOCOL.md, "State"): one definition for L2, circuit and L1. */
export const packMeta = (
  a: Pick<AccountFields, 'assetId' | 'nonce' | 'accountType' | 'kycLevel' | 'flags'>,
): bigint => packAccountMeta(a);

/** The `Account` struct argument of `escape`. */
export function accountStruct(a: AccountFields): {
  ax: bigint;
  ay: bigint;
  ethAddress: Address;
  meta: bigint;
  balance: bigint;
} {
  return { ax: a.ax, ay: a.ay, ethAddress: a.ethAddress, meta: packMeta(a), balance: a.balance };
}

/** leaf = H(ax, ay, ethAddress, meta, balance) */
export function accountLeaf(a: AccountFields, poseidon: PoseidonFn): bigint {
  return poseidon([a.ax, a.ay, BigInt(a.ethAddress), packMeta(a), a.balance]);
}

/** Sparse A-ary Poseidon tree: empty leaves are 0, a node is H(child_0 … child_{A-1}). */
export class SparseTree {
  private readonly levels: Map<bigint, bigint>[];
  private readonly empty: bigint[];

  constructor(
    readonly arity: number,
    readonly depth: number,
    private readonly poseidon: PoseidonFn,
  ) {
    this.levels = Array.from({ length: depth + 1 }, () => new Map<bigint, bigint>());
    this.empty = [0n];
    for (let l = 0; l < depth; l++) this.empty.push(poseidon(new Array<bigint>(arity).fill(this.empty[l]!)));
  }

  private node(level: number, index: bigint): bigint {
    return this.levels[level]!.get(index) ?? this.empty[level]!;
  }

  set(index: bigint, leaf: bigint): void {
    const a = BigInt(this.arity);
    this.levels[0]!.set(index, leaf);
    let idx = index;
    for (let l = 0; l < this.depth; l++) {
      const parent = idx / a;
      const children: bigint[] = [];
      for (let c = 0n; c < a; c++) children.push(this.node(l, parent * a + c));
      this.levels[l + 1]!.set(parent, this.poseidon(children));
      idx = parent;
    }
  }

  root(): bigint {
    return this.node(this.depth, 0n);
  }

  /** Per level from the leaf up, the A - 1 siblings in child order. */
  siblings(index: bigint): bigint[] {
    const a = BigInt(this.arity);
    const out: bigint[] = [];
    let idx = index;
    for (let l = 0; l < this.depth; l++) {
      const base = (idx / a) * a;
      for (let c = 0n; c < a; c++) if (base + c !== idx) out.push(this.node(l, base + c));
      idx /= a;
    }
    return out;
  }
}
