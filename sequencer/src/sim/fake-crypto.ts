import { keccak_256 } from '@noble/hashes/sha3';
import { bytesToHex } from '@noble/hashes/utils';
import { type DigestSigner, type MessageVerifier, digestOf, toHex } from '../consensus/crypto.ts';
import { InvalidSignatureError } from '../consensus/errors.ts';
import { type Address, type Hex, MsgType, type SignedMessage } from '../consensus/types.ts';

/**
 * Simulated signatures: a signature is keccak(secret ‖ digest) and is valid iff the registry saw
 * its holder produce it — unforgeable inside the simulation (a Byzantine node can only sign with
 * its own key), at a fraction of secp256k1's cost so thousands of runs fit in CI. Real secp256k1
 * runs are a scenario option.
 */
export class FakeSignatureRegistry implements MessageVerifier {
  private readonly produced = new Map<string, Address>();
  /** Messages are shared objects inside the simulator, so each is checked once. */
  private readonly checked = new WeakMap<SignedMessage, Address>();

  constructor(readonly chainId: bigint) {}

  signer(index: number): DigestSigner {
    const address = toHex(keccak_256(new TextEncoder().encode(`sim-validator-${index}`)).subarray(12));
    return {
      address,
      signDigest: (digest: Uint8Array): Hex => {
        // Any unique string works: validity is "the registry saw this key produce it".
        const d = bytesToHex(digest);
        const sig = `0x${d}${index.toString(16).padStart(64, '0')}1b` as Hex;
        this.produced.set(`${d}${sig}`, address);
        return sig;
      },
    };
  }

  signerOf(msg: SignedMessage): Address {
    const hit = this.checked.get(msg);
    if (hit !== undefined) return hit;
    const who = this.recover(digestOf(this.chainId, msg), msg.signature);
    this.checked.set(msg, who);
    return who;
  }

  recover(digest: Uint8Array, signature: Hex): Address {
    const who = this.produced.get(`${bytesToHex(digest)}${signature}`);
    if (!who) throw new InvalidSignatureError('signature not produced by any simulated key');
    return who;
  }

  verify(msg: SignedMessage): boolean {
    const claimed = (msg.type === MsgType.Proposal ? msg.proposer : msg.validator).toLowerCase();
    try {
      return this.signerOf(msg) === claimed;
    } catch {
      return false;
    }
  }
}
