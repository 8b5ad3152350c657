// Secrets at rest: small JSON keystores, scrypt-derived key + AES-256-GCM. Two kinds share the
// machinery:
//   - "tessera-keystore": one Ethereum private key (the bridge operator's), header = its address;
//   - "tessera-observer-keyring": the regulator's observer secrets, one per epoch, header = the
//     epochs and their public observer keys (sdk/src/regulator).
// The header (version, kind, identity, KDF parameters) is authenticated as GCM associated data, so
// editing any field — for example weakening the KDF, or claiming another address or observer key —
// makes decryption fail instead of silently changing meaning. After decryption the secret is
// checked against the identity in the header (address, observer public keys).
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
import { BASE8, type Point, SUBGROUP_ORDER, mulPoint } from '../crypto/index.ts';

export const KEYSTORE_VERSION = 1;
/** 2^17 · 128 · r = 128 MiB and ~0.5 s per unlock: costly to brute-force, cheap at process start. */
export const DEFAULT_SCRYPT_N = 1 << 17;
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;
/** Observer epochs one keyring file may hold. */
export const MAX_KEYRING_EPOCHS = 256;

/** A keystore that cannot be created, read or opened (wrong password, tampering, bad input). */
export class KeystoreError extends Error {
  override readonly name: string = 'KeystoreError';
  readonly code = 'KEYSTORE';
}

const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);
const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a decimal integer string');

const KdfParamsSchema = z
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
  .strict();

type KdfParams = z.infer<typeof KdfParamsSchema>;

const KeystoreSchema = z
  .object({
    version: z.literal(KEYSTORE_VERSION),
    kind: z.literal('tessera-keystore'),
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    kdf: z.literal('scrypt'),
    kdfparams: KdfParamsSchema,
    cipher: z.literal('aes-256-gcm'),
    cipherparams: z.object({ iv: hexOf(12) }).strict(),
    ciphertext: hexOf(32),
    tag: hexOf(16),
  })
  .strict();

export type Keystore = z.infer<typeof KeystoreSchema>;

const ObserverKeyringSchema = z
  .object({
    version: z.literal(KEYSTORE_VERSION),
    kind: z.literal('tessera-observer-keyring'),
    epochs: z
      .array(z.object({ epoch: decimal, key: z.tuple([decimal, decimal]) }).strict())
      .min(1)
      .max(MAX_KEYRING_EPOCHS),
    kdf: z.literal('scrypt'),
    kdfparams: KdfParamsSchema,
    cipher: z.literal('aes-256-gcm'),
    cipherparams: z.object({ iv: hexOf(12) }).strict(),
    ciphertext: z.string().regex(/^([0-9a-f]{64})+$/, 'must be 32 bytes of lowercase hex per epoch'),
    tag: hexOf(16),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.ciphertext.length !== 64 * k.epochs.length)
      ctx.addIssue({ code: 'custom', path: ['ciphertext'], message: 'must hold 32 bytes per epoch' });
    if (new Set(k.epochs.map((e) => e.epoch)).size !== k.epochs.length)
      ctx.addIssue({ code: 'custom', path: ['epochs'], message: 'epochs must be distinct' });
  });

/** The encrypted observer keyring file (public part: the epochs and their observer keys). */
export type ObserverKeyringFile = z.infer<typeof ObserverKeyringSchema>;
/** One decrypted keyring entry: the observer secret y of an epoch and its public key y·G. */
export type ObserverKeyringEntry = { epoch: bigint; secret: bigint; key: Point };

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

function kdfString(kdf: string, k: KdfParams, cipher: string): string {
  return `${kdf}|${k.n}|${k.r}|${k.p}|${k.dklen}|${k.salt}|${cipher}`;
}

function associatedData(k: Pick<Keystore, 'version' | 'address' | 'kdf' | 'kdfparams' | 'cipher'>): Buffer {
  // Unchanged from the first (bridge) version of the format, so existing operator keystores open.
  return Buffer.from(`${k.version}|${k.address.toLowerCase()}|${kdfString(k.kdf, k.kdfparams, k.cipher)}`);
}

function keyringAssociatedData(
  k: Pick<ObserverKeyringFile, 'version' | 'kind' | 'epochs' | 'kdf' | 'kdfparams' | 'cipher'>,
): Buffer {
  const epochs = k.epochs.map((e) => `${e.epoch}:${e.key[0]}:${e.key[1]}`).join(',');
  return Buffer.from(`${k.version}|${k.kind}|${epochs}|${kdfString(k.kdf, k.kdfparams, k.cipher)}`);
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < 8)
    throw new KeystoreError('the keystore password must have at least 8 characters');
}

