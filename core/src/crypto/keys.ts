/**
 * L2 keys from Ethereum wallets, and the registration binding of an Ethereum address to an L2
 * public key. See docs/KEYS.md for the scheme and its L1 counterpart.
 */
import {
  type Address,
  type Hex,
  bytesToHex,
  concat,
  getAddress,
  hexToBytes,
  isAddress,
  isHex,
  keccak256,
  numberToHex,
  stringToBytes,
  verifyMessage,
} from 'viem';
import { type Point, isOnCurve } from './babyjub.ts';
import { InvalidArgumentError, InvalidEthSignatureError, InvalidPointError } from './errors.ts';

/**
 * The fixed message a wallet signs (EIP-191 personal_sign, e.g. viem `signMessage`) to derive its
 * L2 key. Changing a single byte changes every derived key: treat it as part of the protocol.
 */
export const L2_KEY_DERIVATION_MESSAGE: string = [
  'Tessera L2 key derivation (v1)',
  '',
  'Sign this message to derive your Tessera L2 account key.',
  'Only sign it inside a Tessera wallet: anyone who obtains this signature controls your L2 account.',
  'Signing is free and does not send a transaction.',
].join('\n');

/** Domain tag hashed in front of the signature so the derived key is specific to this use. */
export const L2_KEY_DERIVATION_DOMAIN = 'tessera/l2-key-derivation/v1';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Derives the 32-byte BabyJubJub private key from a 65-byte (r || s || v) ECDSA signature of
 * L2_KEY_DERIVATION_MESSAGE: keccak256(utf8(domain) || r || s || v) after normalising the
 * signature to low-s with v in {27, 28}, so every valid encoding of the same signature (v as
 * 0/1 or 27/28, high-s twin) yields the same key. RFC 6979 signing makes the signature, and so the
 * key, a deterministic function of the wallet's secp256k1 key.
 */
export function l2PrivateKeyFromEthSignature(signature: `0x${string}`): Uint8Array {
  if (typeof signature !== 'string' || !isHex(signature, { strict: true }) || signature.length !== 132) {
    throw new InvalidEthSignatureError('expected a 65-byte hex signature (r || s || v)');
  }
  const bytes = hexToBytes(signature);
  const r = BigInt(bytesToHex(bytes.subarray(0, 32)));
  let s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  let v = bytes[64]!;
  if (v === 0 || v === 1) v += 27;
  if (v !== 27 && v !== 28) throw new InvalidEthSignatureError(`invalid recovery byte v = ${bytes[64]}`);
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
    throw new InvalidEthSignatureError('r and s must be in [1, n)');
  }
  if (s > SECP256K1_N / 2n) {
    s = SECP256K1_N - s;
    v = v === 27 ? 28 : 27;
  }
  const digest = keccak256(
    concat([
      stringToBytes(L2_KEY_DERIVATION_DOMAIN),
      hexToBytes(numberToHex(r, { size: 32 })),
      hexToBytes(numberToHex(s, { size: 32 })),
      Uint8Array.of(v),
    ]),
  );
  return hexToBytes(digest);
}

/** Domain tag at the start of the registration payload. */
export const REGISTRATION_DOMAIN = 'Tessera account registration v1';

function checkBindingArgs(ethAddress: string, publicKey: Point, chainId: number | bigint): void {
  if (typeof ethAddress !== 'string' || !isAddress(ethAddress, { strict: false })) {
    throw new InvalidArgumentError(`invalid Ethereum address ${String(ethAddress)}`);
  }
  if (!isOnCurve(publicKey)) throw new InvalidPointError('publicKey is not a BabyJubJub point');
  const ok =
    (typeof chainId === 'number' && Number.isSafeInteger(chainId) && chainId > 0) ||
    (typeof chainId === 'bigint' && chainId > 0n && chainId < 1n << 256n);
  if (!ok) throw new InvalidArgumentError('chainId must be a positive integer');
}

/**
 * The registration payload: abi.encodePacked(string domain, uint256 chainId, address ethAddress,
 * uint256 pubX, uint256 pubY), i.e. utf8(REGISTRATION_DOMAIN) || chainId (32 bytes BE) ||
 * address (20 bytes) || x (32 bytes BE) || y (32 bytes BE). A contract rebuilds it with
 * abi.encodePacked and hashes it with keccak256.
 */
export function registrationPayload(ethAddress: Address, publicKey: Point, chainId: number | bigint): Hex {
  checkBindingArgs(ethAddress, publicKey, chainId);
  return concat([
    bytesToHex(stringToBytes(REGISTRATION_DOMAIN)),
    numberToHex(BigInt(chainId), { size: 32 }),
    getAddress(ethAddress),
    numberToHex(publicKey[0], { size: 32 }),
    numberToHex(publicKey[1], { size: 32 }),
  ]);
}

/**
 * The exact bytes the Ethereum wallet signs (EIP-191 personal_sign) to bind its address to the
 * L2 key: the 32-byte digest keccak256(registrationPayload(...)), signed as a raw message, i.e.
 * viem `signMessage({ message: { raw: registrationMessage(...) } })`. On L1 the same check is
 * `ecrecover(MessageHashUtils.toEthSignedMessageHash(keccak256(payload)), v, r, s) == ethAddress`.
 */
export function registrationMessage(
  ethAddress: Address,
  publicKey: Point,
  chainId: number | bigint,
): Uint8Array {
  return hexToBytes(keccak256(registrationPayload(ethAddress, publicKey, chainId)));
}

/** True when `ecdsaSignature` is ethAddress' EIP-191 signature of registrationMessage(...). Never throws. */
export async function verifyRegistrationBinding(
  ethAddress: Address,
  publicKey: Point,
  chainId: number | bigint,
  ecdsaSignature: Hex,
): Promise<boolean> {
  try {
    const message = registrationMessage(ethAddress, publicKey, chainId);
    return await verifyMessage({
      address: getAddress(ethAddress),
      message: { raw: message },
      signature: ecdsaSignature,
    });
  } catch {
    return false;
  }
}
