/**
 * Interleaving two independent instruction streams (scalar i64 field arithmetic and SIMD dot
 * products) so that the CPU runs them on its integer multiplier and its vector units at the same
 * time.
 *
 * Why pins: TurboFan schedules pure arithmetic as late as possible (right before its first use),
 * so two streams merged in the wasm text come out as one block after the other, and the
 * out-of-order window (a few hundred instructions) cannot overlap them. A store of a freshly set
 * local is an effect with a fixed place in the effect chain, which forces the computation of that
 * local to be emitted before it; pinning every few statements keeps the two streams interleaved
 * in the machine code.
 */
import { type Code, type FunctionBuilder, op, v128 } from './encoder.ts';

/** Statement arrays carry the local they assign (and its type) under this key, for pinning. */
const ASSIGNED = Symbol('assigned');
type Tagged = Code[] & { [ASSIGNED]?: { name: string; type: 'i64' | 'v128' } };

/** `local.set` that remembers what it assigns. */
export function setLocal(f: FunctionBuilder, name: string, type: 'i64' | 'v128', value: Code): Code {
  const c = f.set(name, value) as Tagged;
  c[ASSIGNED] = { name, type };
  return c;
}

/**
 * Merges a and b in proportion to their lengths (program order inside each is kept). Every
 * `every`-th statement of each stream that assigns a local is followed by a store of that local to
 * `sink` (8 bytes for i64, 16 for v128 at sink + 16).
 */
export function interleave(
  f: FunctionBuilder,
  a: Code[],
  b: Code[],
  every: number | readonly [number, number],
  sink: number,
): Code[] {
  const [everyA, everyB] = typeof every === 'number' ? [every, every] : every;
  const out: Code[] = [];
  let i = 0;
  let j = 0;
  const pin = (c: Code, count: number, every: number) => {
    const s = typeof c === 'number' ? undefined : (c as Tagged)[ASSIGNED];
    if (!s || every <= 0 || count % every !== 0) return;
    out.push(
      s.type === 'i64'
        ? op.i64_store(op.i32(sink), f.get(s.name))
        : v128.store(op.i32(sink), f.get(s.name), 16),
    );
  };
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && i * b.length <= j * a.length)) {
      const c = a[i++]!;
      out.push(c);
      pin(c, i, everyA);
    } else {
      const c = b[j++]!;
      out.push(c);
      pin(c, j, everyB);
    }
  }
  return out;
}
