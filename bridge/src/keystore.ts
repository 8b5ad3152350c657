// Operator keys at rest: a small JSON keystore, scrypt-derived key + AES-256-GCM. The header (version,
// address, KDF parameters) is authenticated as GCM associated data, so editing any field — for
// example weakening the KDF — makes decryption fail instead of silently changing meaning.
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Hex } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { z } from 'zod';
import { KeystoreError } from './errors.ts';

export const KEYSTORE_VERSION = 1;
/** 2^17 · 128 · r = 128 MiB and ~0.5 s per unlock: costly to brute-force, cheap at process start. */
export const DEFAULT_SCRYPT_N = 1 << 17;
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;

const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

const KeystoreSchema = z
  .object({
    version: z.literal(KEYSTORE_VERSION),
    kind: z.literal('tessera-keystore'),
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    kdf: z.literal('scrypt'),
    kdfparams: z
      .object({
        n: z
          .number()
          .int()
          .refine(
            (n) => Number.isInteger(Math.log2(n)) && Math.log2(n) >= MIN_LOG_N && Math.log2(n) <= MAX_LOG_N,
            `n must be 2^${MIN_LOG_N}..2^${MAX_LOG_N}`,
          ),
        r: z.number().int().min(1).max(32),
        p: z.number().int().min(1).max(16),
        dklen: z.literal(32),
        salt: hexOf(32),
      })
      .strict(),
    cipher: z.literal('aes-256-gcm'),
    cipherparams: z.object({ iv: hexOf(12) }).strict(),
    ciphertext: hexOf(32),
    tag: hexOf(16),
  })
  .strict();

export type Keystore = z.infer<typeof KeystoreSchema>;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password.normalize('NFKC'),
      salt,
      32,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (err, key) => (err ? reject(new KeystoreError(`scrypt failed: ${err.message}`)) : resolve(key)),
    ),
  );
}

function associatedData(k: Pick<Keystore, 'version' | 'address' | 'kdf' | 'kdfparams' | 'cipher'>): Buffer {
  const { n, r, p, dklen, salt } = k.kdfparams;
  return Buffer.from(
    `${k.version}|${k.address.toLowerCase()}|${k.kdf}|${n}|${r}|${p}|${dklen}|${salt}|${k.cipher}`,
  );
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < 8)
    throw new KeystoreError('the keystore password must have at least 8 characters');
}

export async function encryptKeystore(
  privateKey: Hex,
  password: string,
  options: { n?: number; r?: number; p?: number } = {},
): Promise<Keystore> {
  checkPassword(password);
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new KeystoreError('the private key must be 32 bytes of 0x-hex');
  const address = privateKeyToAccount(privateKey).address;
  const kdfparams = {
    n: options.n ?? DEFAULT_SCRYPT_N,
    r: options.r ?? 8,
    p: options.p ?? 1,
    dklen: 32 as const,
    salt: randomBytes(32).toString('hex'),
  };
  const header = {
    version: KEYSTORE_VERSION as typeof KEYSTORE_VERSION,
    kind: 'tessera-keystore' as const,
    address,
    kdf: 'scrypt' as const,
    kdfparams,
    cipher: 'aes-256-gcm' as const,
  };
  // Validate parameters before spending the KDF time.
  KeystoreSchema.shape.kdfparams.parse(kdfparams);
  const key = await scrypt(
    password,
    Buffer.from(kdfparams.salt, 'hex'),
    kdfparams.n,
    kdfparams.r,
    kdfparams.p,
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(header));
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKey.slice(2), 'hex')), cipher.final()]);
  key.fill(0);
  return {
    ...header,
    cipherparams: { iv: iv.toString('hex') },
    ciphertext: ciphertext.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
  };
}

export function parseKeystore(json: unknown): Keystore {
  const parsed = KeystoreSchema.safeParse(typeof json === 'string' ? safeJson(json) : json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeystoreError(`malformed keystore at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new KeystoreError('keystore is not JSON');
  }
}

/** Returns the private key; a wrong password and a tampered file fail the same way. */
export async function decryptKeystore(json: unknown, password: string): Promise<Hex> {
  const k = parseKeystore(json);
  const key = await scrypt(
    password,
    Buffer.from(k.kdfparams.salt, 'hex'),
    k.kdfparams.n,
    k.kdfparams.r,
    k.kdfparams.p,
  );
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(k.cipherparams.iv, 'hex'));
    decipher.setAAD(associatedData(k));
    decipher.setAuthTag(Buffer.from(k.tag, 'hex'));
    plain = Buffer.concat([decipher.update(Buffer.from(k.ciphertext, 'hex')), decipher.final()]);
  } catch {
    throw new KeystoreError('wrong password or corrupted keystore');
  } finally {
    key.fill(0);
  }
  const privateKey = `0x${plain.toString('hex')}` as Hex;
  plain.fill(0);
  const derived = privateKeyToAccount(privateKey).address.toLowerCase();
  if (!timingSafeEqual(Buffer.from(derived), Buffer.from(k.address.toLowerCase()))) {
    throw new KeystoreError('keystore address does not match its key');
  }
  return privateKey;
}

/** Writes with mode 0600 through a temporary file, so a crash never leaves a half-written keystore. */
export function writeKeystoreFile(
  path: string,
  keystore: Keystore,
  options: { overwrite?: boolean } = {},
): void {
  if (!options.overwrite && existsSync(path))
    throw new KeystoreError(`${path} exists (refusing to overwrite a key)`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function readKeystoreFile(path: string): Keystore {
  if (!existsSync(path)) throw new KeystoreError(`keystore ${path} not found`);
  return parseKeystore(readFileSync(path, 'utf8'));
}

export async function loadKeystoreAccount(path: string, password: string): Promise<PrivateKeyAccount> {
  return privateKeyToAccount(await decryptKeystore(readKeystoreFile(path), password));
}

/** The password from `TESSERA_KEYSTORE_PASSWORD_FILE` (preferred) or `TESSERA_KEYSTORE_PASSWORD` (devnet). */
export function keystorePasswordFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const file = env.TESSERA_KEYSTORE_PASSWORD_FILE;
  if (file) {
    if (!existsSync(file)) throw new KeystoreError(`password file ${file} not found`);
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  const pw = env.TESSERA_KEYSTORE_PASSWORD;
  if (!pw)
    throw new KeystoreError('set TESSERA_KEYSTORE_PASSWORD_FILE (or TESSERA_KEYSTORE_PASSWORD on a devnet)');
  return pw;
}
