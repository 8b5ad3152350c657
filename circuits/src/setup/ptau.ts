/**
 * A single-party DEVELOPMENT powers-of-tau ceremony that writes a phase-2-ready `.ptau` in
 * snarkjs's binary format, fast.
 *
 * snarkjs builds a ptau by (1) `powersoftau new` (all points = generators), (2) `contribute`
 * (multiply point i by τ^i, α, β with variable-base multiplications) and (3) `prepare phase2`
 * (Lagrange-basis sections via an inverse FFT *in the group*, O(n log n) group operations per
 * level). Step 3 dominates: ≈1 min at 2^12, doubling per power.
 *
 * Here one party samples τ, α, β from the OS CSPRNG and — because it knows τ — computes every
 * point directly as a fixed-base multiple of the generator: τ^i·G for the power sections and
 * L_i(τ)·G for the Lagrange sections, where L_i(τ) = ω^i (τ^n − 1) / (n (τ − ω^i)) is a field
 * element (one batch inversion per chunk). Fixed-base multiplications use per-window tables in
 * worker threads. The contribution record (public keys with proofs of knowledge, response and
 * challenge hashes) is the one `powersoftau contribute` would write for a single contributor on
 * top of `powersoftau new`, so `snarkjs powersoftau verify` accepts the file. τ, α, β only live in
 * this process's memory and are dropped when it returns.
 *
 * Trust model: whoever ran this process could forge proofs for circuits set up from this file.
 * That is acceptable for development and tests only; production keys use a public multi-party
 * phase 1 and a multi-party phase 2 (docs/SETUP.md).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { blake2b } from '@noble/hashes/blake2b';
import {
  type DevSecrets,
  hashToG2,
  invMod,
  mod,
  powMod,
  randomScalar,
  rootsOfUnity,
  sampleSecrets,
} from './field.ts';
import type { FixedBasePool } from './fixedBasePool.ts';
import type { FixedBaseResult, FixedBaseTask, PointForms } from './fixedBaseWorker.ts';
import { BN254_Q, type GroupName, toLE } from './wasmCurve.ts';

export type Progress = (done: number, total: number, label: string) => void;

export type DevPtauOptions = {
  /** Name recorded in the contribution (visible in `snarkjs powersoftau verify`). */
  name?: string;
  onProgress?: Progress;
  /** Points per worker task. */
  chunk?: number;
  /** τ, α, β to use (a ceremony that also derives a proving key from them); fresh otherwise. */
  secrets?: DevSecrets;
};

type Section = { id: number; group: GroupName; levels: Level[]; hashForms: PointForms };
type Level =
  | { kind: 'geom'; count: number; first: bigint; ratio: bigint }
  | { kind: 'lagrange'; p: number; factor: bigint; truncated: boolean };

function levelCount(l: Level): number {
  return l.kind === 'geom' ? l.count : 2 ** l.p;
}

/** Number of fixed-base multiplications a ptau of this power needs, per group. */
export function ptauPointCounts(power: number): Record<GroupName, number> {
  const n = 2 ** power;
  // tauG1 2n−1, alpha/beta n each, Lagrange G1 sections: 2n−1 (×3) + 2n (extra tauG1 level)
  return { G1: 2 * n - 1 + 2 * n + 3 * (2 * n - 1) + 2 * n, G2: n + 1 + (2 * n - 1) };
}

/**
 * Write a phase-2-ready ptau of the given power (circuits up to 2^power constraints) to `file`.
 * Returns the contribution's response hash (hex), as `powersoftau contribute` prints it.
 */
