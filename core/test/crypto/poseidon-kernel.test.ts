/**
 * Unit tests of the pieces of the Poseidon kernel (poseidon-plan.ts, wasm/digits-gen.ts,
 * wasm/field-inline.ts) against plain BigInt, including the worst cases their bounds allow.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mod, modInverse } from '../../src/crypto/bigmath.ts';
import { FIELD_MODULUS as p } from '../../src/crypto/field.ts';
import { evaluatePlan, poseidonPlan } from '../../src/crypto/poseidon-plan.ts';
import {
  DIGIT_BUF,
  DigitsGen,
  TERM_TABLE,
  balancedDigits,
  writeBarrettTable,
  writeTermTable,
} from '../../src/crypto/wasm/digits-gen.ts';
import { ModuleBuilder, op } from '../../src/crypto/wasm/encoder.ts';
import { InlineField, LIMBS } from '../../src/crypto/wasm/field-inline.ts';
import { bytesToBigLE, circomlib, seededBytes } from './helpers.ts';

const rnd = (label: string, i: number, bound: bigint) => bytesToBigLE(seededBytes(label, i, 48)) % bound;
const R = 1n << 261n;

function fromDigits(d: ArrayLike<number>, count = 20): bigint {
  let x = 0n;
  for (let i = count - 1; i >= 0; i--) x = x * 8192n + BigInt(d[i]!);
  return x;
}

describe('poseidon plan (scaled rounds)', () => {
  let c: Awaited<ReturnType<typeof circomlib>>;
  beforeAll(async () => {
    c = await circomlib();
  });

  it('evaluates to circomlibjs Poseidon for 1..16 inputs', () => {
    for (let n = 1; n <= 16; n++) {
      const plan = poseidonPlan(n + 1);
      for (let i = 0; i < 2; i++) {
        const inputs = Array.from({ length: n }, (_, j) => rnd(`plan-${n}`, i * 16 + j, p));
        expect(evaluatePlan(plan, inputs)).toBe(c.F.toObject(c.poseidon(inputs)));
      }
    }
  });
});

describe('balanced digits and tables', () => {
  it('balancedDigits reconstructs values below 2^259 with |digit| <= 4096 (top digit free)', () => {
    const values = [0n, 1n, 4095n, 4096n, 8191n, p - 1n, 64n * p, (1n << 256n) - 1n, (1n << 259n) - 1n];
    for (let i = 0; i < 200; i++) values.push(rnd('bd', i, 1n << 259n));
    for (const v of values) {
      const d = balancedDigits(v);
      expect(fromDigits(d)).toBe(v);
      for (let k = 0; k < 19; k++) expect(Math.abs(d[k]!) <= 4096).toBe(true);
    }
  });

  it('writeTermTable rows are c * 2^(13 i) mod p in balanced digits, paired by rows', () => {
    const table = new Uint16Array(TERM_TABLE / 2);
    for (let rep = 0; rep < 20; rep++) {
      const cst = rep === 0 ? p - 1n : rnd('tt', rep, p);
      writeTermTable(cst, p, table, 0);
      const i16 = new Int16Array(table.buffer);
      for (let i = 0; i < 20; i++) {
        const row = Array.from({ length: 20 }, (_, k) => i16[(i >> 1) * 40 + 2 * k + (i & 1)]!);
        expect(fromDigits(row)).toBe(mod(cst << BigInt(13 * i), p));
      }
    }
  });
});

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** A module with the DigitsGen / InlineField operations under test, one function each. */
function buildTestKernel() {
  const SCRATCH = 64;
  const X = 1024; // digit buffers, 48 bytes each
  const OUT = 4096;
  const TABLES = 8192;
  const BARRETT = 7168;
  const mb = new ModuleBuilder(4);
  // acc = extend(X[0]) + sum_{j=1..n} table_j * X[j]; reduce; store columns at OUT, then
  // normalise and pack at OUT + 128.
  {
    const f = mb.addFunction('product').param('n', 'i32');
    const D = new DigitsGen(f, p, BARRETT, 5);
    const acc = D.accumulator();
    const code = [...D.extend(acc, op.i32(X), 0, false)];
    // the generator unrolls at most 6 terms; the test picks how many run via the table contents
    for (let j = 1; j <= 6; j++)
      code.push(...D.term(acc, op.i32(X), j * DIGIT_BUF, op.i32(TABLES), (j - 1) * TERM_TABLE));
    code.push(
      ...D.reduce(acc),
      ...D.storeColumns(acc, op.i32(OUT), 0),
      ...D.normalise(acc),
      ...D.pack(acc, op.i32(OUT), 128),
    );
    f.emit(...code);
  }
  // digits of the 32 bytes at SCRATCH, at OUT
  {
    const f = mb.addFunction('digits');
    const D = new DigitsGen(f, p, BARRETT, 5);
    f.emit(
      ...D.fromWords(
        [0, 8, 16, 24].map((o) => op.i64_load(op.i32(SCRATCH), o)),
        op.i32(OUT),
        0,
      ),
    );
  }
  // limbs at SCRATCH (u32 x 9): pow5 (+ addend limbs at SCRATCH + 64) -> OUT; canon -> OUT + 64
  {
    const f = mb.addFunction('pow5');
    const F = new InlineField(f, p);
    const [x, y, z] = [F.locals(LIMBS, 'x'), F.locals(LIMBS, 'y'), F.locals(LIMBS, 'z')];
    f.emit(
      ...F.load(op.i32(SCRATCH), 0, x),
      ...F.pow5(x, y, (k) => op.i64_load32_u(op.i32(SCRATCH), 64 + 4 * k)),
      ...F.store(op.i32(OUT), 0, y),
    );
    f.emit(...F.canon(y, z), ...F.store(op.i32(OUT), 64, z));
  }
  // columns (i32 x 20 at SCRATCH) + bias p + limbs at SCRATCH + 128 -> normalised limbs at OUT
  {
    const f = mb.addFunction('columns');
    const F = new InlineField(f, p);
    const [a, out] = [F.locals(LIMBS, 'a'), F.locals(LIMBS, 'o')];
    f.emit(...F.load(op.i32(SCRATCH + 128), 0, a), ...F.fromColumns(op.i32(SCRATCH), 0, 'i32', out, p, a));
    f.emit(...F.store(op.i32(OUT), 0, out));
  }
  // the project compiles without the DOM lib, which is where the WebAssembly types live
  const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const inst = new WA.Instance(new WA.Module(mb.build()), {});
  const fn = inst.exports as Record<string, (...a: number[]) => number>;
  const mem = (inst.exports.memory as { buffer: ArrayBuffer }).buffer;
  writeBarrettTable(p, new Uint16Array(mem), BARRETT / 2);
  return { fn, mem, SCRATCH, X, OUT, TABLES };
}

