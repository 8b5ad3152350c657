/** Reader of circom's binary .r1cs (header and constraints; the wire-label map is not needed). */
import { readFile } from 'node:fs/promises';
import { SetupError } from '../errors.ts';

export type LinearCombination = { signals: Uint32Array; coeffs: bigint[] };
export type R1cs = {
  prime: bigint;
  nWires: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
};

export async function readR1cs(path: string): Promise<R1cs> {
  const buf = await readFile(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 4).toString('latin1') !== 'r1cs')
    throw new SetupError('BAD_R1CS', `${path}: not an r1cs file`);
  const nSections = dv.getUint32(8, true);
  let pos = 12;
  const sections = new Map<number, { start: number; size: number }>();
  for (let i = 0; i < nSections; i++) {
    const type = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const h = sections.get(1);
  const c = sections.get(2);
  if (!h || !c) throw new SetupError('BAD_R1CS', `${path}: missing header or constraints section`);
  let p = h.start;
  const n8 = dv.getUint32(p, true);
  p += 4;
  const readField = (at: number) => {
    let v = 0n;
    for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]!);
    return v;
  };
  const prime = readField(p);
  p += n8;
  const nWires = dv.getUint32(p, true);
  const nOutputs = dv.getUint32(p + 4, true);
  const nPubInputs = dv.getUint32(p + 8, true);
  const nPrvInputs = dv.getUint32(p + 12, true);
  const nConstraints = dv.getUint32(p + 24, true);

  p = c.start;
  const readLc = (): LinearCombination => {
    const n = dv.getUint32(p, true);
    p += 4;
    const signals = new Uint32Array(n);
    const coeffs = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      signals[i] = dv.getUint32(p, true);
      coeffs[i] = readField(p + 4);
      p += 4 + n8;
    }
    return { signals, coeffs };
  };
  const constraints: R1cs['constraints'] = [];
  for (let i = 0; i < nConstraints; i++) constraints.push([readLc(), readLc(), readLc()]);
  return { prime, nWires, nOutputs, nPubInputs, nPrvInputs, nConstraints, constraints };
}
