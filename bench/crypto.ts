/**
 * Crypto benchmarks: Poseidon (2 and 5 inputs) and EdDSA-Poseidon against circomlibjs on the same
 * machine and in the same process. Ours and circomlibjs hash the same inputs, warm, in alternating
 * rounds (order swapped every round) so background load hits both alike; figures are the median
 * and the best (minimum) over rounds of the mean time per call, and the 1-minute load average is
 * recorded with them because other work on the machine skews absolute figures.
 */
import '../scripts/polyfills.ts';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildEddsa, buildPoseidon } from 'circomlibjs';
import {
  FIELD_MODULUS,
  type Point,
  type Signature,
  poseidon,
  privateKeyToPublicKey,
  signPoseidon,
  verifyPoseidon,
  warmPoseidon,
} from '../core/src/crypto/index.ts';
// Type-only: run.ts imports this file while its own top-level await is pending, so a value import
// would form a cycle that never settles (`npm run bench` exited with code 13).
import type { BenchResult } from './table.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function randomField(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(40));
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x % FIELD_MODULUS;
}

/**
 * Mean time per call (µs) of `batch` calls, repeated `rounds` times alternating a and b (a first in
 * even rounds, b first in odd ones), after `warm` calls of each; median and best over rounds.
 */
function duel(
  a: (i: number) => unknown,
  b: (i: number) => unknown,
  batch: number,
  rounds: number,
  warm = 2000,
) {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < warm; i++) {
    a(i);
    b(i);
  }
  const time = (f: (i: number) => unknown, into: number[]) => {
    const t = performance.now();
    for (let i = 0; i < batch; i++) f(i);
    into.push(((performance.now() - t) * 1000) / batch);
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      time(a, ta);
      time(b, tb);
    } else {
      time(b, tb);
      time(a, ta);
    }
  }
  return { ours: median(ta), ref: median(tb), oursBest: Math.min(...ta), refBest: Math.min(...tb) };
}

export default async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const circomPoseidon = await buildPoseidon();
  const F = circomPoseidon.F;
  warmPoseidon([2, 5]);

  const loadBefore = loadavg()[0]!;
  for (const n of [2, 5]) {
    const inputs = Array.from({ length: 64 }, () => Array.from({ length: n }, randomField));
    for (const v of inputs) {
      if (poseidon(v) !== F.toObject(circomPoseidon(v))) throw new Error('poseidon mismatch');
    }
    // Both sides take bigint inputs and return a bigint (conversions included on both sides).
    const { ours, ref, oursBest, refBest } = duel(
      (i) => poseidon(inputs[i & 63]!),
      (i) => F.toObject(circomPoseidon(inputs[i & 63]!)),
      100,
      101,
    );
    results.push({ name: `poseidon, ${n} inputs (median)`, value: ours, unit: 'µs/hash', baseline: ref });
    results.push({
      name: `poseidon, ${n} inputs (best of 101)`,
      value: oursBest,
      unit: 'µs/hash',
      baseline: refBest,
    });
    results.push({
      name: `poseidon, ${n} inputs: speed-up vs circomlibjs (median)`,
      value: ref / ours,
      unit: 'x',
    });
    results.push({
      name: `poseidon, ${n} inputs: speed-up vs circomlibjs (best)`,
      value: refBest / oursBest,
      unit: 'x',
    });
  }
  results.push({
    name: 'load average (1 min) around the poseidon runs',
    value: (loadBefore + loadavg()[0]!) / 2,
    unit: 'procs',
  });

  // EdDSA verify with a fresh random key for every verification (no per-key state to reuse).
  const N = 400;
  const samples: { msg: bigint; sig: Signature; pub: Point }[] = [];
  for (let i = 0; i < N; i++) {
    const prv = crypto.getRandomValues(new Uint8Array(32));
    const msg = randomField();
    samples.push({ msg, sig: signPoseidon(prv, msg), pub: privateKeyToPublicKey(prv) });
  }
  const times: number[] = [];
  for (let rep = 0; rep < 2; rep++) {
    for (const s of samples) {
      const t = performance.now();
      const ok = verifyPoseidon(s.msg, s.sig, s.pub);
      times.push((performance.now() - t) * 1000);
      if (!ok) throw new Error('verification failed');
    }
  }
  const eddsa = await buildEddsa();
  const E = eddsa.babyJub.F;
  const refTimes: number[] = [];
  for (const s of samples.slice(0, 20)) {
    const t = performance.now();
    const ok = eddsa.verifyPoseidon(E.e(s.msg), { R8: [E.e(s.sig.R8[0]), E.e(s.sig.R8[1])], S: s.sig.S }, [
      E.e(s.pub[0]),
      E.e(s.pub[1]),
    ]);
    refTimes.push((performance.now() - t) * 1000);
    if (!ok) throw new Error('circomlibjs rejected our signature');
  }
  results.push({
    name: 'eddsa-poseidon verify (fresh key each), median',
    value: median(times) / 1000,
    unit: 'ms',
    baseline: median(refTimes) / 1000,
  });

  const signTimes: number[] = [];
  const pubTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const prv = crypto.getRandomValues(new Uint8Array(32));
    let t = performance.now();
    privateKeyToPublicKey(prv);
    pubTimes.push((performance.now() - t) * 1000);
    t = performance.now();
    signPoseidon(prv, BigInt(i));
    signTimes.push((performance.now() - t) * 1000);
  }
  results.push({ name: 'eddsa-poseidon sign, median', value: median(signTimes) / 1000, unit: 'ms' });
  results.push({ name: 'private key -> public key, median', value: median(pubTimes) / 1000, unit: 'ms' });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { printTable, writeResults } = await import('./table.ts');
  const rows = await run();
  printTable('crypto', rows);
  writeResults('crypto', rows);
}
