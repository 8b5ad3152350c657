import { invert } from '@noble/curves/abstract/modular';
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { InvalidCertificateError, InvalidSignatureError } from './errors.ts';
import {
  type Address,
  type CommitCertificate,
  type Hex,
  MsgType,
  NIL_HASH,
  type SignedMessage,
  type UnsignedMessage,
  quorum,
} from './types.ts';

export const VOTE_TYPEHASH: Uint8Array = keccak_256(new TextEncoder().encode('tessera.vote.v1'));

export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

export function fromHex(hex: string): Uint8Array {
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  return hexToBytes(body);
}

export function keccak(bytes: Uint8Array): Hex {
  return toHex(keccak_256(bytes));
}

function writeUint(word: Uint8Array, value: bigint): void {
  let v = value;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    word[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * keccak256(abi.encode(bytes32 typehash, uint8 type, uint256 chainId, uint64 height, uint32 round,
 * bytes32 valueHash)) — what an L1 contract recomputes before `ecrecover`. Proposals (type 0)
 * append `int32 validRound` as a seventh word so the proposer also commits to its POL round.
 */
export function messageDigest(
  chainId: bigint,
  type: MsgType,
  height: bigint,
  round: number,
  valueHash: Hex,
  validRound?: number,
): Uint8Array {
  if (height < 0n || height > UINT64_MAX) throw new RangeError(`height out of uint64 range: ${height}`);
  if (!Number.isInteger(round) || round < 0 || round > 0xffffffff)
    throw new RangeError(`round out of uint32 range: ${round}`);
  const words = type === MsgType.Proposal ? 7 : 6;
  const buf = new Uint8Array(32 * words);
  buf.set(VOTE_TYPEHASH, 0);
  writeUint(buf.subarray(32, 64), BigInt(type));
  writeUint(buf.subarray(64, 96), chainId);
  writeUint(buf.subarray(96, 128), height);
  writeUint(buf.subarray(128, 160), BigInt(round));
  const vh = fromHex(valueHash);
  if (vh.length !== 32) throw new RangeError('valueHash must be 32 bytes');
  buf.set(vh, 160);
  if (type === MsgType.Proposal) {
    const vr = validRound ?? -1;
    if (!Number.isInteger(vr) || vr < -1 || vr > 0x7fffffff)
      throw new RangeError(`validRound out of range: ${vr}`);
    // int32 in abi.encode is sign-extended to 256 bits.
    writeUint(buf.subarray(192, 224), vr < 0 ? (1n << 256n) + BigInt(vr) : BigInt(vr));
  }
  return keccak_256(buf);
}

export function digestOf(chainId: bigint, msg: UnsignedMessage): Uint8Array {
  if (msg.type === MsgType.Proposal) {
    return messageDigest(chainId, msg.type, msg.height, msg.round, msg.valueHash, msg.validRound);
  }
  return messageDigest(chainId, msg.type, msg.height, msg.round, msg.valueHash);
}

export function addressOfPrivateKey(privateKey: Uint8Array): Address {
  const pub = secp256k1.getPublicKey(privateKey, false);
  return toHex(keccak_256(pub.subarray(1)).subarray(12));
}

/** Raw (no EIP-191 prefix) signature r‖s‖v with v ∈ {27, 28} and low s, as `ecrecover` expects. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Hex {
  const sig = secp256k1.sign(digest, privateKey, { lowS: true, prehash: false });
  const out = new Uint8Array(65);
  out.set(sig.toCompactRawBytes(), 0);
  out[64] = 27 + sig.recovery;
  return toHex(out);
}

const HALF_N = secp256k1.CURVE.n >> 1n;

/** The public key that signed `digest`; throws InvalidSignatureError like recoverSigner. */
function recoverKey(digest: Uint8Array, signature: Hex): CurvePoint {
  const { r, s, recovery } = parseRecoverable(signature);
  try {
    return new secp256k1.Signature(r, s, recovery).recoverPublicKey(digest);
  } catch (err) {
    throw new InvalidSignatureError(`signature does not recover: ${(err as Error).message}`);
  }
}

function addressOfPoint(q: CurvePoint): Address {
  return toHex(keccak_256(q.toRawBytes(false).subarray(1)).subarray(12));
}

/** Throws InvalidSignatureError unless `signature` is a canonical 65-byte signature of `digest`. */
export function recoverSigner(digest: Uint8Array, signature: Hex): Address {
  return addressOfPoint(recoverKey(digest, signature));
}

export function normalizeAddress(a: string): Address {
  return a.toLowerCase() as Address;
}

/** Holder of a validator key that signs 32-byte digests. */
export interface DigestSigner {
  readonly address: Address;
  signDigest(digest: Uint8Array): Hex;
}

export function secp256k1Signer(privateKey: Uint8Array): DigestSigner {
  const address = addressOfPrivateKey(privateKey);
  return { address, signDigest: (digest) => signDigest(digest, privateKey) };
}

/** Authenticates consensus messages: who signed this? */
export interface MessageVerifier {
  readonly chainId: bigint;
  /** The signer's address; throws InvalidSignatureError if the signature is malformed. */
  signerOf(msg: SignedMessage): Address;
  /**
   * Same, for a digest computed by the caller. `expected`, the address the signature claims, is a
   * hint (it may make the check cheaper): the result is the actual signer either way.
   */
  recover(digest: Uint8Array, signature: Hex, expected?: Address): Address;
  /** True iff the message is signed by the address it claims. */
  verify(msg: SignedMessage): boolean;
}

type CurvePoint = InstanceType<typeof secp256k1.ProjectivePoint>;

/** Parses r‖s‖v exactly as recoverSigner does; throws InvalidSignatureError for the same inputs. */
function parseRecoverable(signature: Hex): { r: bigint; s: bigint; recovery: number } {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(signature);
  } catch {
    throw new InvalidSignatureError('signature is not hex');
  }
  if (bytes.length !== 65) throw new InvalidSignatureError(`signature must be 65 bytes, got ${bytes.length}`);
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) throw new InvalidSignatureError(`signature v must be 27 or 28, got ${v}`);
  let sig: InstanceType<typeof secp256k1.Signature>;
  try {
    sig = secp256k1.Signature.fromCompact(bytes.subarray(0, 64));
  } catch (err) {
    throw new InvalidSignatureError(`signature does not recover: ${(err as Error).message}`);
  }
  if (sig.s > HALF_N) throw new InvalidSignatureError('signature s is not canonical (high s)');
  return { r: sig.r, s: sig.s, recovery: v - 27 };
}

