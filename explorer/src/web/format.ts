import { formatUnits } from 'viem';
import { timestampMs } from '../indexer/indexer.ts';
import type { AssetRecord } from '../store/records.ts';

export function shortHash(h: string, keep = 8): string {
  return h.length > 2 * keep + 3 ? `${h.slice(0, keep + 2)}…${h.slice(-keep)}` : h;
}

/** "1,234.5 USDT": integer amount in the asset's smallest unit, shown in whole units. */
export function formatAmount(
  amount: string | bigint | undefined,
  asset: Pick<AssetRecord, 'decimals' | 'symbol'> | undefined,
): string {
  if (amount === undefined) return '';
  const v = BigInt(amount);
  if (!asset) return `${v.toString()} units`;
  const neg = v < 0n;
  const [int, frac] = formatUnits(neg ? -v : v, asset.decimals).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '−' : ''}${grouped}${frac ? `.${frac}` : ''} ${asset.symbol}`;
}

export function formatTime(ts: string): string {
  return new Date(timestampMs(ts))
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function timeAgo(ts: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - timestampMs(ts)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const ACCOUNT_TYPES = ['unverified', 'verified', 'corporate'];
