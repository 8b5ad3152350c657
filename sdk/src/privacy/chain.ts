import { type Hex, type Note, type ObserverKey, type Point, noteCommitment } from '@tessera/core';
import { isValidGroupElement } from '@tessera/core/privacy/validate';
import { z } from 'zod';
import type { TesseraClient } from '../rpcClient.ts';
import { PrivacyWalletError } from './errors.ts';

/*
 * The privacy RPC results (docs/RPC.md) checked and turned into core types. A sequencer is not
 * trusted blindly: points must be valid subgroup elements and a note's commitment must match its
 * key, asset and amount, or the answer is refused.
 */

/** Largest page `tessera_getNotes` serves. */
export const NOTES_PAGE = 1000;

const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/)
  .transform((s) => BigInt(s));
const point = z
  .tuple([decimal, decimal])
  .refine((p) => isValidGroupElement(p as Point), 'not a valid subgroup point')
  .transform((p) => p as Point);
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const u32 = z.number().int().min(0).max(0xffffffff);

const NoteSchema = z
  .object({
    index: u32,
    oneTimeKey: point,
    txPublicKey: point,
    assetId: u32,
    amount: decimal,
    commitment: decimal,
    origin: hash,
  })
  .transform((n) => ({ ...n, origin: n.origin.toLowerCase() as Hex }));
const NotesSchema = z.object({ total: z.number().int().min(0), notes: z.array(NoteSchema) });
const ObserverKeySchema = z
  .object({ epoch: decimal, key: point })
  .transform((o): ObserverKey => ({ epoch: o.epoch, key: o.key }));
const PrivacyParamsSchema = z.object({
  minRingSize: z.number().int().min(1),
  maxRingSize: z.number().int().min(1),
  denominations: z.record(z.array(decimal)),
  observerKeys: z.array(ObserverKeySchema),
});
const KeyImageSchema = z.object({ spent: z.boolean(), txHash: hash.optional() });

export type PrivacyParams = {
  minRingSize: number;
  maxRingSize: number;
  denominations: Map<number, bigint[]>;
  observerKeys: ObserverKey[];
};

function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PrivacyWalletError(
      'BAD_RPC_RESPONSE',
      `malformed ${what} from the sequencer at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return r.data;
}

/** Notes `from .. from + count - 1` as far as they exist, checked; and the total number of notes. */
export async function fetchNotes(
  client: TesseraClient,
  from: number,
  count: number,
): Promise<{ total: number; notes: Note[] }> {
  const r = parse(NotesSchema, await client.getNotes(from, Math.min(count, NOTES_PAGE)), 'notes');
  r.notes.forEach((n, i) => {
    if (n.index !== from + i)
      throw new PrivacyWalletError('BAD_RPC_RESPONSE', `asked for note ${from + i}, got note ${n.index}`);
    if (n.commitment !== noteCommitment(n.oneTimeKey, n.assetId, n.amount))
      throw new PrivacyWalletError(
        'BAD_RPC_RESPONSE',
        `note ${n.index}: commitment does not match its contents`,
      );
  });
  return r;
}

/** One note, or undefined when it does not exist. */
export async function fetchNote(client: TesseraClient, index: number): Promise<Note | undefined> {
  return (await fetchNotes(client, index, 1)).notes[0];
}

export async function fetchObserverKey(client: TesseraClient): Promise<ObserverKey> {
  const v = await client.getObserverKey();
  if (v === null) throw new PrivacyWalletError('NO_OBSERVER_KEY', 'the chain has no observer key yet');
  return parse(ObserverKeySchema, v, 'observer key');
}

export async function fetchPrivacyParams(client: TesseraClient): Promise<PrivacyParams> {
  const p = parse(PrivacyParamsSchema, await client.getPrivacyParams(), 'privacy parameters');
  const denominations = new Map<number, bigint[]>();
  for (const [asset, values] of Object.entries(p.denominations)) {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(asset))
      throw new PrivacyWalletError('BAD_RPC_RESPONSE', `privacy parameters: bad asset id ${asset}`);
    denominations.set(Number(asset), values);
  }
  return { ...p, denominations };
}

export async function fetchKeyImage(
  client: TesseraClient,
  tag: bigint,
): Promise<{ spent: boolean; txHash?: Hex }> {
  const r = parse(KeyImageSchema, await client.getKeyImage(tag), 'key image');
  return { spent: r.spent, ...(r.txHash ? { txHash: r.txHash.toLowerCase() as Hex } : {}) };
}
