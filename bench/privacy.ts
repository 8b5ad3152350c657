/**
 * Accountable ring signatures (A-LSAG): sign and verify time by ring size, plus the observer and
 * stealth-address operations. "cold" = nothing memoised for the ring keys (hash-to-point and
 * subgroup checks recomputed); "warm" = ring keys seen before, as for decoys a sequencer keeps
 * meeting. The observer key's table is built once per epoch and reported on its own.
 *
 * Times are the CPU time of this process (process.cpuUsage), median over repetitions: on a
 * shared machine wall-clock time mostly measures the other jobs. `PRIVACY_BENCH_CLOCK=wall`
 * switches to wall-clock time.
 */
import '../scripts/polyfills.ts';
import { fileURLToPath } from 'node:url';
import {
  clearPrivacyCaches,
  clearRingKeyCaches,
  createOneTimeAddress,
  decryptMemo,
  encodeRingSignature,
  encryptMemo,
  generateStealthKeys,
  observerKeyFromSecret,
  privacyEngine,
  randomSubgroupScalar,
  ringPublicKey,
  scanOutput,
  signRing,
  verifyRing,
} from '../core/src/privacy/index.ts';
import { type BenchResult, printTable, writeResults } from './table.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const WALL = process.env.PRIVACY_BENCH_CLOCK === 'wall';

/** Milliseconds of CPU time (or wall time) since `start()`. */
function start(): () => number {
  if (WALL) {
    const t = performance.now();
    return () => performance.now() - t;
  }
  const c = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1000;
  };
}

function time(f: () => unknown): number {
  const stop = start();
  f();
  return stop();
}

export default async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const observer = observerKeyFromSecret(randomSubgroupScalar(), 1n);
  const message = new TextEncoder().encode('bench transfer');
  // warm-up: kernel build, Base8 and observer tables
  {
    const x = randomSubgroupScalar();
    const ring = [ringPublicKey(x)];
    verifyRing(
      { ring, message, observer: observer.publicKey },
      signRing({ ring, index: 0, secretKey: x, message, observer: observer.publicKey }),
    );
  }
  clearPrivacyCaches();
  results.push({
    name: 'observer-key table build (once per epoch)',
    value: time(() => {
      const ring = [ringPublicKey(3n)];
      verifyRing(
        { ring, message, observer: observer.publicKey },
        signRing({ ring, index: 0, secretKey: 3n, message, observer: observer.publicKey }),
      );
    }),
    unit: 'ms',
  });

  for (const n of [4, 8, 16, 32]) {
    const reps = n <= 16 ? 15 : 9;
    const signT: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    let size = 0;
    for (let r = 0; r < reps; r++) {
      const secrets = Array.from({ length: n }, () => randomSubgroupScalar());
      const ring = secrets.map(ringPublicKey);
      const index = r % n;
      const st = { ring, message, observer: observer.publicKey };
      clearRingKeyCaches();
      let stop = start();
      const sig = signRing({ ...st, index, secretKey: secrets[index]! });
      signT.push(stop());
      size = encodeRingSignature(sig).length;
      clearRingKeyCaches();
      stop = start();
      const ok = verifyRing(st, sig);
      cold.push(stop());
      if (!ok) throw new Error('signature did not verify');
      warm.push(time(() => verifyRing(st, sig)));
    }
    results.push({ name: `ring ${n}: sign (cold), median`, value: median(signT), unit: 'ms' });
    results.push({ name: `ring ${n}: verify (cold), median`, value: median(cold), unit: 'ms' });
    results.push({ name: `ring ${n}: verify (warm), median`, value: median(warm), unit: 'ms' });
    results.push({ name: `ring ${n}: signature size`, value: size, unit: 'bytes' });
  }

  const keys = generateStealthKeys();
  const outs = Array.from({ length: 20 }, () => createOneTimeAddress(keys.address));
  results.push({
    name: 'stealth: scan one output (view key)',
    value: median(
      outs.map((o) =>
        time(() => scanOutput(keys.viewSecret, keys.address.spend, o.txPublicKey, o.oneTimeKey, 0)),
      ),
    ),
    unit: 'ms',
  });
  const memo = {
    sender: keys.address.spend,
    recipient: keys.address,
    assetId: 1,
    amount: 10n ** 18n,
    memo: new Uint8Array(64),
  };
  const cts: Uint8Array[] = [];
  results.push({
    name: 'observer memo: encrypt',
    value: median(
      Array.from({ length: 20 }, () => time(() => cts.push(encryptMemo(observer.publicKey, memo)))),
    ),
    unit: 'ms',
  });
  results.push({
    name: 'observer memo: decrypt',
    value: median(cts.map((c) => time(() => decryptMemo(observer, c)))),
    unit: 'ms',
  });
  results.push({
    name: `engine: ${privacyEngine()} (1 = wasm kernel)`,
    value: privacyEngine() === 'wasm' ? 1 : 0,
    unit: '',
  });
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await run();
  printTable('privacy', rows);
  writeResults('privacy', rows);
}
