import { type Point, type StealthAddress, privateKeyToPublicKey } from '@tessera/core';
import type { TesseraClient } from '../rpcClient.ts';
import { encodeStealthAddress } from './address.ts';
import { type PrivateBalance, balance } from './balance.ts';
import type { PrivacyContext } from './context.ts';
import { stealthKeysFromL2Key } from './keys.ts';
import { type PrivateTransferResult, privateTransfer } from './privateTransfer.ts';
import type { RandomBytes, RingPolicy } from './ring.ts';
import { NoteScanner, type OwnedNote } from './scan.ts';
import { type ShieldResult, shield } from './shield.ts';
import { type UnshieldResult, unshield } from './unshield.ts';

/**
 * The private side of a wallet: stealth keys derived from the L2 key (docs/KEYS.md), an
 * incremental note scanner, and shield / private transfer / unshield. Obtain it with
 * `Wallet.privacy()` or, given the L2 key, `PrivacyWallet.fromL2Key`.
 */
export class PrivacyWallet {
  readonly ctx: PrivacyContext;

  constructor(ctx: PrivacyContext) {
    this.ctx = ctx;
  }

  static fromL2Key(
    l2Key: Uint8Array,
    client: TesseraClient,
    chainId: bigint,
    options: { ringPolicy?: Pick<RingPolicy, 'target' | 'allowNoDecoys'>; random?: RandomBytes } = {},
  ): PrivacyWallet {
    const keys = stealthKeysFromL2Key(l2Key);
    return new PrivacyWallet({
      client,
      chainId,
      l2Key,
      publicKey: privateKeyToPublicKey(l2Key),
      keys,
      scanner: new NoteScanner(keys),
      ...options,
    });
  }

  get publicKey(): Point {
    return this.ctx.publicKey;
  }

  /** The stealth address to give to payers (`tsa1…`). */
  address(): string {
    return encodeStealthAddress(this.ctx.keys.address);
  }

  stealthAddress(): StealthAddress {
    return this.ctx.keys.address;
  }

  /** Reads new notes, keeps ours (with their one-time secrets), refreshes spent flags. */
  async scan(): Promise<OwnedNote[]> {
    await this.ctx.scanner.scan(this.ctx.client);
    return [...this.ctx.scanner.owned.values()].sort((a, b) => a.note.index - b.note.index);
  }

  balance(): Promise<PrivateBalance[]> {
    return balance(this.ctx);
  }

  shield(
    accountIndex: number,
    amount: bigint,
    recipientAddress?: string | StealthAddress,
    options?: { memo?: string | Uint8Array },
  ): Promise<ShieldResult> {
    return shield(this.ctx, accountIndex, amount, recipientAddress, options);
  }

  privateTransfer(
    assetId: number,
    amount: bigint,
    recipientAddress: string | StealthAddress,
    memo?: string | Uint8Array,
  ): Promise<PrivateTransferResult> {
    return privateTransfer(this.ctx, assetId, amount, recipientAddress, memo);
  }

  unshield(
    assetId: number,
    amount: bigint,
    toAccount: number,
    options?: { memo?: string | Uint8Array },
  ): Promise<UnshieldResult> {
    return unshield(this.ctx, assetId, amount, toAccount, options);
  }
}
