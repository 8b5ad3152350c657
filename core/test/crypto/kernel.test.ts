/** Unit tests of the generated WebAssembly arithmetic against plain BigInt. */
import { describe, expect, it } from 'vitest';
import { mod, modInverse } from '../../src/crypto/bigmath.ts';
import { curve, writeWnaf } from '../../src/crypto/curve-runtime.ts';
import { BN254_R, SUBGROUP_ORDER_L } from '../../src/crypto/params.ts';
import { ELEM, TABLE, constTable, toMont } from '../../src/crypto/wasm/field-gen.ts';
import { kernel } from '../../src/crypto/wasm/kernel.ts';
import { bytesToBigLE, seededBytes } from './helpers.ts';

const rnd = (label: string, i: number, bound: bigint) => bytesToBigLE(seededBytes(label, i, 48)) % bound;

describe('field kernel', () => {
  for (const [name, p] of [
    ['BN254 r', BN254_R],
    ['subgroup order l', SUBGROUP_ORDER_L],
  ] as const) {
    it(`${name}: mul/sqr/add/sub/canon/reduce/inv agree with BigInt and keep their bounds`, () => {
      const k = kernel();
      const F = name === 'BN254 r' ? k.F : k.L;
      const fn = k.fn;
      const [a, b, r] = [k.alloc(ELEM), k.alloc(ELEM), k.alloc(ELEM)];
      const Rinv = modInverse(1n << 261n, p);
      for (let i = 0; i < 400; i++) {
        const x = rnd(`${name}x`, i, 13n * p);
        const y = rnd(`${name}y`, i, 13n * p);
        k.writeElem(a, x);
        k.writeElem(b, y);
        fn[F.mul]!(r, a, b);
        let v = k.readElem(r);
        expect(v < 2n * p && mod(v - x * y * Rinv, p) === 0n).toBe(true);
        fn[F.sqr]!(r, a);
        v = k.readElem(r);
        expect(v < 2n * p && mod(v - x * x * Rinv, p) === 0n).toBe(true);
        const x2 = x % (2n * p);
        const y2 = y % (2n * p);
        k.writeElem(a, x2);
        k.writeElem(b, y2);
        fn[F.add]!(r, a, b);
        expect(k.readElem(r)).toBe(x2 + y2);
        fn[F.sub2]!(r, a, b);
        expect(k.readElem(r)).toBe(x2 + 2n * p - y2);
        fn[F.neg]!(r, a);
        expect(k.readElem(r)).toBe(2n * p - x2);
        fn[F.canon]!(r, a);
        expect(k.readElem(r)).toBe(x2 % p);
        const big = rnd(`${name}big`, i, 1n << 261n);
        k.writeElem(a, big);
        fn[F.reduce]!(r, a);
        v = k.readElem(r);
        expect(v < 2n * p && v % p === big % p).toBe(true);
        if (i < 10) {
          const z = rnd(`${name}inv`, i, p - 1n) + 1n;
          k.writeElem(a, toMont(z, p));
          fn[F.inv]!(r, a);
          fn[F.fromMont]!(r, r);
          expect((k.readElem(r) * z) % p).toBe(1n);
        }
      }
    });
  }

  it('tdot (table dot product with optional addend) agrees with BigInt for 1..17 terms', () => {
    const k = kernel();
    const p = BN254_R;
    const xs = k.alloc(17 * ELEM);
    const tbl = k.alloc(17 * TABLE);
    const [addend, r] = [k.alloc(ELEM), k.alloc(ELEM)];
    const u32 = k.u32();
    for (let n = 1; n <= 17; n++) {
      for (let rep = 0; rep < 4; rep++) {
        let expected = 0n;
        for (let j = 0; j < n; j++) {
          const x = rnd('tdx', n * 100 + rep * 20 + j, 1n << 261n);
          const cst = rnd('tdc', n * 100 + rep * 20 + j, p);
          k.writeElem(xs + j * ELEM, x);
          u32.set(constTable(cst, p), (tbl + j * TABLE) / 4);
          expected += x * cst;
        }
        const add = rep % 2 ? rnd('tda', n * 10 + rep, 80n * p) : 0n;
        k.writeElem(addend, add);
        k.fn[k.F.tdot]!(r, rep % 2 ? addend : 0, xs, n, tbl);
        const v = k.readElem(r);
        expect(v % p).toBe(mod(expected + add, p));
        expect(v < add + 2n * p).toBe(true);
      }
    }
  });
});

describe('wNAF recoding', () => {
  it('reconstructs the scalar with odd digits |d| < 2^(w-1) spaced at least w apart', () => {
    const c = curve();
    for (const w of [5, 8]) {
      for (let i = 0; i < 60; i++) {
        const s = i === 0 ? 0n : i === 1 ? SUBGROUP_ORDER_L - 1n : rnd('naf', i, SUBGROUP_ORDER_L);
        const top = writeWnaf(c, c.nafA, s, w);
        const digits = new Int8Array(c.k.u8().buffer, c.nafA, 256);
        let acc = 0n;
        let last = -1000;
        for (let pos = 0; pos < 256; pos++) {
          const d = digits[pos]!;
          if (d === 0) continue;
          expect(Math.abs(d) % 2).toBe(1);
          expect(Math.abs(d) < 1 << (w - 1)).toBe(true);
          expect(pos - last >= w).toBe(true);
          last = pos;
          acc += BigInt(d) << BigInt(pos);
        }
        expect(acc).toBe(s);
        expect(top).toBe(s === 0n ? -1 : last);
      }
    }
  });
});
