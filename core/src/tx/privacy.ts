import { keccak256 } from 'viem';
import { type Hex, concatBytes, fromHex, uintToBytes } from '../bytes.ts';
import { TxType } from '../constants.ts';
import { type Point, type Signature, packPoint, poseidon, signPoseidon } from '../crypto/index.ts';
import { ProtocolError } from '../errors.ts';
import { signRing } from '../privacy/alsag.ts';
import { encodeRingSignature } from '../privacy/encoding.ts';
import type { ObserverKey } from '../privacy/types.ts';
import type { ObserverKeyTx, PrivateTransferTx, ShieldTx, UnshieldTx } from './types.ts';

/*
 * What the privacy transactions sign and commit to (docs/PROTOCOL.md "Privacy").
 *
 * The body of a privacy transaction is its wire encoding without the signature. Its hash, with
 * the chain id, is the ring signature's message and, truncated to 160 bits, the `binding` that
 * the L1 public data carries: so a block's certificate and proof pin every byte the regulator
 * later decrypts (observer memo, ring, output), not just the amounts.
 */

export type UnsignedShield = Omit<ShieldTx, 'signature'>;
export type UnsignedPrivateTransfer = Omit<PrivateTransferTx, 'ringSignature'>;
export type UnsignedUnshield = Omit<UnshieldTx, 'ringSignature'>;
export type PrivacyBody = UnsignedShield | UnsignedPrivateTransfer | UnsignedUnshield;

function ringBytes(ring: readonly number[]): Uint8Array {
  if (ring.length > 0xffff) throw new ProtocolError('BAD_RING', 'ring has more than 65535 members');
  return concatBytes(uintToBytes(BigInt(ring.length), 2), ...ring.map((i) => uintToBytes(BigInt(i), 4)));
}

/** Wire encoding of a privacy transaction without its signature. */
export function privacyBody(tx: PrivacyBody): Uint8Array {
  const tail = (memo: Hex) => concatBytes(uintToBytes(tx.observerEpoch, 8), fromHex(memo));
  switch (tx.type) {
    case TxType.SHIELD:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.from), 4),
        uintToBytes(tx.amount, 16),
        uintToBytes(tx.nonce, 5),
        packPoint(tx.output.oneTimeKey),
        packPoint(tx.output.txPublicKey),
        tail(tx.memo),
      );
    case TxType.PRIVATE_TRANSFER:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.assetId), 4),
        uintToBytes(tx.amount, 16),
        ringBytes(tx.ring),
        packPoint(tx.output.oneTimeKey),
        packPoint(tx.output.txPublicKey),
        tail(tx.memo),
      );
    case TxType.UNSHIELD:
      return concatBytes(
        Uint8Array.of(tx.type),
        uintToBytes(BigInt(tx.assetId), 4),
        uintToBytes(tx.amount, 16),
        ringBytes(tx.ring),
        uintToBytes(BigInt(tx.to), 4),
        tail(tx.memo),
      );
  }
}

/** keccak(chainId ‖ body): the ring signature's message. */
export function privacyBodyHash(tx: PrivacyBody, chainId: bigint): Hex {
  return keccak256(concatBytes(uintToBytes(chainId, 32), privacyBody(tx)));
}

/** The top 160 bits of the body hash, published on L1 with the transaction's record. */
export function privacyBinding(tx: PrivacyBody, chainId: bigint): bigint {
  return BigInt(privacyBodyHash(tx, chainId)) >> 96n;
}

/** H(Px, Py, assetId, amount): a note as the accumulator and L1 see it. */
export function noteCommitment(oneTimeKey: Point, assetId: number, amount: bigint): bigint {
  return poseidon([oneTimeKey[0], oneTimeKey[1], BigInt(assetId), amount]);
}

/** H(Ix, Iy): the key image as the accumulator and L1 see it. */
export function keyImageTag(keyImage: Point): bigint {
  return poseidon([keyImage[0], keyImage[1]]);
}

/**
 * Associated data of the observer memo: the transaction type and its destination (the output's
 * one-time key, or the unshield's account), so a memo cannot be moved to another transaction.
 */
export function memoAad(
  tx: Pick<PrivacyBody, 'type'> & { output?: { oneTimeKey: Point }; to?: number },
): Uint8Array {
  if (tx.type === TxType.UNSHIELD)
    return concatBytes(Uint8Array.of(tx.type), uintToBytes(BigInt(tx.to ?? 0), 4));
  if (!tx.output) throw new ProtocolError('BAD_NOTE_OUTPUT', 'transaction has no output');
  return concatBytes(Uint8Array.of(tx.type), packPoint(tx.output.oneTimeKey));
}

/** msg = H(5, chainId, from, H(cm, binding), amount, nonce): the account signs the note and the memo. */
export function shieldMessage(tx: UnsignedShield, chainId: bigint, assetId: number): bigint {
  const cm = noteCommitment(tx.output.oneTimeKey, assetId, tx.amount);
  const bound = poseidon([cm, privacyBinding(tx, chainId)]);
  return poseidon([BigInt(TxType.SHIELD), chainId, BigInt(tx.from), bound, tx.amount, tx.nonce]);
}

export function signShield(
  privateKey: Uint8Array,
  chainId: bigint,
  assetId: number,
  fields: Omit<UnsignedShield, 'type'>,
): ShieldTx {
  const unsigned: UnsignedShield = { type: TxType.SHIELD, ...fields };
  const signature: Signature = signPoseidon(privateKey, shieldMessage(unsigned, chainId, assetId));
  return { ...unsigned, signature };
}

export type RingSigner = {
  /** One-time keys of the ring's notes, in ring order. */
  ringKeys: readonly Point[];
  /** Position of the spent note in the ring. */
  index: number;
  /** The spent note's one-time secret x (x·G = P). */
  secretKey: bigint;
  observer: ObserverKey;
};

/** Sign a private transfer or unshield with the accountable ring signature. */
export function signRingTx<T extends UnsignedPrivateTransfer | UnsignedUnshield>(
  unsigned: T,
  chainId: bigint,
  signer: RingSigner,
): T & { ringSignature: Hex } {
  if (signer.observer.epoch !== unsigned.observerEpoch) {
    throw new ProtocolError('STALE_OBSERVER_EPOCH', 'observer key epoch differs from the transaction');
  }
  const sig = signRing({
    ring: signer.ringKeys,
    message: fromHex(privacyBodyHash(unsigned, chainId)),
    observer: signer.observer,
    index: signer.index,
    secretKey: signer.secretKey,
  });
  const bytes = encodeRingSignature(sig);
  return { ...unsigned, ringSignature: `0x${Buffer.from(bytes).toString('hex')}` as Hex };
}

/** msg = H(16, chainId, epoch, kx, ky), signed by the regulator admin. */
export function observerKeyMessage(tx: Pick<ObserverKeyTx, 'epoch' | 'key'>, chainId: bigint): bigint {
  return poseidon([BigInt(TxType.OBSERVER_KEY), chainId, tx.epoch, tx.key[0], tx.key[1]]);
}

export function signObserverKey(
  adminPrivateKey: Uint8Array,
  chainId: bigint,
  fields: Pick<ObserverKeyTx, 'epoch' | 'key'>,
): ObserverKeyTx {
  return {
    type: TxType.OBSERVER_KEY,
    ...fields,
    signature: signPoseidon(adminPrivateKey, observerKeyMessage(fields, chainId)),
  };
}
