import type { Hex } from '../bytes.ts';
import type { Point } from '../crypto/index.ts';
import type { Note } from './state.ts';

/** A note's JSON form (RPC `tessera_getNotes`, storage): decimal strings for field elements. */
export type NoteJson = {
  index: number;
  oneTimeKey: [string, string];
  txPublicKey: [string, string];
  assetId: number;
  amount: string;
  commitment: string;
  origin: Hex;
};

const pointToJson = (p: Point): [string, string] => [p[0].toString(), p[1].toString()];
const pointFromJson = (p: readonly [string, string]): Point => [BigInt(p[0]), BigInt(p[1])];

export function noteToJson(n: Note): NoteJson {
  return {
    index: n.index,
    oneTimeKey: pointToJson(n.oneTimeKey),
    txPublicKey: pointToJson(n.txPublicKey),
    assetId: n.assetId,
    amount: n.amount.toString(),
    commitment: n.commitment.toString(),
    origin: n.origin,
  };
}

/** The inverse of noteToJson; it trusts its input (callers validate data from the network). */
export function noteFromJson(j: NoteJson): Note {
  return {
    index: j.index,
    oneTimeKey: pointFromJson(j.oneTimeKey),
    txPublicKey: pointFromJson(j.txPublicKey),
    assetId: j.assetId,
    amount: BigInt(j.amount),
    commitment: BigInt(j.commitment),
    origin: j.origin,
  };
}
