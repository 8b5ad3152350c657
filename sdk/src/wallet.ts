import {
  L2_KEY_DERIVATION_MESSAGE,
  type Point,
  type RegisterTx,
  TxType,
  l2PrivateKeyFromEthSignature,
  privateKeyToPublicKey,
  registrationMessage,
  signTransfer,
  signWithdraw,
} from '@tessera/core';
import type { Account as ViemAccount } from 'viem';
import { PrivacyWallet } from './privacy/wallet.ts';
import type { TesseraClient } from './rpcClient.ts';

type SigningAccount = Pick<ViemAccount, 'address'> & { signMessage: NonNullable<ViemAccount['signMessage']> };

/**
 * A user's L2 wallet. The L2 (BabyJubJub) key is derived from a signature of a fixed message by
 * the user's Ethereum wallet, so nothing new has to be backed up: the same Ethereum key always
 * gives the same L2 key (docs/KEYS.md).
 */
export class Wallet {
  private privateWallet?: PrivacyWallet;

  private constructor(
    readonly eth: SigningAccount,
    private readonly l2Key: Uint8Array,
    readonly publicKey: Point,
    readonly client: TesseraClient,
    readonly chainId: bigint,
  ) {}

  static async fromEthereumAccount(eth: SigningAccount, client: TesseraClient): Promise<Wallet> {
    const signature = await eth.signMessage({ message: L2_KEY_DERIVATION_MESSAGE });
    const l2Key = l2PrivateKeyFromEthSignature(signature);
    return new Wallet(eth, l2Key, privateKeyToPublicKey(l2Key), client, await client.chainId());
  }

  /**
   * Private notes of this wallet: stealth keys derived from the L2 key, scan, shield, spend. The
   * same instance (and its scanned notes) is returned on every call; `options` apply to the first.
   */
  privacy(options: Parameters<typeof PrivacyWallet.fromL2Key>[3] = {}): PrivacyWallet {
    this.privateWallet ??= PrivacyWallet.fromL2Key(this.l2Key, this.client, this.chainId, options);
    return this.privateWallet;
  }

  async registrationTx(assetId: number): Promise<RegisterTx> {
    const message = registrationMessage(this.eth.address, this.publicKey, this.chainId) as
      | string
      | Uint8Array;
    const binding = await this.eth.signMessage({
      message: typeof message === 'string' ? message : { raw: message },
    });
    return {
      type: TxType.REGISTER,
      ethAddress: this.eth.address.toLowerCase() as `0x${string}`,
      publicKey: this.publicKey,
      assetId,
      binding,
    };
  }

  /** Open an account for `assetId` and return its index once committed. */
  async register(assetId: number): Promise<number> {
    const result = await this.client.sendTransaction(await this.registrationTx(assetId), { wait: true });
    const receipt = result.receipt as { accountIndex?: number } | undefined;
    if (receipt?.accountIndex === undefined)
      throw new Error(`registration not committed: ${JSON.stringify(result)}`);
    return receipt.accountIndex;
  }

  async transfer(from: number, to: number, amount: bigint, options: { wait?: boolean } = { wait: true }) {
    const account = await this.client.getAccount(from);
    if (!account) throw new Error(`account ${from} does not exist`);
    const tx = signTransfer(this.l2Key, this.chainId, { from, to, amount, nonce: BigInt(account.nonce) });
    return this.client.sendTransaction(tx, options);
  }

  async withdraw(from: number, amount: bigint, options: { wait?: boolean } = { wait: true }) {
    const account = await this.client.getAccount(from);
    if (!account) throw new Error(`account ${from} does not exist`);
    const tx = signWithdraw(this.l2Key, this.chainId, { from, amount, nonce: BigInt(account.nonce) });
    return this.client.sendTransaction(tx, options);
  }
}
