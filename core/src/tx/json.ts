import { z } from 'zod';
import { TxType } from '../constants.ts';
import { FIELD_MODULUS } from '../constants.ts';
import { MalformedError } from '../errors.ts';
import { ringSignatureLength } from '../privacy/encoding.ts';
import { MEMO_CIPHERTEXT_LENGTH } from '../privacy/observer.ts';
import { MAX_RING_SIZE } from '../privacy/types.ts';
import type { Tx } from './types.ts';

/*
 * JSON form of a transaction, the shape wallets send over RPC. Integers that can exceed 2^53 are
 * decimal strings; byte strings are 0x-hex. The schema is strict: unknown fields are errors.
 */
const u32 = z.number().int().min(0).max(0xffffffff);
const decimal = (maxBits: number) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, 'must be a decimal integer string without leading zeros')
    .transform((s) => BigInt(s))
    .refine((v) => v < 1n << BigInt(maxBits), `must be below 2^${maxBits}`);
const fieldElement = decimal(254).refine((v) => v < FIELD_MODULUS, 'must be a field element');
const hexBytes = (n: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${2 * n}}$`), `must be ${n} bytes of 0x-hex`);
const point = z.tuple([fieldElement, fieldElement]);
const signature = z.object({ R8: point, S: fieldElement }).strict();
const output = z.object({ oneTimeKey: point, txPublicKey: point }).strict();
const memo = hexBytes(MEMO_CIPHERTEXT_LENGTH);
const ring = z.array(u32).min(1).max(MAX_RING_SIZE);
const ringSignature = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})+$/, 'must be 0x-hex bytes')
  .max(2 + 2 * ringSignatureLength(MAX_RING_SIZE), 'ring signature too long');

export const TxJsonSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal(TxType.REGISTER),
      ethAddress: hexBytes(20),
      publicKey: point,
      assetId: u32,
      binding: hexBytes(65),
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.TRANSFER),
      from: u32,
      to: u32,
      amount: decimal(128),
      nonce: decimal(40),
      signature,
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.DEPOSIT),
      queueIndex: decimal(64),
      depositor: hexBytes(20),
      to: u32,
      assetId: u32,
      amount: decimal(128),
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.WITHDRAW),
      from: u32,
      amount: decimal(128),
      nonce: decimal(40),
      signature,
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.SHIELD),
      from: u32,
      amount: decimal(128),
      nonce: decimal(40),
      output,
      observerEpoch: decimal(64),
      memo,
      signature,
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.PRIVATE_TRANSFER),
      assetId: u32,
      amount: decimal(128),
      ring,
      output,
      observerEpoch: decimal(64),
      memo,
      ringSignature,
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.UNSHIELD),
      assetId: u32,
      amount: decimal(128),
      ring,
      to: u32,
      observerEpoch: decimal(64),
      memo,
      ringSignature,
    })
    .strict(),
  z
    .object({
      type: z.literal(TxType.OBSERVER_KEY),
      epoch: decimal(64),
      key: point,
      signature,
    })
    .strict(),
]);

export type TxJson = z.input<typeof TxJsonSchema>;

export function txFromJson(json: unknown): Tx {
  const parsed = TxJsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedError(
      `invalid transaction JSON at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const tx = parsed.data as unknown as Tx;
  if ('ethAddress' in tx) (tx as { ethAddress: string }).ethAddress = tx.ethAddress.toLowerCase();
  if ('depositor' in tx) (tx as { depositor: string }).depositor = tx.depositor.toLowerCase();
  if ('memo' in tx) (tx as { memo: string }).memo = tx.memo.toLowerCase();
  if ('ringSignature' in tx) (tx as { ringSignature: string }).ringSignature = tx.ringSignature.toLowerCase();
  return tx;
}

export function txToJson(tx: Tx): TxJson {
  return JSON.parse(JSON.stringify(tx, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
