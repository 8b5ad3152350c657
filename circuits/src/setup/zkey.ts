/**
 * Groth16 proving key (snarkjs .zkey) of a DEVELOPMENT ceremony, computed directly from the
 * toxic waste instead of from a ptau file.
 *
 * `snarkjs zkey new` builds every query point as a multi-exponentiation over the ptau's
 * Lagrange-basis points, one variable-base multiplication per R1CS coefficient (minutes for a
 * few tens of thousands of constraints). Knowing τ, α, β, δ, each point is a single field value
 * times a generator: u_s(τ) = Σ_c A[c][s]·L_c(τ) and likewise v_s, w_s are accumulated in the field,
 * then multiplied with the fixed-base tables of the ceremony workers.
 *
 * The file is exactly what `zkey new` (on a ptau of the same τ, α, β) followed by one
 * `zkey contribute` with secret δ writes: same sections, same circuit hash (csHash, computed over
 * the δ = 1 points), same contribution record. `snarkjs zkey verify` accepts it (tested at a small
 * size together with the matching ptau).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SetupError } from '../errors.ts';
import { type DevSecrets, R, hashToG2, invMod, lagrangeAt, mod, powMod, rootsOfUnity } from './field.ts';
import type { FixedBasePool } from './fixedBasePool.ts';
import type { FixedBaseResult, FixedBaseTask } from './fixedBaseWorker.ts';
import { contributionParams, u32, u64 } from './ptau.ts';
import { readR1cs } from './r1cs.ts';
import { BN254_Q, type GroupName, toLE } from './wasmCurve.ts';

export type Progress = (done: number, total: number, label: string) => void;

/** snarkjs's domain power: bit length of constraints + public signals. */
export function zkeyPower(nConstraints: number, nPublic: number): number {
  return Math.floor(Math.log2(nConstraints + nPublic)) + 1;
}

const CHUNK = 1 << 13;

