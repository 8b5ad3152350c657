import { fromHex, normalizeAddress, toHex } from './crypto.ts';
import { MalformedMessageError } from './errors.ts';
import { type CommitCertificate, MsgType, type Proposal, type SignedMessage, type Vote } from './types.ts';

/** Hard cap on a proposal's value so a peer cannot make us buffer arbitrarily large blocks. */
export const MAX_VALUE_BYTES = 4 * 1024 * 1024;

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  len = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.len, v);
    this.len += 1;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.len, v);
    this.len += 4;
    return this;
  }
  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.len, v);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  varBytes(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  hex(h: string, size: number): this {
    const b = fromHex(h);
    if (b.length !== size) throw new MalformedMessageError(`expected ${size} bytes, got ${b.length}`);
    return this.bytes(b);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class Reader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MalformedMessageError('message truncated');
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    // Always a copy: on a Node Buffer, .slice() would return a view into the caller's memory.
    const out = Uint8Array.prototype.slice.call(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  varBytes(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) throw new MalformedMessageError(`field of ${n} bytes exceeds limit ${max}`);
    return this.bytes(n);
  }
  hex<T extends `0x${string}`>(n: number): T {
    return toHex(this.bytes(n)) as T;
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
  end(): void {
    if (this.pos !== this.buf.length) throw new MalformedMessageError('trailing bytes');
  }
}

export function writeSignedMessage(w: Writer, m: SignedMessage): void {
  w.u8(m.type).u64(m.height).u32(m.round);
  if (m.type === MsgType.Proposal) {
    w.i32(m.validRound).hex(m.valueHash, 32).hex(m.proposer, 20).hex(m.signature, 65).varBytes(m.value);
  } else {
    w.hex(m.valueHash, 32).hex(m.validator, 20).hex(m.signature, 65);
  }
}

export function readSignedMessage(r: Reader): SignedMessage {
  const type = r.u8();
  const height = r.u64();
  const round = r.u32();
  if (type === MsgType.Proposal) {
    const validRound = r.i32();
    const p: Proposal = {
      type,
      height,
      round,
      validRound,
      valueHash: r.hex(32),
      proposer: normalizeAddress(r.hex(20)),
      signature: r.hex(65),
      value: r.varBytes(MAX_VALUE_BYTES),
    };
    return p;
  }
  if (type !== MsgType.Prevote && type !== MsgType.Precommit)
    throw new MalformedMessageError(`unknown message type ${type}`);
  const v: Vote = {
    type,
    height,
    round,
    valueHash: r.hex(32),
    validator: normalizeAddress(r.hex(20)),
    signature: r.hex(65),
  };
  return v;
}

export function encodeSignedMessage(m: SignedMessage): Uint8Array {
  const w = new Writer(m.type === MsgType.Proposal ? 160 + m.value.length : 140);
  writeSignedMessage(w, m);
  return w.finish();
}

export function decodeSignedMessage(bytes: Uint8Array): SignedMessage {
  const r = new Reader(bytes);
  const m = readSignedMessage(r);
  r.end();
  return m;
}

export function writeCertificate(w: Writer, c: CommitCertificate): void {
  if (c.signatures.length > 255) throw new MalformedMessageError('too many signatures');
  w.u64(c.height).u32(c.round).hex(c.valueHash, 32).u8(c.signatures.length);
  for (const s of c.signatures) w.hex(s.validator, 20).hex(s.signature, 65);
}

export function readCertificate(r: Reader): CommitCertificate {
  const height = r.u64();
  const round = r.u32();
  const valueHash = r.hex<`0x${string}`>(32);
  const n = r.u8();
  const signatures = [];
  for (let i = 0; i < n; i++)
    signatures.push({ validator: normalizeAddress(r.hex(20)), signature: r.hex<`0x${string}`>(65) });
  return { height, round, valueHash, signatures };
}

export function encodeCertificate(c: CommitCertificate): Uint8Array {
  const w = new Writer(64 + 85 * c.signatures.length);
  writeCertificate(w, c);
  return w.finish();
}

export function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  const r = new Reader(bytes);
  const c = readCertificate(r);
  r.end();
  return c;
}
