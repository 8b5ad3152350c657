/**
 * Worker thread of the development ceremony: fixed-base scalar multiplication of the group
 * generators by long runs of structured scalars (geometric sequences τ^i and Lagrange-basis values
 * L_i(τ)), with per-window precomputed tables. One multiplication costs ⌈254/c⌉ mixed additions
 * instead of ~380 curve operations for a generic double-and-add.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FIELD_BYTES, FR_BYTES, type GroupName, WasmCurve } from './wasmCurve.ts';

export type PointForms = { compressed?: boolean; uncompressed?: boolean };

export type FixedBaseTask =
  /** Explicit scalars: `count` canonical Fr elements, 32 bytes little-endian each. */
  | { kind: 'scalars'; group: GroupName; scalars: Uint8Array; count: number; forms: PointForms }
  | { kind: 'geom'; group: GroupName; first: string; ratio: string; count: number; forms: PointForms }
  | {
      /** s_i = w_i·(a / (tau − w_i) − b) with w_i = omegaStart·omega^i. */
      kind: 'lagrange';
      group: GroupName;
      count: number;
      omegaStart: string;
      omega: string;
      tau: string;
      a: string;
      b: string;
      forms: PointForms;
    };

export type FixedBaseResult = { lem: Uint8Array; compressed?: Uint8Array; uncompressed?: Uint8Array };

export type FixedBaseInit = {
  code: Uint8Array;
  generators: { G1: number; G2: number };
  windowBits: Record<GroupName, number>;
};

const SCALAR_BITS = 254;

class FixedBaseEngine {
  private tables: Partial<Record<GroupName, { p: number; c: number; windows: number }>> = {};

  constructor(
    private readonly wc: WasmCurve,
    private readonly init: FixedBaseInit,
  ) {}

  private prefix(g: GroupName): string {
    return g === 'G1' ? 'g1m' : 'g2m';
  }

  private table(g: GroupName): { p: number; c: number; windows: number } {
    const existing = this.tables[g];
    if (existing) return existing;
    const { wc } = this;
    const x = wc.x;
    const pre = this.prefix(g);
    const nF = FIELD_BYTES[g];
    const sJ = nF * 3;
    const sA = nF * 2;
    const c = this.init.windowBits[g];
    const windows = Math.ceil(SCALAR_BITS / c);
    const perWindow = (1 << c) - 1;
    const p = wc.alloc(windows * perWindow * sA);
    const mark = wc.mark();
    const pBase = wc.alloc(sJ);
    const pBaseA = wc.alloc(sA);
    // batch-to-affine takes two n·nF scratch arrays above the free pointer
    const pTmp = wc.alloc(perWindow * sJ, 3 * perWindow * nF + (1 << 20));
    x[`${pre}_copy`]!(this.init.generators[g], pBase);
    for (let w = 0; w < windows; w++) {
      x[`${pre}_toAffine`]!(pBase, pBaseA);
      x[`${pre}_copy`]!(pBase, pTmp);
      for (let k = 1; k < perWindow; k++) x[`${pre}_addMixed`]!(pTmp + (k - 1) * sJ, pBaseA, pTmp + k * sJ);
      x[`${pre}_batchToAffine`]!(pTmp, perWindow, p + w * perWindow * sA);
      for (let i = 0; i < c; i++) x[`${pre}_double`]!(pBase, pBase);
    }
    wc.reset(mark);
    const t = { p, c, windows };
    this.tables[g] = t;
    return t;
  }

