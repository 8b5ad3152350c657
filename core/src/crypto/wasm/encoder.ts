/**
 * A minimal WebAssembly binary encoder. Our arithmetic kernels are generated from TypeScript at
 * first use (no binary blob is ever committed): code is written as nested byte arrays
 * ("expressions") that are flattened into function bodies.
 *
 * Only what the kernels need is supported: i32/i64 numeric ops, locals, structured control flow,
 * direct calls, one exported memory and exported functions.
 */

export type ValType = 'i32' | 'i64' | 'v128';
/** A piece of code: bytes, or nested pieces (flattened when the function is built). */
export type Code = number | Code[];

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, v128: 0x7b };

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

function sleb(value: bigint): number[] {
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
  else for (const c of code) flatten(c, out);
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
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
  i32: (v: number): Code => [0x41, ...sleb(BigInt(v | 0))],
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

  i64_load: (addr: Code, offset = 0): Code => [addr, 0x29, ...memarg(3, offset)],
  i64_store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x37, ...memarg(3, offset)],
  i32_load: (addr: Code, offset = 0): Code => [addr, 0x28, ...memarg(2, offset)],
  i32_store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, ...memarg(2, offset)],
  i32_load8_u: (addr: Code, offset = 0): Code => [addr, 0x2d, ...memarg(0, offset)],
  i32_load8_s: (addr: Code, offset = 0): Code => [addr, 0x2c, ...memarg(0, offset)],
  i32_store8: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3a, ...memarg(0, offset)],
  /** Loads a u32 zero-extended to i64 (our limb storage format). */
  i64_load32_u: (addr: Code, offset = 0): Code => [addr, 0x35, ...memarg(2, offset)],
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

export class FunctionBuilder {
  readonly params: { name: string; type: ValType }[] = [];
  readonly localsDecl: { name: string; type: ValType }[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly body: Code[] = [];
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
  set(name: string, value: Code): Code {
    return [value, 0x21, ...uleb(this.idx(name))];
  }
  tee(name: string, value: Code): Code {
    return [value, 0x22, ...uleb(this.idx(name))];
  }
  call(fn: string, ...args: Code[]): Code {
    return [args, 0x10, ...uleb(this.module.fn(fn).index)];
  }

  emit(...code: Code[]): this {
    this.body.push(...code);
    return this;
  }

  encodeBody(): number[] {
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
    const code: number[] = [];
    flatten(this.body, code);
    const bytes = [...vec(groups), ...code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
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
    const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];
    const types = this.functions.map((f) => [
      0x60,
      ...vec(f.params.map((p) => [VALTYPE[p.type]])),
      ...vec(f.results.map((r) => [VALTYPE[r]])),
    ]);
    const exports: number[][] = [[...utf8('memory'), 0x02, 0x00]];
    for (const f of this.functions) if (f.exported) exports.push([...utf8(f.name), 0x00, ...uleb(f.index)]);
    const bytes = [
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      ...section(1, vec(types)),
      ...section(3, vec(this.functions.map((f) => uleb(f.index)))),
      ...section(5, vec([[0x00, ...uleb(this.memoryPages)]])),
      ...section(7, vec(exports)),
      ...section(10, vec(this.functions.map((f) => f.encodeBody()))),
    ];
    return Uint8Array.from(bytes);
  }
}