const CURVE_N = secp256k1.CURVE.n;

/**
 * True iff recoverSigner(digest, signature) would return the address of `key` — without the
 * recovery. With R the point of x = r and y parity v - 27 that recovery decompresses, the
 * recovered key is Q = r⁻¹(s·R − h·G), so Q = key exactly when R = s⁻¹(h·G + r·key). That point is
 * computed with precomputed tables for G and `key` (a few times cheaper than recovering, whose
 * R is new every time) and compared with (r, v). Same parsing and low-s rule as recoverSigner.
 */
export function isSignedBy(digest: Uint8Array, signature: Hex, key: CurvePoint): boolean {
  let sig: { r: bigint; s: bigint; recovery: number };
  try {
    sig = parseRecoverable(signature);
  } catch {
    return false;
  }
  if (digest.length !== 32) return false;
  const h = BigInt(`0x${bytesToHex(digest)}`) % CURVE_N;
  const sInv = invert(sig.s, CURVE_N);
  const u1 = (h * sInv) % CURVE_N;
  const u2 = (sig.r * sInv) % CURVE_N;
  const G = secp256k1.ProjectivePoint.BASE;
  const R = (u1 === 0n ? secp256k1.ProjectivePoint.ZERO : G.multiply(u1)).add(key.multiply(u2));
  if (R.is0()) return false;
  const a = R.toAffine();
  return a.x === sig.r && Number(a.y & 1n) === sig.recovery;
}

/**
 * Signature checks dominate message handling (re-broadcasts repeat the same bytes), so recovered
 * signers are memoised by digest+signature in a bounded map. A signer's public key is learnt from
 * its first recovered signature; later signatures that claim that signer are checked against the
 * key (isSignedBy) instead of being recovered, and any that fail are recovered as before.
 */