type Sealed = { kdfparams: KdfParams; iv: Buffer; ciphertext: Buffer; tag: Buffer };

async function seal(
  plain: Uint8Array,
  password: string,
  options: { n?: number; r?: number; p?: number },
  aad: (kdfparams: KdfParams) => Buffer,
): Promise<Sealed> {
  checkPassword(password);
  const kdfparams: KdfParams = {
    n: options.n ?? DEFAULT_SCRYPT_N,
    r: options.r ?? 8,
    p: options.p ?? 1,
    dklen: 32,
    salt: randomBytes(32).toString('hex'),
  };
  // Validate parameters before spending the KDF time.
  const checked = KdfParamsSchema.safeParse(kdfparams);
  if (!checked.success) throw new KeystoreError(`bad KDF parameters: ${checked.error.issues[0]?.message}`);
  const key = await scrypt(
    password,
    Buffer.from(kdfparams.salt, 'hex'),
    kdfparams.n,
    kdfparams.r,
    kdfparams.p,
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(kdfparams));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  key.fill(0);
  return { kdfparams, iv, ciphertext, tag: cipher.getAuthTag() };
}

async function open(
  k: { kdfparams: KdfParams; cipherparams: { iv: string }; ciphertext: string; tag: string },
  password: string,
  aad: Buffer,
): Promise<Buffer> {
  const key = await scrypt(
    password,
    Buffer.from(k.kdfparams.salt, 'hex'),
    k.kdfparams.n,
    k.kdfparams.r,
    k.kdfparams.p,
  );
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(k.cipherparams.iv, 'hex'));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(k.tag, 'hex'));
    return Buffer.concat([decipher.update(Buffer.from(k.ciphertext, 'hex')), decipher.final()]);
  } catch {
    throw new KeystoreError('wrong password or corrupted keystore');
  } finally {
    key.fill(0);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new KeystoreError('keystore is not JSON');
  }
}

