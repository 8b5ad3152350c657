import { type Hex, type Tx, TxType, txFromJson } from '@tessera/core';
import { RegulatorError } from './errors.ts';
import { type OpenedTransaction, openFetchedTransaction } from './open.ts';
import type { Regulator } from './regulator.ts';

export type RegulatorReport = {
  chainId: bigint;
  fromHeight: bigint;
  toHeight: bigint;
  /** Every shield, private transfer and unshield committed in the range, in chain order, opened. */
  transactions: OpenedTransaction[];
};

/** Blocks one report may span (a larger range is split by the caller). */
export const MAX_REPORT_BLOCKS = 100_000n;

const PRIVACY_TYPES: readonly number[] = [TxType.SHIELD, TxType.PRIVATE_TRANSFER, TxType.UNSHIELD];

/**
 * Opens every privacy transaction of blocks `fromHeight..toHeight` (inclusive). All epochs the
 * range needs are checked against the keyring before the first opening, so a missing or wrong
 * key fails the whole report and nothing is decrypted.
 */
export async function report(
  reg: Regulator,
  range: { fromHeight: bigint | number; toHeight: bigint | number },
): Promise<RegulatorReport> {
  const from = BigInt(range.fromHeight);
  const to = BigInt(range.toHeight);
  if (from < 0n || to < from)
    throw new RegulatorError('BAD_RANGE', `bad block range ${from}..${to} (need 0 <= from <= to)`);
  if (to - from + 1n > MAX_REPORT_BLOCKS)
    throw new RegulatorError('BAD_RANGE', `a report spans at most ${MAX_REPORT_BLOCKS} blocks`);
  const found: { hash: Hex; tx: Tx; blockHeight: bigint; index: number }[] = [];
  for (let h = from; h <= to; h++) {
    const block = await reg.client.getBlock(h, true);
    if (!block) {
      const head = await reg.client.blockNumber();
      throw new RegulatorError('BAD_RANGE', `block ${h} does not exist (the head is block ${head})`);
    }
    const txs = block.txs ?? [];
    if (txs.length !== block.txHashes.length)
      throw new RegulatorError(
        'BAD_RPC_RESPONSE',
        `block ${h}: ${txs.length} transactions for ${block.txHashes.length} hashes`,
      );
    txs.forEach((json, index) => {
      if (!PRIVACY_TYPES.includes((json as { type: number }).type)) return;
      const hash = block.txHashes[index]!.toLowerCase() as Hex;
      found.push({ hash, tx: txFromJson(json), blockHeight: h, index });
    });
  }
  const epochs = new Set(found.map((f) => (f.tx as { observerEpoch: bigint }).observerEpoch));
  for (const e of [...epochs].sort((a, b) => (a < b ? -1 : 1))) await reg.observer(e);
  const transactions: OpenedTransaction[] = [];
  for (const f of found) transactions.push(await openFetchedTransaction(reg, f));
  return { chainId: await reg.chainId(), fromHeight: from, toHeight: to, transactions };
}