export class SignatureVerifier implements MessageVerifier {
  private readonly cache = new Map<string, Address>();
  /** Objects never change after decoding: the same instance is re-checked for free. */
  private readonly byObject = new WeakMap<SignedMessage, Address>();
  /** Public keys (with multiplication tables) of signers seen, by address; bounded. */
  private readonly keys = new Map<Address, CurvePoint>();
  hits = 0;
  misses = 0;
  fastChecks = 0;
  constructor(
    readonly chainId: bigint,
    private readonly capacity = 20_000,
    private readonly maxKeys = 64,
  ) {}

  signerOf(msg: SignedMessage): Address {
    const known = this.byObject.get(msg);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    const claimed = msg.type === MsgType.Proposal ? msg.proposer : msg.validator;
    const signer = this.recover(digestOf(this.chainId, msg), msg.signature, claimed);
    this.byObject.set(msg, signer);
    return signer;
  }

  /**
   * The signer of `digest`; `expected` (the address the message claims) allows the cheaper check
   * against that signer's known key. The result is the same with or without it.
   */
  recover(digest: Uint8Array, signature: Hex, expected?: Address): Address {
    const key = `${bytesToHex(digest)}${signature}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    let signer: Address | undefined;
    const claimed = expected === undefined ? undefined : normalizeAddress(expected);
    const pub = claimed === undefined ? undefined : this.keys.get(claimed);
    if (pub && isSignedBy(digest, signature, pub)) {
      this.fastChecks++;
      signer = claimed!;
    } else {
      const q = recoverKey(digest, signature);
      signer = addressOfPoint(q);
      // Only a key that signed what it claims is learnt, so forged claims cannot fill the table.
      if (signer === claimed && !this.keys.has(signer) && this.keys.size < this.maxKeys)
        this.keys.set(signer, q.precompute(8));
    }
    if (this.cache.size >= this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, signer);
    return signer;
  }

  /** True iff the message is signed by the address it claims. */
  verify(msg: SignedMessage): boolean {
    const claimed = msg.type === MsgType.Proposal ? msg.proposer : msg.validator;
    try {
      return this.signerOf(msg) === normalizeAddress(claimed);
    } catch {
      return false;
    }
  }
}

/**
 * Checks a commit certificate: ≥ 2f+1 distinct validators of `validators` signed a precommit for
 * (height, round, valueHash). Throws InvalidCertificateError with the reason otherwise.
 */
export function verifyCertificate(
  cert: CommitCertificate,
  validators: readonly Address[],
  chainId: bigint,
  verifier?: MessageVerifier,
): true {
  const set = new Set(validators.map(normalizeAddress));
  if (verifier && verifier.chainId !== chainId) throw new RangeError('verifier is for another chain');
  if (cert.valueHash.toLowerCase() === NIL_HASH) throw new InvalidCertificateError('certificate is for nil');
  let digest: Uint8Array;
  try {
    digest = messageDigest(chainId, MsgType.Precommit, cert.height, cert.round, cert.valueHash);
  } catch (err) {
    throw new InvalidCertificateError(`malformed certificate: ${(err as Error).message}`);
  }
  const signers = new Set<Address>();
  for (const { validator, signature } of cert.signatures) {
    const claimed = normalizeAddress(validator);
    if (!set.has(claimed)) throw new InvalidCertificateError(`${validator} is not a validator`);
    let signer: Address;
    try {
      signer = verifier ? verifier.recover(digest, signature, claimed) : recoverSigner(digest, signature);
    } catch (err) {
      throw new InvalidCertificateError(`bad signature of ${validator}: ${(err as Error).message}`);
    }
    if (signer !== claimed)
      throw new InvalidCertificateError(`signature of ${validator} recovers to ${signer}`);
    signers.add(signer);
  }
  const need = quorum(set.size);
  if (signers.size < need) {
    throw new InvalidCertificateError(`certificate has ${signers.size} distinct precommits, needs ${need}`);
  }
  return true;
}

/** Boolean form of verifyCertificate. */
export function isValidCertificate(
  cert: CommitCertificate,
  validators: readonly Address[],
  chainId: bigint,
  verifier?: MessageVerifier,
): boolean {
  try {
    return verifyCertificate(cert, validators, chainId, verifier);
  } catch {
    return false;
  }
}

/** Deterministic devnet keys: keccak256("<seed>/validator/<i>"). Never for production. */
export function devValidatorKey(seed: string, index: number): Uint8Array {
  return keccak_256(new TextEncoder().encode(`${seed}/validator/${index}`));
}
