import { type DigestSigner, digestOf, secp256k1Signer } from './crypto.ts';
import { DoubleSignError } from './errors.ts';
import type { LockRecord } from './messages.ts';
import { type ConsensusStore, type SignGuard, compareGuard } from './storage.ts';
import { type Address, MsgType, type SignedMessage, type UnsignedMessage } from './types.ts';

export interface Signer {
  readonly address: Address;
  /** Signs `msg`; the signature must not leave the process before this resolves. */
  sign(msg: UnsignedMessage, lock?: LockRecord): Promise<SignedMessage>;
}

function guardOf(msg: UnsignedMessage): SignGuard {
  return { height: msg.height, round: msg.round, step: msg.type };
}

/**
 * The only holder of the validator key. Every signature must move the persisted (height, round,
 * step) guard strictly forward, and is appended to the WAL together with the new guard in one
 * synced write before it is returned — so no crash, restart or bug in the state machine can make
 * this validator sign two different messages for one slot.
 */
export class PrivValidator implements Signer {
  readonly address: Address;
  private last: SignGuard | null = null;
  private loaded = false;
  /** Serialises signing so two concurrent calls cannot both pass the guard. */
  private chain: Promise<unknown> = Promise.resolve();

  private readonly key: DigestSigner;

  /** `key` is a raw secp256k1 private key, or a DigestSigner (e.g. a remote signer). */
  constructor(
    key: Uint8Array | DigestSigner,
    private readonly chainId: bigint,
    private readonly store: ConsensusStore,
  ) {
    this.key = key instanceof Uint8Array ? secp256k1Signer(key) : key;
    this.address = this.key.address.toLowerCase() as Address;
  }

  async init(): Promise<void> {
    this.last = await this.store.loadGuard();
    this.loaded = true;
  }

  lastSigned(): SignGuard | null {
    return this.last;
  }

  sign(msg: UnsignedMessage, lock?: LockRecord): Promise<SignedMessage> {
    const run = this.chain.then(() => this.signNow(msg, lock));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async signNow(msg: UnsignedMessage, lock?: LockRecord): Promise<SignedMessage> {
    if (!this.loaded) await this.init();
    const signer = msg.type === MsgType.Proposal ? msg.proposer : msg.validator;
    if (signer.toLowerCase() !== this.address)
      throw new DoubleSignError(`refusing to sign for ${signer}: key is ${this.address}`);
    const next = guardOf(msg);
    if (this.last !== null && compareGuard(next, this.last) <= 0) {
      throw new DoubleSignError(
        `refusing to sign type ${msg.type} at height ${msg.height} round ${msg.round}: already signed up to height ${this.last.height} round ${this.last.round} step ${this.last.step}`,
      );
    }
    const signature = this.key.signDigest(digestOf(this.chainId, msg));
    const signed = { ...msg, signature } as SignedMessage;
    await this.store.appendSigned(lock ? { msg: signed, lock } : { msg: signed }, next);
    this.last = next;
    return signed;
  }
}