export async function generateDevPtau(
  curve: any,
  pool: FixedBasePool,
  power: number,
  file: string,
  options: DevPtauOptions = {},
): Promise<string> {
  if (!Number.isInteger(power) || power < 1 || power > 27)
    throw new RangeError(`power must be in [1, 27], got ${power}`);
  const n = 2 ** power;
  const { tau, alpha, beta } = options.secrets ?? sampleSecrets();

  // ---- contribution key with proofs of knowledge, bound to the first challenge ----
  const challenge = firstChallengeHash(curve, power);
  const key = {
    tau: contributionKey(curve, tau, 0, challenge),
    alpha: contributionKey(curve, alpha, 1, challenge),
    beta: contributionKey(curve, beta, 2, challenge),
  };
  const omegas = rootsOfUnity(curve.Fr, power + 1);

  const hashed: PointForms = { compressed: true, uncompressed: true };
  const sections: Section[] = [
    {
      id: 2,
      group: 'G1',
      hashForms: hashed,
      levels: [{ kind: 'geom', count: 2 * n - 1, first: 1n, ratio: tau }],
    },
    { id: 3, group: 'G2', hashForms: hashed, levels: [{ kind: 'geom', count: n, first: 1n, ratio: tau }] },
    { id: 4, group: 'G1', hashForms: hashed, levels: [{ kind: 'geom', count: n, first: alpha, ratio: tau }] },
    { id: 5, group: 'G1', hashForms: hashed, levels: [{ kind: 'geom', count: n, first: beta, ratio: tau }] },
    { id: 6, group: 'G2', hashForms: hashed, levels: [{ kind: 'geom', count: 1, first: beta, ratio: tau }] },
  ];
  const lagrangeLevels = (factor: bigint, extra: boolean): Level[] => {
    const levels: Level[] = [];
    for (let p = 0; p <= power; p++) levels.push({ kind: 'lagrange', p, factor, truncated: false });
    // snarkjs's prepare phase2 adds a level 2^(power+1) for tauG1 computed from the 2^(power+1) − 1
    // available powers (the missing top coefficient taken as zero); zkey new reads its odd points.
    if (extra) levels.push({ kind: 'lagrange', p: power + 1, factor, truncated: true });
    return levels;
  };
  sections.push(
    { id: 12, group: 'G1', hashForms: {}, levels: lagrangeLevels(1n, true) },
    { id: 13, group: 'G2', hashForms: {}, levels: lagrangeLevels(1n, false) },
    { id: 14, group: 'G1', hashForms: {}, levels: lagrangeLevels(alpha, false) },
    { id: 15, group: 'G1', hashForms: {}, levels: lagrangeLevels(beta, false) },
  );

  const weight = (g: GroupName) => (g === 'G2' ? 4 : 1);
  let totalWork = 0;
  for (const s of sections) for (const l of s.levels) totalWork += levelCount(l) * weight(s.group);
  const chunk = options.chunk ?? 1 << 13;

  const responseHasher = blake2b.create({ dkLen: 64 });
  responseHasher.update(challenge);
  const uncompressed: Uint8Array[] = [];
  const firstPoints = new Map<number, Uint8Array[]>();

  const fh = await open(file, 'w');
  let pos = 0;
  const write = async (b: Uint8Array) => {
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  };
  let done = 0;
  try {
    await write(new TextEncoder().encode('ptau'));
    await write(u32(1));
    await write(u32(11));
    // header
    await write(u32(1));
    await write(u64(4 + 32 + 4 + 4));
    await write(u32(32));
    await write(toLE(BN254_Q, 32));
    await write(u32(power));
    await write(u32(power));

    const writeSection = async (s: Section) => {
      const sA = s.group === 'G1' ? 64 : 128;
      const total = s.levels.reduce((a, l) => a + levelCount(l), 0);
      await write(u32(s.id));
      await write(u64(total * sA));
      for (const level of s.levels) {
        const count = levelCount(level);
        const tasks: Promise<FixedBaseResult>[] = [];
        for (let start = 0; start < count; start += chunk) {
          const m = Math.min(chunk, count - start);
          tasks.push(pool.run(taskFor(s, level, start, m)));
        }
        for (let i = 0; i < tasks.length; i++) {
          const r = await tasks[i]!;
          await write(r.lem);
          if (i === 0) firstPoints.set(s.id, [r.lem.slice(0, sA), r.lem.slice(sA, 2 * sA)]);
          if (r.compressed) responseHasher.update(r.compressed);
          if (r.uncompressed) uncompressed.push(r.uncompressed);
          done += (r.lem.length / sA) * weight(s.group);
          options.onProgress?.(done, totalWork, `ptau 2^${power} section ${s.id}`);
        }
      }
    };

    const taskFor = (s: Section, level: Level, start: number, count: number): FixedBaseTask => {
      if (level.kind === 'geom') {
        return {
          kind: 'geom',
          group: s.group,
          first: mod(level.first * powMod(level.ratio, BigInt(start))).toString(),
          ratio: level.ratio.toString(),
          count,
          forms: s.hashForms,
        };
      }
      const size = 2n ** BigInt(level.p);
      const omega = omegas[level.p]!;
      const nInv = invMod(size);
      const a = mod(level.factor * (powMod(tau, size) - 1n) * nInv);
      const b = level.truncated ? mod(level.factor * powMod(tau, size - 1n) * nInv) : 0n;
      return {
        kind: 'lagrange',
        group: s.group,
        count,
        omegaStart: powMod(omega, BigInt(start)).toString(),
        omega: omega.toString(),
        tau: tau.toString(),
        a: a.toString(),
        b: b.toString(),
        forms: s.hashForms,
      };
    };

    // Phase-1 sections 2..6, then the contributions section (it needs their hashes), then 12..15.
    for (const s of sections.slice(0, 5)) await writeSection(s);

    const partialHash = serializeBlake2bState(responseHasher);
    const pubKeyU = pubKeyBytes(curve, key, false);
    responseHasher.update(pubKeyU);
    const responseHash = responseHasher.digest();
    // blake2b-512 with no key = blake2b with a 64-byte digest; OpenSSL's is ~25× faster than noble's
    const next = createHash('blake2b512');
    next.update(responseHash);
    for (const u of uncompressed) next.update(u);
    uncompressed.length = 0;
    const nextChallenge = new Uint8Array(next.digest());

    const contribution = concat([
      firstPoints.get(2)![1]!, // τ·G1
      firstPoints.get(3)![1]!, // τ·G2
      firstPoints.get(4)![0]!, // α·G1
      firstPoints.get(5)![0]!, // β·G1
      firstPoints.get(6)![0]!, // β·G2
      pubKeyBytes(curve, key, true),
      partialHash,
      nextChallenge,
      u32(0), // type: contribution
      ...contributionParams(
        options.name ?? 'tessera development ceremony (single party, NOT for production)',
      ),
    ]);
    await write(u32(7));
    await write(u64(4 + contribution.length));
    await write(u32(1));
    await write(contribution);

    for (const s of sections.slice(5)) await writeSection(s);
    return Buffer.from(responseHash).toString('hex');
  } finally {
    await fh.close();
  }
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

export function u64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function contributionParams(name: string): Uint8Array[] {
  const nameBytes = new TextEncoder().encode(name.slice(0, 64));
  const params = new Uint8Array([1, nameBytes.length, ...nameBytes]);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, params.length, true);
  return [len, params];
}

