import { createHash } from 'node:crypto';
import { SUBGROUP_ORDER, type StealthKeys, stealthKeysFromSecrets } from '@tessera/core';

/*
 * Stealth keys derived from the wallet's L2 key (docs/KEYS.md "Stealth keys"), so nothing new has to
 * be backed up: the Ethereum wallet gives the L2 key, the L2 key gives the view and spend secrets.
 *
 *   secret(label) = (SHA-512(utf8("tessera/stealth-keys/v1/" ‖ label) ‖ 0x00 ‖ l2Key) mod (l − 1)) + 1
 *
 * for label "view" and "spend". Domain-separated from every other use of the L2 key (EdDSA hashes
 * it with blake512 and a different layout), reduced from 512 bits so the bias is below 2^-260.
 */
export const STEALTH_KEY_DOMAIN = 'tessera/stealth-keys/v1/';

function derive(l2Key: Uint8Array, label: 'view' | 'spend'): bigint {
  const h = createHash('sha512')
    .update(Buffer.from(`${STEALTH_KEY_DOMAIN}${label}`, 'utf8'))
    .update(Uint8Array.of(0))
    .update(l2Key)
    .digest();
  return (BigInt(`0x${h.toString('hex')}`) % (SUBGROUP_ORDER - 1n)) + 1n;
}

/** The wallet's stealth keys (view secret v, spend secret s, address (v·G, s·G)). */
export function stealthKeysFromL2Key(l2Key: Uint8Array): StealthKeys {
  if (!(l2Key instanceof Uint8Array) || l2Key.length !== 32)
    throw new TypeError('the L2 private key must be 32 bytes');
  return stealthKeysFromSecrets(derive(l2Key, 'view'), derive(l2Key, 'spend'));
}
