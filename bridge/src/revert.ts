import { type Abi, BaseError, type Hex, decodeErrorResult } from 'viem';

export type DecodedRevert = { errorName: string; args: readonly unknown[] };

/** Finds revert data anywhere in a viem error chain (estimateGas, call and write errors nest it differently). */
export function revertData(err: unknown): Hex | undefined {
  const seen = new Set<unknown>();
  let e: any = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const d = e.data;
    if (typeof d === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(d)) return d as Hex;
    if (d && typeof d === 'object' && typeof d.data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(d.data))
      return d.data as Hex;
    if (typeof e.raw === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(e.raw)) return e.raw as Hex;
    e = e.cause;
  }
  return undefined;
}

/** The custom error a call reverted with, decoded against `abi`; undefined if the error is not a revert. */
export function decodeRevert(err: unknown, abi: Abi): DecodedRevert | undefined {
  const data = revertData(err);
  if (data) {
    try {
      const d = decodeErrorResult({ abi, data });
      return { errorName: d.errorName, args: (d.args ?? []) as readonly unknown[] };
    } catch {
      return { errorName: `unknown(${data.slice(0, 10)})`, args: [] };
    }
  }
  if (err instanceof BaseError && /revert/i.test(err.message)) return { errorName: 'Reverted', args: [] };
  return undefined;
}

/** Node answers that mean "this exact transaction (or its nonce) is already taken care of". */
export function isKnownTxError(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err).toLowerCase();
  return (
    msg.includes('already known') || msg.includes('already imported') || msg.includes('known transaction')
  );
}

export function isNonceTooLowError(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err).toLowerCase();
  return (
    msg.includes('nonce too low') ||
    msg.includes('nonce is too low') ||
    msg.includes('nonce has already been used')
  );
}

export function isUnderpricedError(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err).toLowerCase();
  return (
    msg.includes('underpriced') ||
    msg.includes('fee too low') ||
    msg.includes('max fee per gas less than block base fee')
  );
}