  run(task: FixedBaseTask): FixedBaseResult {
    const { wc } = this;
    const x = wc.x;
    const g = task.group;
    const pre = this.prefix(g);
    const nF = FIELD_BYTES[g];
    const sJ = nF * 3;
    const sA = nF * 2;
    const tbl = this.table(g);
    const n = task.count;
    const mark = wc.mark();
    const pScal = wc.alloc(n * FR_BYTES);
    if (task.kind === 'scalars') {
      wc.write(pScal, task.scalars.subarray(0, n * FR_BYTES));
    } else {
      this.scalars(task, pScal);
      x.frm_batchFromMontgomery!(pScal, n, pScal);
    }
    const pAcc = wc.alloc(n * sJ);
    const pOut = wc.alloc(n * sA, 3 * n * nF + n * sA + (1 << 20));
    const perWindow = (1 << tbl.c) - 1;
    const mask = perWindow;
    const addMixed = x[`${pre}_addMixed`]!;
    const zero = x[`${pre}_zero`]!;
    const words = new Uint32Array(8);
    for (let i = 0; i < n; i++) {
      const acc = pAcc + i * sJ;
      zero(acc);
      const u8 = wc.u8;
      const base = pScal + i * FR_BYTES;
      for (let k = 0; k < 8; k++) {
        const o = base + 4 * k;
        words[k] = (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> 0;
      }
      for (let w = 0; w < tbl.windows; w++) {
        const bit = w * tbl.c;
        const word = bit >>> 5;
        const sh = bit & 31;
        let v = words[word]! >>> sh;
        if (sh + tbl.c > 32 && word + 1 < 8) v |= words[word + 1]! << (32 - sh);
        const d = v & mask;
        if (d !== 0) addMixed(acc, tbl.p + (w * perWindow + d - 1) * sA, acc);
      }
    }
    x[`${pre}_batchToAffine`]!(pAcc, n, pOut);
    const out: FixedBaseResult = { lem: wc.read(pOut, n * sA) };
    if (task.forms.compressed) {
      const pC = wc.alloc(n * nF);
      x[`${pre}_batchLEMtoC`]!(pOut, n, pC);
      out.compressed = wc.read(pC, n * nF);
    }
    if (task.forms.uncompressed) {
      const pU = wc.alloc(n * sA);
      x[`${pre}_batchLEMtoU`]!(pOut, n, pU);
      out.uncompressed = wc.read(pU, n * sA);
    }
    wc.reset(mark);
    return out;
  }

  /** Fill `n` Fr elements (Montgomery form) at `p` with the task's scalars. */
  private scalars(task: Exclude<FixedBaseTask, { kind: 'scalars' }>, p: number): void {
    const { wc } = this;
    const x = wc.x;
    const n = task.count;
    if (task.kind === 'geom') {
      const pRatio = wc.alloc(FR_BYTES);
      wc.frSet(pRatio, BigInt(task.ratio));
      wc.frSet(p, BigInt(task.first));
      for (let i = 1; i < n; i++) x.frm_mul!(p + (i - 1) * FR_BYTES, pRatio, p + i * FR_BYTES);
      return;
    }
    const pOmega = wc.alloc(FR_BYTES);
    const pTau = wc.alloc(FR_BYTES);
    const pA = wc.alloc(FR_BYTES);
    const pB = wc.alloc(FR_BYTES);
    const pT = wc.alloc(FR_BYTES);
    const pW = wc.alloc(n * FR_BYTES);
    const pInv = wc.alloc(n * FR_BYTES, n * FR_BYTES + (1 << 20));
    wc.frSet(pOmega, BigInt(task.omega));
    wc.frSet(pTau, BigInt(task.tau));
    wc.frSet(pA, BigInt(task.a));
    wc.frSet(pB, BigInt(task.b));
    wc.frSet(pW, BigInt(task.omegaStart));
    for (let i = 1; i < n; i++) x.frm_mul!(pW + (i - 1) * FR_BYTES, pOmega, pW + i * FR_BYTES);
    // denominators tau − w_i, inverted in one batch
    for (let i = 0; i < n; i++) x.frm_sub!(pTau, pW + i * FR_BYTES, p + i * FR_BYTES);
    x.frm_batchInverse!(p, FR_BYTES, n, pInv, FR_BYTES);
    for (let i = 0; i < n; i++) {
      const out = p + i * FR_BYTES;
      x.frm_mul!(pA, pInv + i * FR_BYTES, pT);
      x.frm_sub!(pT, pB, pT);
      x.frm_mul!(pT, pW + i * FR_BYTES, out);
    }
  }
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as FixedBaseInit;
  const wc = await WasmCurve.create(init.code);
  const engine = new FixedBaseEngine(wc, init);
  port.on('message', (msg: { id: number; task: FixedBaseTask }) => {
    try {
      const result = engine.run(msg.task);
      const transfer = [result.lem.buffer, result.compressed?.buffer, result.uncompressed?.buffer].filter(
        (b): b is ArrayBuffer => b !== undefined,
      );
      port.postMessage({ id: msg.id, result }, transfer);
    } catch (err) {
      port.postMessage({
        id: msg.id,
        error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err),
      });
    }
  });
  port.postMessage({ ready: true });
}
