/**
 * Direct access to ffjavascript's BN254 wasm module (the one snarkjs proves with), with our own
 * linear memory. ffjavascript's JS-level group API copies every operand in and out of wasm memory,
 * which costs more than the arithmetic itself; the trusted-setup hot loops call the exported
 * functions on pointers instead. (No ffjavascript import here: it must stay loadable in worker
 * threads, where ffjavascript's web-worker shim misbehaves.)
 */

export type GroupName = 'G1' | 'G2';

/** Sizes in bytes of one base-field element of each group (Fq for G1, Fq2 for G2). */
export const FIELD_BYTES: Record<GroupName, number> = { G1: 32, G2: 64 };
export const FR_BYTES = 32;

export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const PAGE = 65536;

// Minimal typings (the project compiles without the DOM lib that declares WebAssembly).
type WasmMemory = { buffer: ArrayBuffer; grow(pages: number): number };
type WasmApi = {
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
  compile(code: Uint8Array): Promise<unknown>;
  instantiate(module: unknown, imports: object): Promise<{ exports: Record<string, unknown> }>;
};
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * One instance of the module with a growable memory and a bump allocator. The module itself uses
 * the word at address 0 as the start of its scratch area (batch inversion, batch-to-affine), so
 * every allocation here moves that pointer forward and scratch lands above our buffers.
 */
export class WasmCurve {
  readonly x: Record<string, (...args: number[]) => number>;
  private memory: WasmMemory;
  private u8cache: Uint8Array;

  private constructor(memory: WasmMemory, instance: { exports: Record<string, unknown> }) {
    this.memory = memory;
    this.x = instance.exports as unknown as Record<string, (...args: number[]) => number>;
    this.u8cache = new Uint8Array(memory.buffer);
  }

  static async create(code: Uint8Array, initialBytes = 64 << 20): Promise<WasmCurve> {
    const memory = new WA.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: 65536 });
    const module = await WA.compile(code);
    const instance = await WA.instantiate(module, { env: { memory } });
    return new WasmCurve(memory, instance);
  }

  get u8(): Uint8Array {
    if (this.u8cache.buffer !== this.memory.buffer) this.u8cache = new Uint8Array(this.memory.buffer);
    return this.u8cache;
  }

  private get freePointer(): number {
    return new Uint32Array(this.memory.buffer, 0, 1)[0]!;
  }

  private set freePointer(v: number) {
    new Uint32Array(this.memory.buffer, 0, 1)[0] = v;
  }

  /** Allocate `bytes` (8-byte aligned) and make sure `scratch` more bytes fit above them. */
  alloc(bytes: number, scratch = 1 << 20): number {
    const p = (this.freePointer + 7) & ~7;
    this.freePointer = p + bytes;
    this.ensure(p + bytes + scratch);
    return p;
  }

  /** Free everything allocated after `mark` (a value returned by `mark()`). */
  reset(mark: number): void {
    this.freePointer = mark;
  }

  mark(): number {
    return this.freePointer;
  }

  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  write(p: number, data: Uint8Array): void {
    this.u8.set(data, p);
  }

  read(p: number, n: number): Uint8Array {
    return this.u8.slice(p, p + n);
  }

  // ---- Fr in Montgomery form ----

  /** Write a canonical integer as an Fr element in Montgomery form at `p`. */
  frSet(p: number, v: bigint): void {
    const u8 = this.u8;
    let t = ((v % BN254_R) + BN254_R) % BN254_R;
    for (let i = 0; i < FR_BYTES; i++) {
      u8[p + i] = Number(t & 0xffn);
      t >>= 8n;
    }
    this.x.frm_toMontgomery!(p, p);
  }
}

/** Little-endian bytes of a canonical integer. */
export function toLE(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let t = v;
  for (let i = 0; i < n; i++) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

export function fromLE(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
