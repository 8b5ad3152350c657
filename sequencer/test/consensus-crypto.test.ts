import { encodeAbiParameters, keccak256, recoverAddress, toHex as viemToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import {
  decodeCertificate,
  decodeSignedMessage,
  encodeCertificate,
  encodeSignedMessage,
} from '../src/consensus/codec.ts';
import {
  SignatureVerifier,
  VOTE_TYPEHASH,
  addressOfPrivateKey,
  devValidatorKey,
  digestOf,
  isValidCertificate,
  messageDigest,
  recoverSigner,
  signDigest,
  toHex,
  verifyCertificate,
} from '../src/consensus/crypto.ts';
import { InvalidCertificateError } from '../src/consensus/errors.ts';
import {
  type CommitCertificate,
  type Hex,
  MsgType,
  NIL_HASH,
  type Proposal,
  type Vote,
} from '../src/consensus/types.ts';

const chainId = 31_337n;
const keys = [0, 1, 2, 3].map((i) => devValidatorKey('tessera-devnet', i));
const validators = keys.map(addressOfPrivateKey);
const valueHash = keccak256(viemToHex('block-7')) as Hex;

function precommit(i: number, height = 7n, round = 2, hash: Hex = valueHash): Vote {
  const v = { type: MsgType.Precommit, height, round, valueHash: hash, validator: validators[i]! } as const;
  return { ...v, signature: signDigest(digestOf(chainId, v), keys[i]!) };
}

describe('vote digest and signatures', () => {
  it('matches abi.encode of the documented tuple (what an L1 contract hashes)', () => {
    expect(toHex(VOTE_TYPEHASH)).toBe(keccak256(viemToHex('tessera.vote.v1')));
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: 'bytes32' },
          { type: 'uint8' },
          { type: 'uint256' },
          { type: 'uint64' },
          { type: 'uint32' },
          { type: 'bytes32' },
        ],
        [toHex(VOTE_TYPEHASH), 2, chainId, 123_456_789_012n, 4_000_000_000, valueHash],
      ),
    );
    expect(toHex(messageDigest(chainId, MsgType.Precommit, 123_456_789_012n, 4_000_000_000, valueHash))).toBe(
      expected,
    );
    const proposal = keccak256(
      encodeAbiParameters(
        [
          { type: 'bytes32' },
          { type: 'uint8' },
          { type: 'uint256' },
          { type: 'uint64' },
          { type: 'uint32' },
          { type: 'bytes32' },
          { type: 'int32' },
        ],
        [toHex(VOTE_TYPEHASH), 0, chainId, 5n, 3, valueHash, -1],
      ),
    );
    expect(toHex(messageDigest(chainId, MsgType.Proposal, 5n, 3, valueHash, -1))).toBe(proposal);
  });

  it('produces raw 65-byte signatures that ecrecover (viem recoverAddress) attributes to the validator', async () => {
    const digest = messageDigest(chainId, MsgType.Prevote, 9n, 0, valueHash);
    const sig = signDigest(digest, keys[1]!);
    expect(sig.length).toBe(2 + 130);
    expect([27, 28]).toContain(Number.parseInt(sig.slice(-2), 16));
    const recovered = await recoverAddress({ hash: toHex(digest), signature: sig });
    expect(recovered.toLowerCase()).toBe(validators[1]);
    expect(privateKeyToAccount(toHex(keys[1]!)).address.toLowerCase()).toBe(validators[1]);
    expect(recoverSigner(digest, sig)).toBe(validators[1]);
  });

  it('rejects high-s twins and wrong v', () => {
    const digest = messageDigest(chainId, MsgType.Prevote, 9n, 0, valueHash);
    const sig = signDigest(digest, keys[0]!);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const v = Number.parseInt(sig.slice(130), 16);
    const twin =
      `${sig.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    expect(() => recoverSigner(digest, twin)).toThrow(/high s/);
    expect(() => recoverSigner(digest, `${sig.slice(0, 130)}05` as Hex)).toThrow(/v must be/);
  });
});

describe('commit certificates', () => {
  const cert: CommitCertificate = {
    height: 7n,
    round: 2,
    valueHash,
    signatures: [0, 1, 3].map((i) => ({ validator: validators[i]!, signature: precommit(i).signature })),
  };

  it('accepts 3 distinct precommits of the validator set', () => {
    expect(verifyCertificate(cert, validators, chainId)).toBe(true);
    expect(isValidCertificate(cert, validators, chainId, new SignatureVerifier(chainId))).toBe(true);
  });

  it('rejects too few, duplicated, foreign, mismatched and nil certificates', () => {
    const two = { ...cert, signatures: cert.signatures.slice(0, 2) };
    expect(() => verifyCertificate(two, validators, chainId)).toThrow(InvalidCertificateError);
    const dup = { ...cert, signatures: [cert.signatures[0]!, cert.signatures[0]!, cert.signatures[1]!] };
    expect(() => verifyCertificate(dup, validators, chainId)).toThrow(/2 distinct precommits, needs 3/);
    const outsider = devValidatorKey('other', 0);
    const foreign = {
      ...cert,
      signatures: [
        ...cert.signatures.slice(0, 2),
        { validator: addressOfPrivateKey(outsider), signature: cert.signatures[2]!.signature },
      ],
    };
    expect(() => verifyCertificate(foreign, validators, chainId)).toThrow(/not a validator/);
    expect(() => verifyCertificate({ ...cert, round: 3 }, validators, chainId)).toThrow(/recovers to/);
    expect(() => verifyCertificate({ ...cert, height: 8n }, validators, chainId)).toThrow(
      InvalidCertificateError,
    );
    expect(() => verifyCertificate(cert, validators, chainId + 1n)).toThrow(InvalidCertificateError);
    expect(() => verifyCertificate({ ...cert, valueHash: NIL_HASH }, validators, chainId)).toThrow(/nil/);
    const swapped = {
      ...cert,
      signatures: [{ ...cert.signatures[0]!, validator: validators[2]! }, ...cert.signatures.slice(1)],
    };
    expect(() => verifyCertificate(swapped, validators, chainId)).toThrow(/recovers to/);
  });

  it('round-trips through the binary codec', () => {
    expect(decodeCertificate(encodeCertificate(cert))).toEqual(cert);
  });
});

describe('message codec', () => {
  it('round-trips proposals and votes and rejects malformed bytes', () => {
    const value = new Uint8Array([1, 2, 3, 4, 5]);
    const p0 = {
      type: MsgType.Proposal,
      height: 3n,
      round: 1,
      validRound: 0,
      value,
      valueHash,
      proposer: validators[0]!,
    } as const;
    const p: Proposal = { ...p0, signature: signDigest(digestOf(chainId, p0), keys[0]!) };
    expect(decodeSignedMessage(encodeSignedMessage(p))).toEqual(p);
    const v = precommit(2);
    expect(decodeSignedMessage(encodeSignedMessage(v))).toEqual(v);
    const bytes = encodeSignedMessage(v);
    expect(() => decodeSignedMessage(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeSignedMessage(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    const bad = bytes.slice();
    bad[0] = 9;
    expect(() => decodeSignedMessage(bad)).toThrow(/unknown message type/);
    const verifier = new SignatureVerifier(chainId);
    expect(verifier.verify(decodeSignedMessage(encodeSignedMessage(p)))).toBe(true);
    expect(verifier.verify({ ...v, round: 9 })).toBe(false);
  });
});
