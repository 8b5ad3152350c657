import { voteDigest } from '@tessera/contracts';
import { QUORUM, recoverVoter } from '@tessera/sdk/auditor/certificate';
import { type Address, type Hex, concatHex } from 'viem';
import type { BlockCertificate } from './blockSource.ts';
import { CertificateError } from './errors.ts';

/**
 * The certificate argument of `commitBatch`: exactly `QUORUM` signatures by distinct members of the
 * current L1 sequencer set (fewer signatures = less calldata and fewer ecrecovers; a signature by a
 * rotated-out key would revert the whole commit).
 */
export async function l1Certificate(
  cert: BlockCertificate,
  chainId: bigint,
  sequencers: readonly Address[],
): Promise<{ round: number; signatures: Hex; signers: Address[] }> {
  const members = new Set(sequencers.map((a) => a.toLowerCase()));
  const digest = voteDigest(chainId, cert.height, cert.round, cert.valueHash);
  const chosen: Hex[] = [];
  const signers: Address[] = [];
  for (const { signature } of cert.signatures) {
    const who = await recoverVoter(digest, signature);
    if (!who || !members.has(who) || signers.includes(who)) continue;
    chosen.push(signature);
    signers.push(who);
    if (chosen.length === QUORUM) break;
  }
  if (chosen.length < QUORUM) {
    throw new CertificateError(
      `block ${cert.height}: only ${chosen.length} of ${cert.signatures.length} signatures are by distinct current L1 sequencers (need ${QUORUM})`,
    );
  }
  return { round: cert.round, signatures: concatHex(chosen), signers };
}
