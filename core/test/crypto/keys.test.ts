import {
  type Hex,
  concat,
  hexToBytes,
  keccak256,
  numberToHex,
  recoverAddress,
  stringToBytes,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import {
  InvalidEthSignatureError,
  L2_KEY_DERIVATION_MESSAGE,
  REGISTRATION_DOMAIN,
  isInPrimeSubgroup,
  l2PrivateKeyFromEthSignature,
  privateKeyToPublicKey,
  registrationMessage,
  registrationPayload,
  signPoseidon,
  verifyPoseidon,
  verifyRegistrationBinding,
} from '../../src/crypto/index.ts';

// Fixed test keys (anvil's first two dev accounts).
const alice = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const bob = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const sign = (account: typeof alice) => account.signMessage({ message: L2_KEY_DERIVATION_MESSAGE });

function withVS(sig: Hex, v: number, s?: bigint): Hex {
  const b = hexToBytes(sig);
  if (s !== undefined) b.set(hexToBytes(numberToHex(s, { size: 32 })), 32);
  b[64] = v;
  return toHex(b);
}

describe('L2 key derivation from an Ethereum signature', () => {
  it('is deterministic per wallet and differs between wallets', async () => {
    expect(L2_KEY_DERIVATION_MESSAGE).toContain('Tessera');
    const s1 = await sign(alice);
    const s2 = await sign(alice);
    expect(s2).toBe(s1);
    const k1 = l2PrivateKeyFromEthSignature(s1);
    expect(k1).toBeInstanceOf(Uint8Array);
    expect(k1).toHaveLength(32);
    expect(l2PrivateKeyFromEthSignature(s2)).toEqual(k1);
    const kb = l2PrivateKeyFromEthSignature(await sign(bob));
    expect(Buffer.from(kb).equals(Buffer.from(k1))).toBe(false);
    // the derived key is a working EdDSA key
    const pub = privateKeyToPublicKey(k1);
    expect(isInPrimeSubgroup(pub)).toBe(true);
    expect(verifyPoseidon(42n, signPoseidon(k1, 42n), pub)).toBe(true);
  });

  it('is the same for every encoding of the same signature (v as 0/1 or 27/28, high-s twin)', async () => {
    const sig = await sign(alice);
    const key = l2PrivateKeyFromEthSignature(sig);
    const v = hexToBytes(sig)[64]!;
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    expect(l2PrivateKeyFromEthSignature(withVS(sig, v - 27))).toEqual(key);
    const flipped = v === 27 ? 28 : 27;
    expect(l2PrivateKeyFromEthSignature(withVS(sig, flipped, N - s))).toEqual(key);
    // a different v alone is a different signature (other recovered key): different L2 key
    expect(Buffer.from(l2PrivateKeyFromEthSignature(withVS(sig, flipped))).equals(Buffer.from(key))).toBe(
      false,
    );
  });

  it('rejects malformed signatures with a named error', async () => {
    const sig = await sign(alice);
    const bad = [
      sig.slice(0, 130),
      `${sig}00`,
      `0x${'zz'.repeat(65)}`,
      withVS(sig, 5),
      `0x${'00'.repeat(64)}1b`,
    ];
    for (const b of bad)
      expect(() => l2PrivateKeyFromEthSignature(b as Hex)).toThrowError(InvalidEthSignatureError);
  });
});

describe('registration binding', () => {
  const publicKey = privateKeyToPublicKey(hexToBytes(keccak256(toHex('l2-alice'))));
  const otherKey = privateKeyToPublicKey(hexToBytes(keccak256(toHex('l2-bob'))));
  const chainId = 31337n;

  it('payload layout is abi.encodePacked(domain, chainId, address, x, y)', () => {
    const payload = hexToBytes(registrationPayload(alice.address, publicKey, chainId));
    const domain = stringToBytes(REGISTRATION_DOMAIN);
    expect(payload).toHaveLength(domain.length + 32 + 20 + 64);
    expect(payload.subarray(0, domain.length)).toEqual(domain);
    let o = domain.length;
    expect(BigInt(toHex(payload.subarray(o, o + 32)))).toBe(chainId);
    o += 32;
    expect(toHex(payload.subarray(o, o + 20))).toBe(alice.address.toLowerCase());
    o += 20;
    expect(BigInt(toHex(payload.subarray(o, o + 32)))).toBe(publicKey[0]);
    expect(BigInt(toHex(payload.subarray(o + 32, o + 64)))).toBe(publicKey[1]);
    expect(registrationMessage(alice.address, publicKey, chainId)).toEqual(hexToBytes(keccak256(payload)));
  });

  it('verifies the wallet signature and fails for another address, key or chain', async () => {
    const message = registrationMessage(alice.address, publicKey, chainId);
    const binding = await alice.signMessage({ message: { raw: message } });
    expect(await verifyRegistrationBinding(alice.address, publicKey, chainId, binding)).toBe(true);
    expect(
      await verifyRegistrationBinding(alice.address.toLowerCase() as Hex, publicKey, 31337, binding),
    ).toBe(true);
    expect(await verifyRegistrationBinding(bob.address, publicKey, chainId, binding)).toBe(false);
    expect(await verifyRegistrationBinding(alice.address, otherKey, chainId, binding)).toBe(false);
    expect(await verifyRegistrationBinding(alice.address, publicKey, 1n, binding)).toBe(false);
    const bobBinding = await bob.signMessage({ message: { raw: message } });
    expect(await verifyRegistrationBinding(alice.address, publicKey, chainId, bobBinding)).toBe(false);
    // malformed input: false, never a throw
    expect(await verifyRegistrationBinding(alice.address, publicKey, chainId, '0x1234')).toBe(false);
    expect(await verifyRegistrationBinding('0xnope' as Hex, publicKey, chainId, binding)).toBe(false);
    expect(await verifyRegistrationBinding(alice.address, [1n, 2n], chainId, binding)).toBe(false);
    expect(await verifyRegistrationBinding(alice.address, publicKey, 0n, binding)).toBe(false);
  });

  it('matches the L1 check ecrecover(toEthSignedMessageHash(keccak256(payload)))', async () => {
    const payload = registrationPayload(alice.address, publicKey, chainId);
    const binding = await alice.signMessage({
      message: { raw: registrationMessage(alice.address, publicKey, chainId) },
    });
    const ethSigned = keccak256(concat([toHex('\x19Ethereum Signed Message:\n32'), keccak256(payload)]));
    expect(await recoverAddress({ hash: ethSigned, signature: binding })).toBe(alice.address);
  });
});