describe('SIMD digit arithmetic (wasm)', () => {
  const k = buildTestKernel();
  const i16 = new Int16Array(k.mem);
  const i32 = new Int32Array(k.mem);
  const u32 = new Uint32Array(k.mem);
  const u16 = new Uint16Array(k.mem);
  const setDigits = (at: number, d: readonly number[]) => i16.set(d, at / 2);

  it('products by constants with extreme digits stay exact and reduce to |V| < 0.51p', () => {
    // six terms of digits at the bound (+-4129) against constants whose digits are at +-4096,
    // signs chosen to make every lane add up in the same direction: the lane budget's worst case
    for (let rep = 0; rep < 24; rep++) {
      const sign = rep % 2 ? -1 : 1;
      const xs: number[][] = [];
      let expected = 0n;
      for (let j = 0; j <= 6; j++) {
        const d =
          rep < 4
            ? Array.from({ length: 20 }, (_, i) => (i === 19 ? 0 : sign * 4129))
            : Array.from({ length: 20 }, (_, i) =>
                i === 19 ? 40 : Number(rnd(`x${j}`, rep * 20 + i, 8259n)) - 4129,
              );
        xs.push(d);
        setDigits(k.X + j * DIGIT_BUF, d);
        const x = fromDigits(d);
        if (j === 0) {
          expected += x;
          continue;
        }
        const cst = rep < 4 ? (p - 1n) / 2n + BigInt(j) : rnd(`c${j}`, rep, p);
        writeTermTable(cst, p, u16, (k.TABLES + (j - 1) * TERM_TABLE) / 2);
        expected += x * cst;
      }
      k.fn.product!(6);
      const cols = Array.from(i32.subarray(k.OUT / 4, k.OUT / 4 + 20));
      const v = cols.reduce((acc, c, i) => acc + (BigInt(c) << BigInt(13 * i)), 0n);
      expect(mod(v - expected, p)).toBe(0n);
      expect(v < (51n * p) / 100n && v > -(51n * p) / 100n).toBe(true);
      const digits = Array.from(i16.subarray((k.OUT + 128) / 2, (k.OUT + 128) / 2 + 20));
      expect(fromDigits(digits)).toBe(v);
      for (let i = 0; i < 19; i++) expect(Math.abs(digits[i]!) <= 4129).toBe(true);
    }
  });

  it('digits of 32-byte values (S-box outputs) are balanced and exact', () => {
    const view = new DataView(k.mem);
    const values = [0n, 1n, 3n * p - 1n, (1n << 256n) - 1n, 0x1000n * ((1n << 255n) / 8191n)];
    for (let i = 0; i < 100; i++) values.push(rnd('fw', i, 1n << 256n));
    for (const v of values) {
      for (let w = 0; w < 4; w++) view.setBigUint64(k.SCRATCH + 8 * w, v >> BigInt(64 * w), true);
      k.fn.digits!();
      const d = Array.from(i16.subarray(k.OUT / 2, k.OUT / 2 + 24));
      expect(fromDigits(d)).toBe(v);
      expect(d.slice(20).every((x) => x === 0)).toBe(true);
      for (let i = 0; i < 20; i++) expect(Math.abs(d[i]!) <= 4096).toBe(true);
    }
  });

  it('pow5 (Montgomery) is exact for inputs up to 13p and canon gives the canonical value', () => {
    const Rinv = modInverse(R, p);
    for (let i = 0; i < 150; i++) {
      const x = i === 0 ? 13n * p - 1n : i === 1 ? 0n : rnd('p5', i, 13n * p);
      const c = rnd('p5c', i, p);
      const limbs = (v: bigint) =>
        Array.from({ length: LIMBS }, (_, j) => Number((v >> BigInt(29 * j)) & 0x1fffffffn));
      u32.set(limbs(x), k.SCRATCH / 4);
      u32.set(limbs(c), (k.SCRATCH + 64) / 4);
      k.fn.pow5!();
      const read = (at: number) =>
        Array.from(u32.subarray(at / 4, at / 4 + LIMBS)).reduce(
          (acc, l, j) => acc + (BigInt(l) << BigInt(29 * j)),
          0n,
        );
      const y = read(k.OUT);
      expect(mod(y - x ** 5n * Rinv ** 4n - c, p)).toBe(0n);
      expect(y < 3n * p).toBe(true);
      if (y < 2n * p) expect(read(k.OUT + 64)).toBe(y % p);
    }
  });

  it('columns to limbs (with bias p and an addend) for reduced products', () => {
    for (let i = 0; i < 150; i++) {
      // a reduced product: |V| < 0.51 p spread over wide signed lanes
      const v = rnd('cv', i, (102n * p) / 100n) - (51n * p) / 100n;
      const cols = balancedDigits(mod(v, 1n << 260n)).map((d) => d);
      // spread: move multiples of 2^13 between neighbouring lanes, keeping the value
      for (let j = 0; j < 19; j++) {
        const s = Number(rnd('cs', i * 20 + j, 1n << 17n)) - (1 << 16);
        cols[j] = cols[j]! + s * 8192;
        cols[j + 1] = cols[j + 1]! - s;
      }
      const top = v - fromDigits(cols.slice(0, 19), 19);
      cols[19] = Number(top >> 247n);
      expect(fromDigits(cols)).toBe(v);
      i32.set(cols, k.SCRATCH / 4);
      const a = rnd('ca', i, 3n * p);
      u32.set(
        Array.from({ length: LIMBS }, (_, j) => Number((a >> BigInt(29 * j)) & 0x1fffffffn)),
        (k.SCRATCH + 128) / 4,
      );
      k.fn.columns!();
      const out = Array.from(u32.subarray(k.OUT / 4, k.OUT / 4 + LIMBS));
      const got = out.reduce((acc, l, j) => acc + (BigInt(l) << BigInt(29 * j)), 0n);
      expect(got).toBe(v + p + a);
      for (let j = 0; j < LIMBS - 1; j++) expect(out[j]! < 2 ** 29).toBe(true);
    }
  });
});