function scalarsToBytes(values: bigint[], start: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) {
    let v = values[start + i]!;
    for (let j = 0; j < 32 && v > 0n; j++) {
      out[i * 32 + j] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return out;
}

export type DevZkeyOptions = { name?: string; onProgress?: Progress };

export async function generateDevZkey(
  curve: any,
  pool: FixedBasePool,
  r1csPath: string,
  zkeyPath: string,
  secrets: DevSecrets,
  options: DevZkeyOptions = {},
): Promise<{ csHash: string; domainSize: number }> {
  const { G1, G2, Fr } = curve;
  const { tau, alpha, beta, delta } = secrets;
  const r1cs = await readR1cs(r1csPath);
  if (r1cs.prime !== R) throw new SetupError('BAD_R1CS', 'r1cs is not over the BN254 scalar field');
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  const nVars = r1cs.nWires;
  const nPriv = nVars - nPublic - 1;
  const power = zkeyPower(r1cs.nConstraints, nPublic);
  const n = 2 ** power;
  const omegas = rootsOfUnity(Fr, power + 1);

  // ---- field side: u, v, w of every signal at τ
  const rows = r1cs.nConstraints + nPublic + 1;
  const L = lagrangeAt(tau, omegas[power]!, n, rows);
  const u = new Array<bigint>(nVars).fill(0n);
  const v = new Array<bigint>(nVars).fill(0n);
  const w = new Array<bigint>(nVars).fill(0n);
  const coefEntries: { m: number; c: number; s: number; value: bigint }[] = [];
  r1cs.constraints.forEach(([a, b, c], k) => {
    const lk = L[k]!;
    for (let i = 0; i < a.signals.length; i++) {
      const s = a.signals[i]!;
      u[s] = (u[s]! + a.coeffs[i]! * lk) % R;
      coefEntries.push({ m: 0, c: k, s, value: a.coeffs[i]! });
    }
    for (let i = 0; i < b.signals.length; i++) {
      const s = b.signals[i]!;
      v[s] = (v[s]! + b.coeffs[i]! * lk) % R;
      coefEntries.push({ m: 1, c: k, s, value: b.coeffs[i]! });
    }
    for (let i = 0; i < c.signals.length; i++) {
      const s = c.signals[i]!;
      w[s] = (w[s]! + c.coeffs[i]! * lk) % R;
    }
  });
  // public signals (and ONE) get an extra A row each, so their u_s are independent
  for (let s = 0; s <= nPublic; s++) {
    u[s] = (u[s]! + L[r1cs.nConstraints + s]!) % R;
    coefEntries.push({ m: 0, c: r1cs.nConstraints + s, s, value: 1n });
  }
  const k = (s: number) => (beta * u[s]! + alpha * v[s]! + w[s]!) % R;
  const ic = Array.from({ length: nPublic + 1 }, (_, s) => k(s));
  const cInit = Array.from({ length: nPriv }, (_, i) => k(nPublic + 1 + i));
  const deltaInv = invMod(delta);
  const cFinal = cInit.map((x) => (x * deltaInv) % R);

  // ---- group side
  type Job = { group: GroupName; scalars: bigint[]; lem: boolean; u: boolean };
  const jobs: Record<string, Job> = {
    IC: { group: 'G1', scalars: ic, lem: true, u: true },
    C0: { group: 'G1', scalars: cInit, lem: false, u: true },
    C: { group: 'G1', scalars: cFinal, lem: true, u: false },
    A: { group: 'G1', scalars: u, lem: true, u: true },
    B1: { group: 'G1', scalars: v, lem: true, u: true },
    B2: { group: 'G2', scalars: v, lem: true, u: true },
  };
  // H: the odd points of the Lagrange basis of the domain 2n (snarkjs's choice), over δ;
  // and, for the circuit hash only, (τ^(n+i) − τ^i)·G1 as zkey new hashes them (it hashes n points
  // once n − 1 exceeds its 2^14 chunk, else n − 1).
  const hHashCount = n - 1 > 1 << 14 ? n : n - 1;
  const weight = (g: GroupName) => (g === 'G2' ? 4 : 1);
  let total = n + hHashCount;
  for (const j of Object.values(jobs)) total += j.scalars.length * weight(j.group);
  let done = 0;
  const tick = (count: number, g: GroupName, label: string) => {
    done += count * weight(g);
    options.onProgress?.(done, total, label);
  };

  const runScalars = async (name: string, job: Job): Promise<{ lem: Uint8Array[]; u: Uint8Array[] }> => {
    const tasks: Promise<FixedBaseResult>[] = [];
    for (let start = 0; start < job.scalars.length; start += CHUNK) {
      const count = Math.min(CHUNK, job.scalars.length - start);
      const task: FixedBaseTask = {
        kind: 'scalars',
        group: job.group,
        scalars: scalarsToBytes(job.scalars, start, count),
        count,
        forms: { uncompressed: job.u },
      };
      tasks.push(pool.run(task));
    }
    const lem: Uint8Array[] = [];
    const un: Uint8Array[] = [];
    for (const t of tasks) {
      const r = await t;
      if (job.lem) lem.push(r.lem);
      if (r.uncompressed) un.push(r.uncompressed);
      tick(r.lem.length / (job.group === 'G1' ? 64 : 128), job.group, `zkey ${name}`);
    }
    return { lem, u: un };
  };
  const runTasks = async (
    name: string,
    make: (start: number, count: number) => FixedBaseTask,
    count: number,
  ) => {
    const tasks: Promise<FixedBaseResult>[] = [];
    for (let start = 0; start < count; start += CHUNK)
      tasks.push(pool.run(make(start, Math.min(CHUNK, count - start))));
    const out: FixedBaseResult[] = [];
    for (const t of tasks) {
      const r = await t;
      out.push(r);
      tick(r.lem.length / 64, 'G1', `zkey ${name}`);
    }
    return out;
  };

  const omega2n = omegas[power + 1]!;
  const omegaN = omegas[power]!;
  const hA = mod((powMod(tau, BigInt(2 * n)) - 1n) * invMod(BigInt(2 * n)) * deltaInv);
  const hPoints = await runTasks(
    'H',
    (start, count) => ({
      kind: 'lagrange',
      group: 'G1',
      count,
      omegaStart: mod(omega2n * powMod(omegaN, BigInt(start))).toString(),
      omega: omegaN.toString(),
      tau: tau.toString(),
      a: hA.toString(),
      b: '0',
      forms: {},
    }),
    n,
  );
  const tauN1 = mod(powMod(tau, BigInt(n)) - 1n);
  const hHash = await runTasks(
    'H hash',
    (start, count) => ({
      kind: 'geom',
      group: 'G1',
      first: mod(tauN1 * powMod(tau, BigInt(start))).toString(),
      ratio: tau.toString(),
      count,
      forms: { uncompressed: true },
    }),
    hHashCount,
  );
  const pts: Record<string, { lem: Uint8Array[]; u: Uint8Array[] }> = {};
  for (const [name, job] of Object.entries(jobs)) pts[name] = await runScalars(name, job);

  // ---- header points and circuit hash
  const g1 = (x: bigint) => G1.toAffine(G1.timesFr(G1.g, Fr.e(x)));
  const g2 = (x: bigint) => G2.toAffine(G2.timesFr(G2.g, Fr.e(x)));
  const lem1 = (p: unknown) => {
    const b = new Uint8Array(64);
    G1.toRprLEM(b, 0, p);
    return b;
  };
  const lem2 = (p: unknown) => {
    const b = new Uint8Array(128);
    G2.toRprLEM(b, 0, p);
    return b;
  };
  const un1 = (p: unknown) => {
    const b = new Uint8Array(64);
    G1.toRprUncompressed(b, 0, p);
    return b;
  };
  const un2 = (p: unknown) => {
    const b = new Uint8Array(128);
    G2.toRprUncompressed(b, 0, p);
    return b;
  };
  const be32 = (x: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, x, false);
    return b;
  };
  const alpha1 = g1(alpha);
  const beta1 = g1(beta);
  const beta2 = g2(beta);
  const cs = createHash('blake2b512');
  for (const b of [un1(alpha1), un1(beta1), un2(beta2), un2(G2.g), un1(G1.g), un2(G2.g)]) cs.update(b);
  cs.update(be32(nPublic + 1));
  for (const b of pts.IC!.u) cs.update(b);
  cs.update(be32(n - 1));
  for (const r of hHash) cs.update(r.uncompressed!);
  cs.update(be32(nPriv));
  for (const b of pts.C0!.u) cs.update(b);
  for (const name of ['A', 'B1', 'B2']) {
    cs.update(be32(nVars));
    for (const b of pts[name]!.u) cs.update(b);
  }
  const csHash = new Uint8Array(cs.digest());

  // ---- the phase-2 contribution record for δ (as `zkey contribute` writes it)
  const s = mod(BigInt(`0x${randomBytes(64).toString('hex')}`));
  const g1s = g1(s);
  const g1sx = G1.toAffine(G1.timesFr(g1s, Fr.e(delta)));
  const transcript = new Uint8Array(
    createHash('blake2b512').update(csHash).update(un1(g1s)).update(un1(g1sx)).digest(),
  );
  const g2spx = G2.toAffine(G2.timesFr(hashToG2(curve, transcript), Fr.e(delta)));
  const delta1 = g1(delta);
  const delta2 = g2(delta);

  // ---- write the file (section order as `zkey contribute` writes it)
  const fh = await open(zkeyPath, 'w');
  let pos = 0;
  const write = async (b: Uint8Array) => {
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  };
  const section = async (id: number, parts: Uint8Array[]) => {
    const size = parts.reduce((a, p) => a + p.length, 0);
    await write(u32(id));
    await write(u64(size));
    for (const p of parts) await write(p);
  };
  try {
    await write(new TextEncoder().encode('zkey'));
    await write(u32(1));
    await write(u32(10));
    await section(1, [u32(1)]);
    await section(2, [
      u32(32),
      toLE(BN254_Q, 32),
      u32(32),
      toLE(R, 32),
      u32(nVars),
      u32(nPublic),
      u32(n),
      lem1(alpha1),
      lem1(beta1),
      lem2(beta2),
      lem2(G2.g),
      lem1(delta1),
      lem2(delta2),
    ]);
    await section(3, pts.IC!.lem);
    // coefficients of A and B for the prover, as n·R² mod r (its Montgomery convention)
    const R2 = mod((1n << 256n) % R) ** 2n % R;
    const coefs = new Uint8Array(4 + coefEntries.length * 44);
    const cdv = new DataView(coefs.buffer);
    cdv.setUint32(0, coefEntries.length, true);
    coefEntries.forEach((e, i) => {
      const o = 4 + i * 44;
      cdv.setUint32(o, e.m, true);
      cdv.setUint32(o + 4, e.c, true);
      cdv.setUint32(o + 8, e.s, true);
      coefs.set(toLE((e.value * R2) % R, 32), o + 12);
    });
    await section(4, [coefs]);
    await section(5, pts.A!.lem);
    await section(6, pts.B1!.lem);
    await section(7, pts.B2!.lem);
    await section(8, pts.C!.lem);
    await section(
      9,
      hPoints.map((r) => r.lem),
    );
    const params = contributionParams(
      options.name ?? 'tessera development phase 2 (single party, NOT for production)',
    );
    await section(10, [
      csHash,
      u32(1),
      lem1(delta1),
      lem1(g1s),
      lem1(g1sx),
      lem2(g2spx),
      transcript,
      u32(0),
      ...params,
    ]);
  } finally {
    await fh.close();
  }
  return { csHash: Buffer.from(csHash).toString('hex'), domainSize: n };
}
