import { BN254_R, SUBGROUP_ORDER_L } from '../params.ts';
import { type CurveAddrs, emitCurve } from './curve-gen.ts';
/**
 * Builds (once, on first use) and instantiates the crypto WebAssembly module from our generators,
 * and owns its memory: the static layout shared with the generated code, plus a bump allocator for
 * scratch space and tables created later (curve runtime). Poseidon has its own modules
 * (poseidon-gen.ts, one per width).
 *
 * The module is single-threaded scratch-space code: calls must not interleave, which holds in JS
 * because every entry point runs to completion synchronously.
 */
import { ModuleBuilder } from './encoder.ts';
import { type FieldNames, emitField, fromLimbs, toLimbs } from './field-gen.ts';
import { Layout } from './layout.ts';

const PAGE = 65536;

// Minimal typings: the project compiles without the DOM lib, whose WebAssembly types Node also uses.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface Kernel {
  /** Generated functions by name (all take/return i32). */
  readonly fn: Record<string, (...args: number[]) => number>;
  readonly F: FieldNames;
  readonly L: FieldNames;
  readonly curve: CurveAddrs;
  readonly layout: Layout;
  /** Scratch I/O area: 32-byte slots. */
  readonly io: number;
  readonly ioSlots: number;
  u8(): Uint8Array;
  u32(): Uint32Array;
  /** Permanent allocation (never freed) for tables built at run time. */
  alloc(bytes: number): number;
  writeBytes32(addr: number, x: bigint): void;
  readBytes32(addr: number): bigint;
  writeElem(addr: number, x: bigint): void;
  readElem(addr: number): bigint;
}

let instance: Kernel | undefined;

export function kernel(): Kernel {
  instance ??= build();
  return instance;
}

function build(): Kernel {
  const layout = new Layout();
  const IO_SLOTS = 24;
  const io = layout.alloc('io', IO_SLOTS * 32, 16);
  const m = new ModuleBuilder(1);
  const F = emitField(m, layout, 'fp_', BN254_R);
  const L = emitField(m, layout, 'fl_', SUBGROUP_ORDER_L);
  const curve = emitCurve(m, layout, F, L);
  const bytes = m.build();
  const wasm = new WA.Instance(new WA.Module(bytes), {});
  const memory = wasm.exports.memory as WasmMemory;
  let top = layout.size;
  const ensure = (end: number) => {
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
  };
  ensure(top);
  let u8 = new Uint8Array(memory.buffer);
  let u32 = new Uint32Array(memory.buffer);
  let view = new DataView(memory.buffer);
  const refresh = () => {
    if (u8.buffer !== memory.buffer) {
      u8 = new Uint8Array(memory.buffer);
      u32 = new Uint32Array(memory.buffer);
      view = new DataView(memory.buffer);
    }
  };
  for (const { addr, words } of layout.inits) u32.set(words, addr / 4);
  const fn = { ...wasm.exports } as unknown as Record<string, (...args: number[]) => number>;
  const M64 = (1n << 64n) - 1n;
  const k: Kernel = {
    fn,
    F,
    L,
    curve,
    layout,
    io,
    ioSlots: IO_SLOTS,
    u8: () => {
      refresh();
      return u8;
    },
    u32: () => {
      refresh();
      return u32;
    },
    alloc(bytes: number) {
      const addr = Math.ceil(top / 16) * 16;
      top = addr + bytes;
      ensure(top);
      refresh();
      return addr;
    },
    writeBytes32(addr: number, x: bigint) {
      refresh();
      view.setBigUint64(addr, x & M64, true);
      view.setBigUint64(addr + 8, (x >> 64n) & M64, true);
      view.setBigUint64(addr + 16, (x >> 128n) & M64, true);
      view.setBigUint64(addr + 24, x >> 192n, true);
    },
    readBytes32(addr: number): bigint {
      refresh();
      return (
        view.getBigUint64(addr, true) |
        (view.getBigUint64(addr + 8, true) << 64n) |
        (view.getBigUint64(addr + 16, true) << 128n) |
        (view.getBigUint64(addr + 24, true) << 192n)
      );
    },
    writeElem(addr: number, x: bigint) {
      refresh();
      u32.set(toLimbs(x), addr / 4);
    },
    readElem(addr: number): bigint {
      refresh();
      return fromLimbs(u32, addr / 4);
    },
  };
  return k;
}
