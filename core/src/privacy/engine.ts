/**
 * The verification engine interface: everything the A-LSAG chain needs that costs group
 * operations. Two implementations compute bit-identical challenges:
 *   - `wasm` (engine-wasm.ts): the shared WebAssembly BabyJubJub kernel of core/src/crypto,
 *     orchestrated from JS (~5x faster);
 *   - `bigint` (engine-bigint.ts): self-contained BigInt arithmetic (curve.ts), the reference and
 *     the fallback when the kernel lacks a function we need.
 */
import type { Point } from './primitives.ts';

export interface ChainSetup {
  readonly ring: readonly Point[];
  /** Hp(P_i) for every member. */
  readonly hp: readonly Point[];
  readonly observerKey: Point;
  readonly keyImage: Point;
  readonly c1: Point;
  readonly c2: Point;
  readonly d: bigint;
  readonly mu: bigint;
}

export interface ChainRunner {
  /** c_{i+1} from (c_i, s1_i, s2_i). */
  step(i: number, c: bigint, s1: bigint, s2: bigint): bigint;
}

export interface Engine {
  readonly name: 'wasm' | 'bigint';
  prepare(setup: ChainSetup): ChainRunner;
}
