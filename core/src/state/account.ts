import type { Hex } from '../bytes.ts';
import { AccountFlags } from '../constants.ts';
import { type Point, poseidon } from '../crypto/index.ts';

export type Account = {
  index: number;
  publicKey: Point;
  ethAddress: Hex;
  assetId: number;
  nonce: bigint;
  accountType: number;
  kycLevel: number;
  flags: number;
  balance: bigint;
};

/** meta = assetId + nonce·2^32 + accountType·2^72 + kycLevel·2^80 + flags·2^88 (docs/PROTOCOL.md) */
export function packAccountMeta(
  a: Pick<Account, 'assetId' | 'nonce' | 'accountType' | 'kycLevel' | 'flags'>,
): bigint {
  return (
    BigInt(a.assetId) +
    (a.nonce << 32n) +
    (BigInt(a.accountType) << 72n) +
    (BigInt(a.kycLevel) << 80n) +
    (BigInt(a.flags) << 88n)
  );
}

export function accountLeaf(a: Account): bigint {
  return poseidon([a.publicKey[0], a.publicKey[1], BigInt(a.ethAddress), packAccountMeta(a), a.balance]);
}

export function isBanned(a: Account): boolean {
  return (a.flags & AccountFlags.BANNED) !== 0;
}

export function accountToJson(a: Account) {
  return {
    index: a.index,
    publicKey: [a.publicKey[0].toString(), a.publicKey[1].toString()],
    ethAddress: a.ethAddress,
    assetId: a.assetId,
    nonce: a.nonce.toString(),
    accountType: a.accountType,
    kycLevel: a.kycLevel,
    flags: a.flags,
    balance: a.balance.toString(),
  };
}

export function accountFromJson(j: ReturnType<typeof accountToJson>): Account {
  return {
    index: j.index,
    publicKey: [BigInt(j.publicKey[0]!), BigInt(j.publicKey[1]!)],
    ethAddress: j.ethAddress,
    assetId: j.assetId,
    nonce: BigInt(j.nonce),
    accountType: j.accountType,
    kycLevel: j.kycLevel,
    flags: j.flags,
    balance: BigInt(j.balance),
  };
}