type PubKeyPart = { g1_s: unknown; g1_sx: unknown; g2_spx: unknown };

/** The contributor's public key for secret `x`: (s·G1, s·x·G1, x·hashToG2(challenge, ...)). */
function contributionKey(curve: any, x: bigint, personalization: number, challenge: Uint8Array): PubKeyPart {
  const { G1, G2, Fr } = curve;
  const s = randomScalar();
  const g1_s = G1.toAffine(G1.timesFr(G1.g, Fr.e(s)));
  const g1_sx = G1.toAffine(G1.timesFr(g1_s, Fr.e(x)));
  const h = blake2b.create({ dkLen: 64 });
  h.update(new Uint8Array([personalization]));
  h.update(challenge);
  h.update(G1.toUncompressed(g1_s));
  h.update(G1.toUncompressed(g1_sx));
  const g2_sp = hashToG2(curve, h.digest());
  const g2_spx = G2.toAffine(G2.timesFr(g2_sp, Fr.e(x)));
  return { g1_s, g1_sx, g2_spx };
}

/** Public key record: six G1 points then three G2 points, Montgomery-LE or uncompressed BE. */
function pubKeyBytes(
  curve: any,
  key: Record<'tau' | 'alpha' | 'beta', PubKeyPart>,
  montgomery: boolean,
): Uint8Array {
  const { G1, G2 } = curve;
  const out = new Uint8Array(64 * 6 + 128 * 3);
  let pos = 0;
  const g1 = (p: unknown) => {
    if (montgomery) G1.toRprLEM(out, pos, p);
    else G1.toRprUncompressed(out, pos, p);
    pos += 64;
  };
  const g2 = (p: unknown) => {
    if (montgomery) G2.toRprLEM(out, pos, p);
    else G2.toRprUncompressed(out, pos, p);
    pos += 128;
  };
  g1(key.tau.g1_s);
  g1(key.tau.g1_sx);
  g1(key.alpha.g1_s);
  g1(key.alpha.g1_sx);
  g1(key.beta.g1_s);
  g1(key.beta.g1_sx);
  g2(key.tau.g2_spx);
  g2(key.alpha.g2_spx);
  g2(key.beta.g2_spx);
  return out;
}

