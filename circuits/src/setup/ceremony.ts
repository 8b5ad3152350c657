/**
 * Single-party DEVELOPMENT trusted setup (docs/SETUP.md): sample τ, α, β, δ from the OS CSPRNG,
 * derive the proving key (and optionally a matching phase-2-ready ptau) directly from them with
 * fixed-base multiplications in worker threads, then drop them.
 */
import { cpus } from 'node:os';
import { buildBn128 } from 'ffjavascript';
import { bn128GeneratorPointers, bn128WasmCode } from './bn128Code.ts';
import { chooseWindowBits, sampleSecrets } from './field.ts';
import { FixedBasePool } from './fixedBasePool.ts';
import { generateDevPtau, ptauPointCounts } from './ptau.ts';
import { readR1cs } from './r1cs.ts';
import { type Progress, generateDevZkey, zkeyPower } from './zkey.ts';

export type DevCeremonyRequest = {
  /** Circuit to set up: writes its proving key to `zkey`. */
  r1cs?: string;
  zkey?: string;
  /** Also write a phase-2-ready ptau from the same τ, α, β (for `snarkjs zkey verify`). */
  ptau?: { file: string; power: number };
  workers?: number;
  onProgress?: (stage: 'ptau' | 'zkey', done: number, total: number, label: string) => void;
};

export type DevCeremonyResult = { csHash?: string; ptauResponseHash?: string; domainSize?: number };

export async function runDevCeremony(req: DevCeremonyRequest): Promise<DevCeremonyResult> {
  const workers = req.workers ?? Math.max(1, cpus().length);
  // size the fixed-base tables for the work ahead
  const counts = { G1: 0, G2: 0 };
  if (req.ptau) {
    const c = ptauPointCounts(req.ptau.power);
    counts.G1 += c.G1;
    counts.G2 += c.G2;
  }
  let r1csInfo: { nWires: number; power: number } | undefined;
  if (req.r1cs) {
    const r = await readR1cs(req.r1cs);
    const power = zkeyPower(r.nConstraints, r.nOutputs + r.nPubInputs);
    r1csInfo = { nWires: r.nWires, power };
    counts.G1 += 5 * r.nWires + 2 ** (power + 1);
    counts.G2 += r.nWires;
  }
  const curve = await buildBn128(true);
  const pool = await FixedBasePool.start(
    {
      code: await bn128WasmCode(),
      generators: await bn128GeneratorPointers(),
      windowBits: { G1: chooseWindowBits(counts.G1 / workers), G2: chooseWindowBits(counts.G2 / workers) },
    },
    workers,
  );
  const secrets = sampleSecrets();
  try {
    const out: DevCeremonyResult = {};
    if (req.ptau) {
      const onProgress: Progress = (d, t, l) => req.onProgress?.('ptau', d, t, l);
      out.ptauResponseHash = await generateDevPtau(curve, pool, req.ptau.power, req.ptau.file, {
        secrets,
        onProgress,
      });
    }
    if (req.r1cs && req.zkey && r1csInfo) {
      const onProgress: Progress = (d, t, l) => req.onProgress?.('zkey', d, t, l);
      const z = await generateDevZkey(curve, pool, req.r1cs, req.zkey, secrets, { onProgress });
      out.csHash = z.csHash;
      out.domainSize = z.domainSize;
    }
    return out;
  } finally {
    // the toxic waste goes out of scope here; overwrite our references to it as well
    secrets.tau = secrets.alpha = secrets.beta = secrets.delta = 0n;
    await pool.close();
    await curve.terminate();
  }
}
