/**
 * Static memory layout of the crypto kernel. Code generation and the JS runtime share it, so
 * generated code can address constants and scratch space with immediate offsets.
 */
export class Layout {
  private next = 64; // address 0 stays unused so that 0 can mean "no pointer"
  private readonly named = new Map<string, number>();
  /** Values the runtime writes into memory after instantiation: u32 words at `addr`. */
  readonly inits: { addr: number; words: readonly number[] }[] = [];

  alloc(name: string, bytes: number, align = 8): number {
    if (this.named.has(name)) throw new Error(`layout: ${name} allocated twice`);
    this.next = Math.ceil(this.next / align) * align;
    const addr = this.next;
    this.next += bytes;
    this.named.set(name, addr);
    return addr;
  }

  addr(name: string): number {
    const a = this.named.get(name);
    if (a === undefined) throw new Error(`layout: unknown ${name}`);
    return a;
  }

  init(addr: number, words: readonly number[]): void {
    this.inits.push({ addr, words });
  }

  get size(): number {
    return this.next;
  }
}
