import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { KeystoreError } from '../src/errors.ts';
import {
  decryptKeystore,
  encryptKeystore,
  keystorePasswordFromEnv,
  loadKeystoreAccount,
  readKeystoreFile,
  writeKeystoreFile,
} from '../src/keystore.ts';
import { tempDir } from './helpers.ts';

// Small scrypt cost in tests; the format stores n, so the production default is exercised by the same code.
const FAST = { n: 1 << 12 };
const PASSWORD = 'correct horse battery staple';

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KeystoreError);
  expect((err as KeystoreError).code).toBe('KEYSTORE');
  expect((err as Error).message).toMatch(pattern);
}

describe('keystore', () => {
  it('round-trips a key and never stores it in plaintext', async () => {
    const key = generatePrivateKey();
    const ks = await encryptKeystore(key, PASSWORD, FAST);
    expect(ks.address).toBe(privateKeyToAccount(key).address);
    expect(JSON.stringify(ks)).not.toContain(key.slice(2));
    expect(await decryptKeystore(ks, PASSWORD)).toBe(key);
    // Fresh salt and IV each time: two keystores of one key share no ciphertext.
    const again = await encryptKeystore(key, PASSWORD, FAST);
    expect(again.ciphertext).not.toBe(ks.ciphertext);
    expect(again.kdfparams.salt).not.toBe(ks.kdfparams.salt);
  });

  it('rejects a wrong password, a flipped ciphertext bit and an edited header', async () => {
    const ks = await encryptKeystore(generatePrivateKey(), PASSWORD, FAST);
    await rejects(decryptKeystore(ks, `${PASSWORD}!`), /wrong password or corrupted/);
    const flipped = ks.ciphertext.slice(0, -1) + (ks.ciphertext.endsWith('0') ? '1' : '0');
    await rejects(decryptKeystore({ ...ks, ciphertext: flipped }, PASSWORD), /wrong password or corrupted/);
    // Claiming another address is caught by the authenticated header.
    await rejects(
      decryptKeystore({ ...ks, address: privateKeyToAccount(generatePrivateKey()).address }, PASSWORD),
      /wrong password or corrupted/,
    );
    await rejects(
      decryptKeystore({ ...ks, kdfparams: { ...ks.kdfparams, n: 1 << 2 } }, PASSWORD),
      /kdfparams\.n/,
    );
    await rejects(decryptKeystore('{"version":1}', PASSWORD), /malformed keystore/);
    await rejects(encryptKeystore(generatePrivateKey(), 'short', FAST), /at least 8 characters/);
  });

  it('writes files readable only by the owner, refuses to overwrite, and loads an account from env configuration', async () => {
    const dir = tempDir('keystore');
    try {
      const key = generatePrivateKey();
      const path = join(dir.path, 'operator.json');
      writeKeystoreFile(path, await encryptKeystore(key, PASSWORD, FAST));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).not.toContain(key.slice(2));
      expect(() => writeKeystoreFile(path, readKeystoreFile(path))).toThrow(/refusing to overwrite/);

      const pwFile = join(dir.path, 'password');
      writeFileSync(pwFile, `${PASSWORD}\n`);
      const password = keystorePasswordFromEnv({
        TESSERA_KEYSTORE_PASSWORD_FILE: pwFile,
        TESSERA_KEYSTORE_PASSWORD: 'ignored-when-a-file-is-set',
      });
      expect(password).toBe(PASSWORD);
      expect(keystorePasswordFromEnv({ TESSERA_KEYSTORE_PASSWORD: 'devnet-password' })).toBe(
        'devnet-password',
      );
      expect(() => keystorePasswordFromEnv({})).toThrow(KeystoreError);
      const account = await loadKeystoreAccount(path, password);
      expect(account.address).toBe(privateKeyToAccount(key).address);
    } finally {
      dir.remove();
    }
  });
});
