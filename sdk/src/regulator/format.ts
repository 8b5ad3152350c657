import { type Point, packPoint, toHex } from '@tessera/core';
import type { OpenedTransaction } from './open.ts';
import type { RegulatorReport } from './report.ts';
import type { NoteTrace } from './trace.ts';

/*
 * Exports. JSON: bigints as decimal strings, curve points as their packed 32-byte 0x-hex form
 * (the chain's point packing). CSV: RFC 4180 (CRLF line ends, a header row, fields quoted when
 * they hold a comma, a double quote, CR or LF, with quotes doubled), one row per transaction,
 * the columns of REPORT_CSV_COLUMNS in that order; lists inside a cell are joined with ";".
 * The memo text is the sender's free text and is written as is: spreadsheet users should import
 * the file as text rather than let formulas (a cell starting with "=") evaluate.
 */

export const pointHex = (p: Point): string => toHex(packPoint(p));

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) {
    if (v.length === 2 && typeof v[0] === 'bigint' && typeof v[1] === 'bigint')
      return pointHex(v as unknown as Point);
    return v.map(jsonValue);
  }
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

/** A JSON-ready copy (bigints → decimal strings, points → packed hex). */
export function toJsonValue<T extends OpenedTransaction | NoteTrace | RegulatorReport>(v: T): unknown {
  return jsonValue(v);
}

export function reportToJson(report: RegulatorReport): string {
  return `${JSON.stringify(jsonValue(report), null, 2)}\n`;
}

export const REPORT_CSV_COLUMNS = [
  'block_height',
  'tx_index',
  'tx_hash',
  'type',
  'observer_epoch',
  'asset_id',
  'amount',
  'sender_public_key',
  'sender_source',
  'sender_accounts',
  'sender_eth_addresses',
  'spent_note',
  'spent_note_origin',
  'ring',
  'ring_signature_valid',
  'recipient_kind',
  'recipient_address',
  'recipient_one_time_key',
  'recipient_account',
  'recipient_eth_address',
  'recipient_verified',
  'created_note',
  'memo_readable',
  'memo_text',
  'memo_hex',
  'memo_stated_asset_id',
  'memo_stated_amount',
  'warnings',
] as const;

type Column = (typeof REPORT_CSV_COLUMNS)[number];

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export function csvRow(t: OpenedTransaction): Record<Column, string> {
  const r = t.recipient;
  return {
    block_height: str(t.blockHeight),
    tx_index: str(t.txIndex),
    tx_hash: t.txHash,
    type: t.type,
    observer_epoch: str(t.observerEpoch),
    asset_id: str(t.assetId),
    amount: str(t.amount),
    sender_public_key: t.sender.publicKey ? pointHex(t.sender.publicKey) : '',
    sender_source: t.sender.source,
    sender_accounts: t.sender.accounts.map((a) => a.index).join(';'),
    sender_eth_addresses: [...new Set(t.sender.accounts.map((a) => a.ethAddress))].join(';'),
    spent_note: str(t.spentNote?.index),
    spent_note_origin: str(t.spentNote?.origin),
    ring: t.ring ? t.ring.join(';') : '',
    ring_signature_valid: str(t.ringSignatureValid),
    recipient_kind: r.kind,
    recipient_address: r.kind === 'note' ? str(r.address) : '',
    recipient_one_time_key: r.kind === 'note' ? pointHex(r.oneTimeKey) : '',
    recipient_account: r.kind === 'account' ? str(r.index) : '',
    recipient_eth_address: r.kind === 'account' ? str(r.account?.ethAddress) : '',
    recipient_verified: str(r.verified),
    created_note: str(t.createdNote),
    memo_readable: str(t.memo.readable),
    memo_text: str(t.memo.text),
    memo_hex: str(t.memo.hex),
    memo_stated_asset_id: str(t.memo.statedAssetId),
    memo_stated_amount: str(t.memo.statedAmount),
    warnings: t.warnings.join(';'),
  };
}

/** One RFC 4180 field. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function reportToCsv(report: RegulatorReport): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  for (const t of report.transactions) {
    const row = csvRow(t);
    lines.push(REPORT_CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
