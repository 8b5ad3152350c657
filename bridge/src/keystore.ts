// Operator keys at rest. The keystore format and its code live in core
// (core/src/storage/keystore.ts: scrypt + AES-256-GCM, authenticated header), shared with the
// regulator's observer keyring in the sdk; here its failures become the bridge's fatal
// KeystoreError, so the services stop on them like on every other keystore problem.
import * as store from '@tessera/core/storage/keystore';
import type { Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { KeystoreError } from './errors.ts';

export { DEFAULT_SCRYPT_N, KEYSTORE_VERSION, type Keystore } from '@tessera/core/storage/keystore';

function bridgeError(err: unknown): unknown {
  return err instanceof store.KeystoreError ? new KeystoreError(err.message) : err;
}

function wrapSync<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      throw bridgeError(err);
    }
  };
}

function wrapAsync<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => fn(...args).catch((err) => Promise.reject(bridgeError(err)));
}

export const encryptKeystore: typeof store.encryptKeystore = wrapAsync(store.encryptKeystore);
export const decryptKeystore: (json: unknown, password: string) => Promise<Hex> = wrapAsync(
  store.decryptKeystore,
);
export const parseKeystore: typeof store.parseKeystore = wrapSync(store.parseKeystore);
export const writeKeystoreFile: (
  path: string,
  keystore: store.Keystore,
  options?: { overwrite?: boolean },
) => void = wrapSync(store.writeKeystoreFile);
export const readKeystoreFile: typeof store.readKeystoreFile = wrapSync(store.readKeystoreFile);
export const loadKeystoreAccount: (path: string, password: string) => Promise<PrivateKeyAccount> = wrapAsync(
  store.loadKeystoreAccount,
);
/** The password from `TESSERA_KEYSTORE_PASSWORD_FILE` (preferred) or `TESSERA_KEYSTORE_PASSWORD` (devnet). */
export const keystorePasswordFromEnv: (env?: NodeJS.ProcessEnv) => string = wrapSync(
  (env?: NodeJS.ProcessEnv) => store.keystorePasswordFromEnv(env),
);
