import { voteDigest } from '@tessera/contracts';
import { type Address, type Hex, recoverAddress } from 'viem';

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** Distinct current sequencers whose precommits the rollup requires (of 4). */
export const QUORUM = 3;

/** Who signed `signature` over `digest`, or undefined where the rollup's ecrecover check would reject it. */
export async function recoverVoter(digest: Hex, signature: Hex): Promise<Address | undefined> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130, 132), 16);
  if (s > SECP256K1_HALF_N || ![0, 1, 27, 28].includes(v)) return undefined;
  try {
    return (await recoverAddress({ hash: digest, signature })).toLowerCase() as Address;
  } catch {
    return undefined;
  }
}

export function splitSignatures(concatenated: Hex): Hex[] {
  return (concatenated.slice(2).match(/.{130}/g) ?? []).map((s) => `0x${s}` as Hex);
}

/**
 * Checks a commit certificate as the rollup does: each signature recovers to a distinct member of
 * `members` over the precommit digest of (chainId, height, round, blockHash).
 */
export async function checkCertificate(
  chainId: bigint,
  height: bigint,
  round: number,
  blockHash: Hex,
  signatures: readonly Hex[],
  members: readonly Address[],
): Promise<{ ok: boolean; signers: Address[]; problems: string[] }> {
  const set = new Set(members.map((m) => m.toLowerCase()));
  const digest = voteDigest(chainId, height, round, blockHash);
  const signers: Address[] = [];
  const problems: string[] = [];
  for (const [i, sig] of signatures.entries()) {
    const who = await recoverVoter(digest, sig);
    if (!who) problems.push(`signature ${i} is malformed or malleable`);
    else if (!set.has(who)) problems.push(`signature ${i} is by ${who}, not a current sequencer`);
    else if (signers.includes(who)) problems.push(`signature ${i} repeats signer ${who}`);
    else signers.push(who);
  }
  return { ok: signers.length >= QUORUM && problems.length === 0, signers, problems };
}
