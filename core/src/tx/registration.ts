import { secp256k1 } from '@noble/curves/secp256k1';
import { type Hex, hashMessage, toHex as viemToHex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { type Point, registrationMessage } from '../crypto/index.ts';

/**
 * Synchronous check of the EIP-191 signature binding an Ethereum address to an L2 key (the same
 * check L1 does with ecrecover). Synchronous because the state transition is; viem's verifyMessage
 * is async only for smart-contract wallets, which registration does not accept.
 */
export function isValidRegistrationBinding(
  ethAddress: Hex,
  publicKey: Point,
  chainId: bigint,
  binding: Hex,
): boolean {
  try {
    const message = registrationMessage(ethAddress, publicKey, chainId) as string | Uint8Array;
    const digest = hashMessage(typeof message === 'string' ? message : { raw: message });
    const raw = Buffer.from(binding.slice(2), 'hex');
    if (raw.length !== 65) return false;
    const v = raw[64]!;
    const recovery = v >= 27 ? v - 27 : v;
    if (recovery !== 0 && recovery !== 1) return false;
    const sig = secp256k1.Signature.fromCompact(raw.subarray(0, 64)).addRecoveryBit(recovery);
    if (sig.hasHighS()) return false;
    const pub = sig.recoverPublicKey(digest.slice(2)).toRawBytes(false);
    return publicKeyToAddress(viemToHex(pub)).toLowerCase() === ethAddress.toLowerCase();
  } catch {
    return false;
  }
}