/**
 * Hash of the blank accumulator of `powersoftau new` (every point a generator), which the first
 * contribution signs: blake2b(blake2b("") ‖ points, uncompressed).
 */
function firstChallengeHash(curve: any, power: number): Uint8Array {
  const { G1, G2 } = curve;
  const g1 = new Uint8Array(64);
  const g2 = new Uint8Array(128);
  G1.toRprUncompressed(g1, 0, G1.g);
  G2.toRprUncompressed(g2, 0, G2.g);
  const h = createHash('blake2b512');
  h.update(createHash('blake2b512').digest());
  const repeat = (unit: Uint8Array, count: number) => {
    const block = 4096;
    const big = new Uint8Array(unit.length * block);
    for (let i = 0; i < block; i++) big.set(unit, i * unit.length);
    let left = count;
    while (left >= block) {
      h.update(big);
      left -= block;
    }
    if (left > 0) h.update(big.subarray(0, left * unit.length));
  };
  const n = 2 ** power;
  repeat(g1, 2 * n - 1);
  repeat(g2, n);
  repeat(g1, n);
  repeat(g1, n);
  h.update(g2);
  return new Uint8Array(h.digest());
}

/**
 * snarkjs stores the response hasher's internal blake2b state after the points (216 bytes: the
 * 128-byte block buffer, the eight 64-bit chaining words as lo/hi pairs, bytes compressed, bytes
 * pending) so verifiers can finish the hash with the public key without re-reading the points.
 */
function serializeBlake2bState(h: any): Uint8Array {
  const out = new Uint8Array(216);
  out.set(h.buffer as Uint8Array, 0);
  const v = new DataView(out.buffer, 128);
  const words = [
    h.v0l,
    h.v0h,
    h.v1l,
    h.v1h,
    h.v2l,
    h.v2h,
    h.v3l,
    h.v3h,
    h.v4l,
    h.v4h,
    h.v5l,
    h.v5h,
    h.v6l,
    h.v6h,
    h.v7l,
    h.v7h,
  ];
  words.forEach((w: number, i: number) => v.setUint32(i * 4, w >>> 0, true));
  v.setUint32(16 * 4, h.length - h.pos, true);
  v.setUint32(18 * 4, h.pos, true);
  return out;
}
