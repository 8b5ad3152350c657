/**
 * The A-LSAG challenge chain, shared by the signer (for the decoy members) and the verifier.
 * No validation happens here: callers check points and scalars first (alsag.ts). Tests use
 * `chainCloses` to show that each validation rule is load-bearing.
 */
import { bigintEngine, clearBigintEngineCaches } from './engine-bigint.ts';
import { clearWasmEngineCaches, tryWasmEngine } from './engine-wasm.ts';
import type { ChainRunner, Engine } from './engine.ts';
import { hashToPoint } from './hashToPoint.ts';
import type { Point } from './primitives.ts';
import { aggregationCoefficient, statementDigest } from './transcript.ts';
import type { RingSignature, RingStatement } from './types.ts';
import { isPointShape, isValidGroupElement, pointKey } from './validate.ts';

let engine: Engine = tryWasmEngine() ?? bigintEngine;

/** Which engine runs the chain ('wasm' unless the shared kernel lacks a needed function). */
export function activeEngine(): Engine['name'] {
  return engine.name;
}

/** For tests and benchmarks: force an engine. */
export function useEngine(name: Engine['name']): void {
  if (name === 'bigint') engine = bigintEngine;
  else {
    const w = tryWasmEngine();
    if (!w) throw new Error('wasm engine unavailable');
    engine = w;
  }
}

// Memoised subgroup checks of long-lived keys (ring members, observer keys): a pure function of
// the point, so caching cannot change a result.
const VALID_CACHE_LIMIT = 1 << 16;
const validKeys = new Set<string>();

/** Forgets memoised subgroup checks of keys (observer-key tables are kept). */
export function clearKeyCaches(): void {
  validKeys.clear();
}

export function clearVerifierCaches(): void {
  validKeys.clear();
  clearBigintEngineCaches();
  clearWasmEngineCaches();
}

export function isValidKey(pt: unknown): pt is Point {
  if (!isPointShape(pt)) return false;
  const key = pointKey(pt);
  if (validKeys.has(key)) return true;
  if (!isValidGroupElement(pt)) return false;
  if (validKeys.size >= VALID_CACHE_LIMIT) validKeys.clear();
  validKeys.add(key);
  return true;
}

export interface Chain extends ChainRunner {
  readonly d: bigint;
  readonly mu: bigint;
}

export function buildChain(st: RingStatement, keyImage: Point, c1: Point, c2: Point): Chain {
  const d = statementDigest({
    ring: st.ring,
    message: st.message,
    observerKey: st.observer.key,
    epoch: st.observer.epoch,
    keyImage,
    c1,
    c2,
  });
  const mu = aggregationCoefficient(d);
  const hp = st.ring.map(hashToPoint);
  const runner = engine.prepare({ ring: st.ring, hp, observerKey: st.observer.key, keyImage, c1, c2, d, mu });
  return { d, mu, step: (i, c, s1, s2) => runner.step(i, c, s1, s2) };
}

/** The bare chain equation, without any validity check. Verification = checks + this. */
export function chainCloses(st: RingStatement, sig: RingSignature): boolean {
  const ch = buildChain(st, sig.keyImage, sig.c1, sig.c2);
  let c = sig.c0;
  for (let i = 0; i < st.ring.length; i++) c = ch.step(i, c, sig.s1[i]!, sig.s2[i]!);
  return c === sig.c0;
}
