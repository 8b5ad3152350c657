import { MalformedError } from './errors.ts';

export type Hex = `0x${string}`;

/** Big-endian fixed-width unsigned integer encoding. */
export function uintToBytes(value: bigint, width: number): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(width * 8)) {
    throw new MalformedError(`value ${value} does not fit in ${width} bytes`);
  }
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToUint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex))
    throw new MalformedError(`not an even-length 0x hex string: ${hex.slice(0, 20)}`);
  const bytes = new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new MalformedError(`expected ${expectedLength} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Sequential reader that fails with a clear message instead of reading past the end. */
export class ByteReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  take(n: number, what: string): Uint8Array {
    if (this.offset + n > this.bytes.length) {
      throw new MalformedError(
        `truncated: ${what} needs ${n} bytes at offset ${this.offset}, have ${this.bytes.length - this.offset}`,
      );
    }
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint(n: number, what: string): bigint {
    return bytesToUint(this.take(n, what));
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new MalformedError(`${this.bytes.length - this.offset} trailing bytes`);
    }
  }
}
