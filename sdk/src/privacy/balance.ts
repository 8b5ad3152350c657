import type { PrivacyContext } from './context.ts';

export type PrivateBalance = {
  assetId: number;
  /** Sum of the unspent notes. */
  total: bigint;
  notes: number;
  /** Unspent note count per note value (decimal string). */
  byDenomination: Record<string, number>;
};

/** Unspent private notes per asset, after scanning for new notes and spends. */
export async function balance(ctx: PrivacyContext): Promise<PrivateBalance[]> {
  await ctx.scanner.scan(ctx.client);
  const out = new Map<number, PrivateBalance>();
  for (const o of ctx.scanner.unspent()) {
    const { assetId, amount } = o.note;
    const b = out.get(assetId) ?? { assetId, total: 0n, notes: 0, byDenomination: {} };
    b.total += amount;
    b.notes += 1;
    b.byDenomination[amount.toString()] = (b.byDenomination[amount.toString()] ?? 0) + 1;
    out.set(assetId, b);
  }
  return [...out.values()].sort((a, b) => a.assetId - b.assetId);
}
