/**
 * A minimal WebAssembly binary encoder. Our arithmetic kernels are generated from TypeScript at
 * first use (no binary blob is ever committed): code is written as nested byte arrays
 * ("expressions") that are flattened into function bodies.
 *
 * Only what the kernels need is supported: i32/i64 numeric ops, locals, structured control flow,
 * direct calls, one exported memory and exported functions.
 */

export type ValType = 'i32' | 'i64' | 'f64' | 'v128';
/** A piece of code: bytes, or nested pieces (flattened when the function is built). */
export type Code = number | Code[];

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b };

function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (the common case: addresses, offsets, small constants). */
function sleb32(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function sleb(value: bigint): number[] {
  if (value >= -0x80000000n && value <= 0x7fffffffn) return sleb32(Number(value));
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function flatten(code: Code, out: number[]): void {
  if (typeof code === 'number') out.push(code);
  else for (let i = 0; i < code.length; i++) flatten(code[i]!, out);
}

/** Growable byte buffer for function bodies. */
class ByteWriter {
  bytes = new Uint8Array(1 << 12);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  code(c: Code): void {
    if (typeof c === 'number') {
      this.reserve(1);
      this.bytes[this.length++] = c;
    } else {
      for (let i = 0; i < c.length; i++) this.code(c[i]!);
    }
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** Appends without spreading (function bodies can be hundreds of kilobytes). */
function append(out: number[], bytes: readonly number[]): void {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
}

function vec(items: number[][]): number[] {
  const out = uleb(items.length);
  for (const item of items) append(out, item);
  return out;
}

function utf8(s: string): number[] {
  return [...uleb(Buffer.byteLength(s)), ...Buffer.from(s, 'utf8')];
}

/** Memory access immediate: alignment hint (log2) and static offset. */
function memarg(align: number, offset: number): number[] {
  return [align, ...uleb(offset)];
}

/** Instruction helpers. Each returns code that leaves its result (if any) on the stack. */
export const op = {
  i32: (v: number): Code => [0x41, ...sleb32(v)],
  i64: (v: bigint | number): Code => [0x42, ...sleb(BigInt.asIntN(64, BigInt(v)))],

  i32_add: (a: Code, b: Code): Code => [a, b, 0x6a],
  i32_sub: (a: Code, b: Code): Code => [a, b, 0x6b],
  i32_mul: (a: Code, b: Code): Code => [a, b, 0x6c],
  i32_and: (a: Code, b: Code): Code => [a, b, 0x71],
  i32_or: (a: Code, b: Code): Code => [a, b, 0x72],
  i32_xor: (a: Code, b: Code): Code => [a, b, 0x73],
  i32_shl: (a: Code, b: Code): Code => [a, b, 0x74],
  i32_shr_u: (a: Code, b: Code): Code => [a, b, 0x76],
  i32_eqz: (a: Code): Code => [a, 0x45],
  i32_eq: (a: Code, b: Code): Code => [a, b, 0x46],
  i32_ne: (a: Code, b: Code): Code => [a, b, 0x47],
  i32_lt_u: (a: Code, b: Code): Code => [a, b, 0x49],
  i32_ge_u: (a: Code, b: Code): Code => [a, b, 0x4f],
  i32_lt_s: (a: Code, b: Code): Code => [a, b, 0x48],
  i32_ge_s: (a: Code, b: Code): Code => [a, b, 0x4e],
  i32_gt_s: (a: Code, b: Code): Code => [a, b, 0x4a],
  i32_wrap: (a: Code): Code => [a, 0xa7],

  i64_add: (a: Code, b: Code): Code => [a, b, 0x7c],
  i64_sub: (a: Code, b: Code): Code => [a, b, 0x7d],
  i64_mul: (a: Code, b: Code): Code => [a, b, 0x7e],
  i64_and: (a: Code, b: Code): Code => [a, b, 0x83],
  i64_or: (a: Code, b: Code): Code => [a, b, 0x84],
  i64_xor: (a: Code, b: Code): Code => [a, b, 0x85],
  i64_shl: (a: Code, b: Code): Code => [a, b, 0x86],
  i64_shr_s: (a: Code, b: Code): Code => [a, b, 0x87],
  i64_shr_u: (a: Code, b: Code): Code => [a, b, 0x88],
  i64_eqz: (a: Code): Code => [a, 0x50],
  i64_eq: (a: Code, b: Code): Code => [a, b, 0x51],
  i64_ne: (a: Code, b: Code): Code => [a, b, 0x52],
  i64_extend_u: (a: Code): Code => [a, 0xad],
  i64_extend_s: (a: Code): Code => [a, 0xac],
  i32_shr_s: (a: Code, b: Code): Code => [a, b, 0x75],

  f64: (v: number): Code => {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return [0x44, ...b];
  },
  f64_add: (a: Code, b: Code): Code => [a, b, 0xa0],
  f64_mul: (a: Code, b: Code): Code => [a, b, 0xa2],
  f64_nearest: (a: Code): Code => [a, 0x9e],
  i32_trunc_f64_s: (a: Code): Code => [a, 0xaa],

  i64_load: (addr: Code, offset = 0): Code => [addr, 0x29, ...memarg(3, offset)],
  i64_store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x37, ...memarg(3, offset)],
  i32_load: (addr: Code, offset = 0): Code => [addr, 0x28, ...memarg(2, offset)],
  i32_store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, ...memarg(2, offset)],
  i32_load8_u: (addr: Code, offset = 0): Code => [addr, 0x2d, ...memarg(0, offset)],
  i32_load8_s: (addr: Code, offset = 0): Code => [addr, 0x2c, ...memarg(0, offset)],
  i32_store8: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3a, ...memarg(0, offset)],
  /** Loads a u32 zero-extended to i64 (our limb storage format). */
  i64_load32_u: (addr: Code, offset = 0): Code => [addr, 0x35, ...memarg(2, offset)],
  /** Loads an i32 sign-extended to i64. */
  i64_load32_s: (addr: Code, offset = 0): Code => [addr, 0x34, ...memarg(2, offset)],
  /** Loads an i16 sign-extended to i64. */
  i64_load16_s: (addr: Code, offset = 0): Code => [addr, 0x32, ...memarg(1, offset)],
  /** Stores the low 32 bits of an i64. */
  i64_store32: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3e, ...memarg(2, offset)],

  select: (ifTrue: Code, ifFalse: Code, cond: Code): Code => [ifTrue, ifFalse, cond, 0x1b],
  drop: (a: Code): Code => [a, 0x1a],
  ret: (a?: Code): Code => (a === undefined ? [0x0f] : [a, 0x0f]),
  /** Structured control (void block type). `br` depths count outwards from the innermost label. */
  block: (...body: Code[]): Code => [0x02, 0x40, body, 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, body, 0x0b],
  if_: (cond: Code, then: Code[], otherwise?: Code[]): Code =>
    otherwise ? [cond, 0x04, 0x40, then, 0x05, otherwise, 0x0b] : [cond, 0x04, 0x40, then, 0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  br_if: (depth: number, cond: Code): Code => [cond, 0x0d, ...uleb(depth)],
};

/** SIMD (v128) instructions: prefix 0xfd, then the opcode as unsigned LEB128. */
const simd = (opcode: number): number[] => [0xfd, ...uleb(opcode)];

export const v128 = {
  load: (addr: Code, offset = 0): Code => [addr, simd(0x00), ...memarg(4, offset)],
  /** Loads 32 bits and broadcasts them to all four i32 lanes. */
  load32_splat: (addr: Code, offset = 0): Code => [addr, simd(0x09), ...memarg(2, offset)],
  load64_splat: (addr: Code, offset = 0): Code => [addr, simd(0x0a), ...memarg(3, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, simd(0x0b), ...memarg(4, offset)],
  const: (bytes: readonly number[]): Code => [simd(0x0c), ...bytes],
  i8x16_shuffle: (a: Code, b: Code, lanes: readonly number[]): Code => [a, b, simd(0x0d), ...lanes],
  i32x4_splat: (a: Code): Code => [a, simd(0x11)],
  i64x2_splat: (a: Code): Code => [a, simd(0x12)],
  i32x4_extract_lane: (a: Code, lane: number): Code => [a, simd(0x1b), lane],
  i64x2_extract_lane: (a: Code, lane: number): Code => [a, simd(0x1d), lane],
  i64x2_replace_lane: (a: Code, b: Code, lane: number): Code => [a, b, simd(0x1e), lane],
  and: (a: Code, b: Code): Code => [a, b, simd(0x4e)],
  or: (a: Code, b: Code): Code => [a, b, simd(0x50)],
  xor: (a: Code, b: Code): Code => [a, b, simd(0x51)],
  i16x8_splat: (a: Code): Code => [a, simd(0x10)],
  /** Packs two i32x4 into i16x8 with signed saturation (a's lanes first). */
  i16x8_narrow_i32x4_s: (a: Code, b: Code): Code => [a, b, simd(0x85)],
  i16x8_shl: (a: Code, n: Code): Code => [a, n, simd(0x8b)],
  i16x8_shr_s: (a: Code, n: Code): Code => [a, n, simd(0x8c)],
  i16x8_add: (a: Code, b: Code): Code => [a, b, simd(0x8e)],
  i16x8_sub: (a: Code, b: Code): Code => [a, b, simd(0x91)],
  i16x8_mul: (a: Code, b: Code): Code => [a, b, simd(0x95)],
  i32x4_extend_low_i16x8_s: (a: Code): Code => [a, simd(0xa7)],
  i32x4_extend_high_i16x8_s: (a: Code): Code => [a, simd(0xa8)],
  i32x4_shl: (a: Code, n: Code): Code => [a, n, simd(0xab)],
  i32x4_shr_s: (a: Code, n: Code): Code => [a, n, simd(0xac)],
  i32x4_shr_u: (a: Code, n: Code): Code => [a, n, simd(0xad)],
  i32x4_add: (a: Code, b: Code): Code => [a, b, simd(0xae)],
  i32x4_sub: (a: Code, b: Code): Code => [a, b, simd(0xb1)],
  i32x4_mul: (a: Code, b: Code): Code => [a, b, simd(0xb5)],
  /** Lane i = a[2i]*b[2i] + a[2i+1]*b[2i+1] over signed 16-bit lanes. */
  i32x4_dot_i16x8_s: (a: Code, b: Code): Code => [a, b, simd(0xba)],
  i64x2_extend_low_i32x4_s: (a: Code): Code => [a, simd(0xc7)],
  i64x2_extend_high_i32x4_s: (a: Code): Code => [a, simd(0xc8)],
  i64x2_extend_low_i32x4_u: (a: Code): Code => [a, simd(0xc9)],
  i64x2_extend_high_i32x4_u: (a: Code): Code => [a, simd(0xca)],
  i64x2_shl: (a: Code, n: Code): Code => [a, n, simd(0xcb)],
  i64x2_shr_s: (a: Code, n: Code): Code => [a, n, simd(0xcc)],
  i64x2_shr_u: (a: Code, n: Code): Code => [a, n, simd(0xcd)],
  i64x2_add: (a: Code, b: Code): Code => [a, b, simd(0xce)],
  i64x2_sub: (a: Code, b: Code): Code => [a, b, simd(0xd1)],
  i64x2_mul: (a: Code, b: Code): Code => [a, b, simd(0xd5)],
  i64x2_extmul_low_i32x4_u: (a: Code, b: Code): Code => [a, b, simd(0xde)],
  i64x2_extmul_high_i32x4_u: (a: Code, b: Code): Code => [a, b, simd(0xdf)],
  f64x2_extract_lane: (a: Code, lane: number): Code => [a, simd(0x21), lane],
  f64x2_add: (a: Code, b: Code): Code => [a, b, simd(0xf0)],
  f64x2_mul: (a: Code, b: Code): Code => [a, b, simd(0xf2)],
  /** Converts i32 lanes 0 and 1 to f64. */
  f64x2_convert_low_i32x4_s: (a: Code): Code => [a, simd(0xfe)],
};

/** A v128 constant from four i32 lanes. */
export function v128i32(lanes: readonly number[]): Code {
  return v128.const([...new Uint8Array(Int32Array.from(lanes).buffer)]);
}
/** A v128 constant from two f64 lanes. */
export function v128f64(lanes: readonly number[]): Code {
  return v128.const([...new Uint8Array(Float64Array.from(lanes).buffer)]);
}

export class FunctionBuilder {
  readonly params: { name: string; type: ValType }[] = [];
  readonly localsDecl: { name: string; type: ValType }[] = [];
  private readonly indexOf = new Map<string, number>();
  /** Flattened body (statements are flattened when emitted, so their trees die young). */
  private readonly body = new ByteWriter();
  results: ValType[] = [];

  constructor(
    readonly name: string,
    readonly index: number,
    readonly exported: boolean,
    private readonly module: ModuleBuilder,
  ) {}

  param(name: string, type: ValType): this {
    if (this.localsDecl.length > 0) throw new Error('declare params before locals');
    this.indexOf.set(name, this.params.length);
    this.params.push({ name, type });
    return this;
  }

  result(type: ValType): this {
    this.results.push(type);
    return this;
  }

  /** Declares a local (idempotent for the same name). */
  local(name: string, type: ValType): string {
    if (!this.indexOf.has(name)) {
      this.indexOf.set(name, this.params.length + this.localsDecl.length);
      this.localsDecl.push({ name, type });
    }
    return name;
  }

  private idx(name: string): number {
    const i = this.indexOf.get(name);
    if (i === undefined) throw new Error(`unknown local ${name} in ${this.name}`);
    return i;
  }

  get(name: string): Code {
    return [0x20, ...uleb(this.idx(name))];
  }
  /** A `local.set` statement, already flattened. */
  set(name: string, value: Code): Code {
    const out: number[] = [];
    flatten(value, out);
    out.push(0x21);
    append(out, uleb(this.idx(name)));
    return out;
  }
  tee(name: string, value: Code): Code {
    return [value, 0x22, ...uleb(this.idx(name))];
  }
  call(fn: string, ...args: Code[]): Code {
    return [args, 0x10, ...uleb(this.module.fn(fn).index)];
  }

  emit(...code: Code[]): this {
    for (const c of code) this.body.code(c);
    return this;
  }

  encodeBody(): Uint8Array {
    // Run-length encode consecutive locals of the same type.
    const groups: number[][] = [];
    let i = 0;
    while (i < this.localsDecl.length) {
      const t = this.localsDecl[i]!.type;
      let j = i;
      while (j < this.localsDecl.length && this.localsDecl[j]!.type === t) j++;
      groups.push([...uleb(j - i), VALTYPE[t]]);
      i = j;
    }
    const head = vec(groups);
    const body = this.body.view();
    const size = uleb(head.length + body.length + 1);
    const out = new Uint8Array(size.length + head.length + body.length + 1);
    out.set(size, 0);
    out.set(head, size.length);
    out.set(body, size.length + head.length);
    out[out.length - 1] = 0x0b;
    return out;
  }
}

export class ModuleBuilder {
  private readonly functions: FunctionBuilder[] = [];
  private readonly byName = new Map<string, FunctionBuilder>();

  constructor(private readonly memoryPages: number) {}

  /** Declares a function; its body can be emitted later, so calls may refer to it right away. */
  addFunction(name: string, exported = true): FunctionBuilder {
    if (this.byName.has(name)) throw new Error(`duplicate function ${name}`);
    const f = new FunctionBuilder(name, this.functions.length, exported, this);
    this.functions.push(f);
    this.byName.set(name, f);
    return f;
  }

  fn(name: string): FunctionBuilder {
    const f = this.byName.get(name);
    if (!f) throw new Error(`unknown function ${name}`);
    return f;
  }

  build(): Uint8Array {
    const section = (id: number, payload: number[]): number[] => {
      const out = [id, ...uleb(payload.length)];
      append(out, payload);
      return out;
    };
    const types = this.functions.map((f) => [
      0x60,
      ...vec(f.params.map((p) => [VALTYPE[p.type]])),
      ...vec(f.results.map((r) => [VALTYPE[r]])),
    ]);
    const exports: number[][] = [[...utf8('memory'), 0x02, 0x00]];
    for (const f of this.functions) if (f.exported) exports.push([...utf8(f.name), 0x00, ...uleb(f.index)]);
    const bodies = this.functions.map((f) => f.encodeBody());
    const codeSize = uleb(bodies.length).length + bodies.reduce((n, b) => n + b.length, 0);
    const parts: ArrayLike<number>[] = [
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      section(1, vec(types)),
      section(3, vec(this.functions.map((f) => uleb(f.index)))),
      section(5, vec([[0x00, ...uleb(this.memoryPages)]])),
      section(7, vec(exports)),
      [10, ...uleb(codeSize), ...uleb(bodies.length)],
      ...bodies,
    ];
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}
