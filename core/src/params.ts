import { ETH_ASSET_ID } from './constants.ts';
import type { AssetInfo, ChainParams } from './state/state.ts';

/** Assets every devnet starts with. Asset ids match the L1 bridge's token registry. */
export const DEVNET_ASSETS: AssetInfo[] = [
  {
    assetId: ETH_ASSET_ID,
    symbol: 'ETH',
    decimals: 18,
    issuerIndex: 0,
    maxSupply: (1n << 128n) - 1n,
    policyFlags: 0,
  },
  { assetId: 2, symbol: 'USDT', decimals: 6, issuerIndex: 0, maxSupply: (1n << 128n) - 1n, policyFlags: 0 },
  { assetId: 3, symbol: 'EURB', decimals: 2, issuerIndex: 0, maxSupply: (1n << 128n) - 1n, policyFlags: 0 },
];

/**
 * Production: 2^24 accounts (arity 4, depth 12), 500-transaction blocks.
 * Tests and the proving devnet use tiny trees and few slots; the shape is always a parameter.
 */
export function chainParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return { chainId: 31337n, tree: { arity: 4, depth: 12 }, assets: DEVNET_ASSETS, ...overrides };
}
