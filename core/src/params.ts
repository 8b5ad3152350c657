import { keccak256, stringToBytes } from 'viem';
import { fromHex } from './bytes.ts';
import { ETH_ASSET_ID } from './constants.ts';
import { type Point, SUBGROUP_ORDER, privateKeyToPublicKey } from './crypto/index.ts';
import { observerKeyFromSecret } from './privacy/observer.ts';
import type { AssetInfo, ChainParams, PrivacyParams } from './state/state.ts';

const pow10 = (e: number) => 10n ** BigInt(e);

/**
 * Assets every devnet starts with. Asset ids match the L1 bridge's token registry. Note values
 * are four powers of ten per asset (0.01–10 ETH, 10–10,000 USDT and EURB).
 */
export const DEVNET_ASSETS: AssetInfo[] = [
  {
    assetId: ETH_ASSET_ID,
    symbol: 'ETH',
    decimals: 18,
    issuerIndex: 0,
    maxSupply: (1n << 128n) - 1n,
    policyFlags: 0,
    denominations: [pow10(16), pow10(17), pow10(18), pow10(19)],
  },
  {
    assetId: 2,
    symbol: 'USDT',
    decimals: 6,
    issuerIndex: 0,
    maxSupply: (1n << 128n) - 1n,
    policyFlags: 0,
    denominations: [pow10(7), pow10(8), pow10(9), pow10(10)],
  },
  {
    assetId: 3,
    symbol: 'EURB',
    decimals: 2,
    issuerIndex: 0,
    maxSupply: (1n << 128n) - 1n,
    policyFlags: 0,
    denominations: [pow10(3), pow10(4), pow10(5), pow10(6)],
  },
];

/**
 * Devnet-only privacy secrets, derived from a public seed like the devnet validator keys: anyone
 * can recompute them, so they protect nothing and must never be used on a real chain (a real
 * deployment passes its own `privacy` parameters and keeps the secrets in encrypted keystores).
 */
export const DEVNET_PRIVACY_SEED = 'tessera-devnet-v1';

export function devnetPrivacySecrets(): { regulatorAdminKey: Uint8Array; observerSecret: bigint } {
  const h = (label: string) => keccak256(stringToBytes(`${DEVNET_PRIVACY_SEED}/${label}`));
  return {
    regulatorAdminKey: fromHex(h('regulator-admin')),
    observerSecret: (BigInt(h('observer/1')) % (SUBGROUP_ORDER - 1n)) + 1n,
  };
}

let devnetPrivacyCache: PrivacyParams | undefined;

/** Devnet privacy parameters: the devnet regulator admin and its epoch-1 observer key. */
export function devnetPrivacy(): PrivacyParams {
  if (!devnetPrivacyCache) {
    const s = devnetPrivacySecrets();
    const admin: Point = privateKeyToPublicKey(s.regulatorAdminKey);
    devnetPrivacyCache = {
      regulatorAdmin: admin,
      genesisObserverKey: observerKeyFromSecret(s.observerSecret, 1n).publicKey.key,
      minRingSize: 8,
      maxRingSize: 64,
    };
  }
  return devnetPrivacyCache;
}

/**
 * Production: 2^24 accounts (arity 4, depth 12), 500-transaction blocks.
 * Tests and the proving devnet use tiny trees and few slots; the shape is always a parameter.
 * The defaults are the devnet's (chain id 31337, devnet assets and privacy keys).
 */
export function chainParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return {
    chainId: 31337n,
    tree: { arity: 4, depth: 12 },
    assets: DEVNET_ASSETS,
    privacy: devnetPrivacy(),
    ...overrides,
  };
}
