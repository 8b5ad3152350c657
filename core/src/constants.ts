export { FIELD_MODULUS } from './crypto/index.ts';

/** Balances and amounts are integers below 2^128 (checked in the circuit with 128-bit ranges). */
export const AMOUNT_BITS = 128;
export const MAX_BALANCE = (1n << 128n) - 1n;
export const NONCE_BITS = 40;
export const MAX_NONCE = (1n << 40n) - 1n;
export const ACCOUNT_INDEX_BITS = 32;
export const ASSET_ID_BITS = 32;

export const TxType = {
  NOOP: 0,
  REGISTER: 1,
  TRANSFER: 2,
  DEPOSIT: 3,
  WITHDRAW: 4,
  SHIELD: 5,
  PRIVATE_TRANSFER: 6,
  UNSHIELD: 7,
  /** Regulator admin: register the observer key of the next epoch (docs/PRIVACY.md). */
  OBSERVER_KEY: 16,
} as const;
export type TxTypeCode = (typeof TxType)[keyof typeof TxType];

export const AccountType = { UNVERIFIED: 0, VERIFIED: 1, CORPORATE: 2 } as const;
export const AccountFlags = { BANNED: 1 } as const;

/** Asset id 1 is native ETH on every chain. */
export const ETH_ASSET_ID = 1;
