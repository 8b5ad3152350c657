// The seam between the poster and the prover: the poster asks for the proof of the next batch to
// verify and checks its public input against the one L1 derived at commit time before paying gas.
import { z } from 'zod';

export type SolidityProof = {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
};

export type BatchProof = SolidityProof & { publicInput: bigint };

export interface ProofSource {
  /** The Groth16 proof of block `height`, or null while it is not ready. */
  getProof(height: bigint): Promise<BatchProof | null>;
}

/** snarkjs `groth16.prove/fullProve` output → `verifyBatch` argument (G2 limbs swap for the precompile). */
export function proofFromSnarkjs(
  proof: { pi_a: readonly string[]; pi_b: readonly (readonly string[])[]; pi_c: readonly string[] },
  publicSignals: readonly string[],
): BatchProof {
  if (publicSignals.length !== 1)
    throw new Error(`the batch circuit has one public input, got ${publicSignals.length}`);
  const n = (s: string | undefined) => BigInt(s!);
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(proof.pi_b[0]![1]), n(proof.pi_b[0]![0])],
      [n(proof.pi_b[1]![1]), n(proof.pi_b[1]![0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
    publicInput: n(publicSignals[0]),
  };
}

const dec = z
  .union([z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const ProofJson = z.union([
  z.object({
    a: z.tuple([dec, dec]),
    b: z.tuple([z.tuple([dec, dec]), z.tuple([dec, dec])]),
    c: z.tuple([dec, dec]),
    publicInput: dec,
  }),
  z.object({
    proof: z
      .object({
        pi_a: z.array(z.string()).min(2),
        pi_b: z.array(z.array(z.string()).min(2)).min(2),
        pi_c: z.array(z.string()).min(2),
      })
      .passthrough(),
    publicSignals: z.array(z.string()),
  }),
]);

/** Parses either the Solidity layout `{a, b, c, publicInput}` or raw snarkjs `{proof, publicSignals}`. */
export function parseProof(json: unknown): BatchProof {
  const p = ProofJson.parse(json);
  if ('proof' in p) return proofFromSnarkjs(p.proof, p.publicSignals);
  return p;
}

/**
 * A prover reachable over HTTP: `GET {url}/proofs/{height}` answers 200 with a proof (either layout)
 * or 404 while it is not ready.
 */
export class HttpProofSource implements ProofSource {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async getProof(height: bigint): Promise<BatchProof | null> {
    const res = await fetch(`${this.url.replace(/\/$/, '')}/proofs/${height}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`prover answered HTTP ${res.status} for proof ${height}`);
    return parseProof(await res.json());
  }
}