function parseWith<T extends z.ZodTypeAny>(schema: T, json: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(typeof json === 'string' ? safeJson(json) : json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeystoreError(`malformed ${what} at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Ethereum key keystore (bridge operator)

export async function encryptKeystore(
  privateKey: Hex,
  password: string,
  options: { n?: number; r?: number; p?: number } = {},
): Promise<Keystore> {
  checkPassword(password);
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new KeystoreError('the private key must be 32 bytes of 0x-hex');
  const address = privateKeyToAccount(privateKey).address;
  const head = {
    version: KEYSTORE_VERSION as typeof KEYSTORE_VERSION,
    kind: 'tessera-keystore' as const,
    address,
    kdf: 'scrypt' as const,
    cipher: 'aes-256-gcm' as const,
  };
  const sealed = await seal(Buffer.from(privateKey.slice(2), 'hex'), password, options, (kdfparams) =>
    associatedData({ ...head, kdfparams }),
  );
  return {
    version: head.version,
    kind: head.kind,
    address,
    kdf: head.kdf,
    kdfparams: sealed.kdfparams,
    cipher: head.cipher,
    cipherparams: { iv: sealed.iv.toString('hex') },
    ciphertext: sealed.ciphertext.toString('hex'),
    tag: sealed.tag.toString('hex'),
  };
}

export function parseKeystore(json: unknown): Keystore {
  return parseWith(KeystoreSchema, json, 'keystore');
}

/** Returns the private key; a wrong password and a tampered file fail the same way. */
export async function decryptKeystore(json: unknown, password: string): Promise<Hex> {
  const k = parseKeystore(json);
  const plain = await open(k, password, associatedData(k));
  const privateKey = `0x${plain.toString('hex')}` as Hex;
  plain.fill(0);
  const derived = privateKeyToAccount(privateKey).address.toLowerCase();
  if (!timingSafeEqual(Buffer.from(derived), Buffer.from(k.address.toLowerCase()))) {
    throw new KeystoreError('keystore address does not match its key');
  }
  return privateKey;
}

export function readKeystoreFile(path: string): Keystore {
  return parseKeystore(readTextFile(path));
}

export async function loadKeystoreAccount(path: string, password: string): Promise<PrivateKeyAccount> {
  return privateKeyToAccount(await decryptKeystore(readKeystoreFile(path), password));
}

// ---------------------------------------------------------------------------------------------
// Observer keyring (regulator)

function checkObserverSecret(secret: bigint, epoch: bigint): void {
  if (typeof secret !== 'bigint' || secret <= 0n || secret >= SUBGROUP_ORDER)
    throw new KeystoreError(`observer secret of epoch ${epoch} must be in [1, l)`);
}

/** Encrypts observer secrets, one per epoch; the file lists each epoch's public key in clear. */
export async function encryptObserverKeyring(
  entries: readonly { epoch: bigint; secret: bigint }[],
  password: string,
  options: { n?: number; r?: number; p?: number } = {},
): Promise<ObserverKeyringFile> {
  checkPassword(password);
  if (entries.length === 0 || entries.length > MAX_KEYRING_EPOCHS)
    throw new KeystoreError(`a keyring holds 1..${MAX_KEYRING_EPOCHS} epochs`);
  const seen = new Set<bigint>();
  for (const e of entries) {
    if (typeof e.epoch !== 'bigint' || e.epoch < 0n || e.epoch >= 1n << 64n)
      throw new KeystoreError('observer epoch must be a u64');
    if (seen.has(e.epoch)) throw new KeystoreError(`epoch ${e.epoch} appears twice`);
    seen.add(e.epoch);
    checkObserverSecret(e.secret, e.epoch);
  }
  const sorted = [...entries].sort((a, b) => (a.epoch < b.epoch ? -1 : 1));
  const epochs = sorted.map((e) => {
    const key = mulPoint(BASE8, e.secret);
    return { epoch: e.epoch.toString(), key: [key[0].toString(), key[1].toString()] as [string, string] };
  });
  const head = {
    version: KEYSTORE_VERSION as typeof KEYSTORE_VERSION,
    kind: 'tessera-observer-keyring' as const,
    epochs,
    kdf: 'scrypt' as const,
    cipher: 'aes-256-gcm' as const,
  };
  const plain = Buffer.concat(sorted.map((e) => Buffer.from(e.secret.toString(16).padStart(64, '0'), 'hex')));
  const sealed = await seal(plain, password, options, (kdfparams) =>
    keyringAssociatedData({ ...head, kdfparams }),
  );
  plain.fill(0);
  return {
    version: head.version,
    kind: head.kind,
    epochs,
    kdf: head.kdf,
    kdfparams: sealed.kdfparams,
    cipher: head.cipher,
    cipherparams: { iv: sealed.iv.toString('hex') },
    ciphertext: sealed.ciphertext.toString('hex'),
    tag: sealed.tag.toString('hex'),
  };
}

export function parseObserverKeyring(json: unknown): ObserverKeyringFile {
  return parseWith(ObserverKeyringSchema, json, 'observer keyring');
}

/**
 * The observer secrets, checked against the public keys the file lists (y·G = Y for every
 * epoch). A wrong password and a tampered file fail the same way.
 */
export async function decryptObserverKeyring(
  json: unknown,
  password: string,
): Promise<ObserverKeyringEntry[]> {
  const k = parseObserverKeyring(json);
  const plain = await open(k, password, keyringAssociatedData(k));
  try {
    return k.epochs.map((e, i) => {
      const epoch = BigInt(e.epoch);
      const secret = BigInt(`0x${plain.subarray(32 * i, 32 * i + 32).toString('hex')}`);
      checkObserverSecret(secret, epoch);
      const key = mulPoint(BASE8, secret);
      if (key[0] !== BigInt(e.key[0]) || key[1] !== BigInt(e.key[1]))
        throw new KeystoreError(
          `observer keyring: the secret of epoch ${epoch} does not match its public key`,
        );
      return { epoch, secret, key };
    });
  } finally {
    plain.fill(0);
  }
}

export function readObserverKeyringFile(path: string): ObserverKeyringFile {
  return parseObserverKeyring(readTextFile(path));
}

// ---------------------------------------------------------------------------------------------
// Files and passwords

function readTextFile(path: string): string {
  if (!existsSync(path)) throw new KeystoreError(`keystore ${path} not found`);
  return readFileSync(path, 'utf8');
}

/** Writes with mode 0600 through a temporary file, so a crash never leaves a half-written keystore. */
export function writeKeystoreFile(
  path: string,
  keystore: Keystore | ObserverKeyringFile,
  options: { overwrite?: boolean } = {},
): void {
  if (!options.overwrite && existsSync(path))
    throw new KeystoreError(`${path} exists (refusing to overwrite a key)`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The password from `<prefix>_PASSWORD_FILE` (preferred) or `<prefix>_PASSWORD` (devnet); the
 * prefix is `TESSERA_KEYSTORE` for the bridge operator.
 */
export function keystorePasswordFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  prefix = 'TESSERA_KEYSTORE',
): string {
  const file = env[`${prefix}_PASSWORD_FILE`];
  if (file) {
    if (!existsSync(file)) throw new KeystoreError(`password file ${file} not found`);
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  const pw = env[`${prefix}_PASSWORD`];
  if (!pw) throw new KeystoreError(`set ${prefix}_PASSWORD_FILE (or ${prefix}_PASSWORD on a devnet)`);
  return pw;
}
