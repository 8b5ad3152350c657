/**
 * Stealth (one-time) addresses, CryptoNote style, on BabyJubJub.
 *
 * A recipient publishes an address (V, S) = (v*G, s*G). To pay it, the sender draws r, publishes
 * R = r*G with the transaction and sends output k to
 *     P = Hs(r*V, k)*G + S.
 * The recipient recognises the output with the view secret alone (v*R = r*V) and spends it with
 *     x = Hs(v*R, k) + s,   x*G = P.
 * Observers of the chain see unrelated keys P; only holders of v can link outputs to (V, S), and
 * only holders of s can spend them.
 */
import { PrivacyError } from './errors.ts';
import { BASE8, type Point, addPoints, mulPoint } from './primitives.ts';
import { L, type RandomSource, defaultRandom, isCanonicalScalar, randomScalar } from './scalar.ts';
import { fieldTag } from './tags.ts';
import { hashToScalar } from './transcript.ts';
import { isValidGroupElement, samePoint } from './validate.ts';

export const DS_STEALTH = fieldTag('tessera/stealth/v1/shared');

export interface StealthAddress {
  readonly view: Point;
  readonly spend: Point;
}

export interface StealthKeys {
  readonly viewSecret: bigint;
  readonly spendSecret: bigint;
  readonly address: StealthAddress;
}

export interface OneTimeOutput {
  /** R = r*G, published once per transaction. */
  readonly txPublicKey: Point;
  /** P = Hs(r*V, k)*G + S: the output's key, which becomes a ring member later. */
  readonly oneTimeKey: Point;
  readonly outputIndex: number;
}

function assertSecret(s: bigint, what: string): void {
  if (!isCanonicalScalar(s) || s === 0n)
    throw new PrivacyError('PRIVACY_BAD_KEY', `${what} must be in [1, l)`);
}

function assertIndex(k: number): void {
  if (!Number.isSafeInteger(k) || k < 0 || k > 0xffffffff)
    throw new PrivacyError('PRIVACY_BAD_INPUT', `output index ${k} not a u32`);
}

export function stealthKeysFromSecrets(viewSecret: bigint, spendSecret: bigint): StealthKeys {
  assertSecret(viewSecret, 'view secret');
  assertSecret(spendSecret, 'spend secret');
  return {
    viewSecret,
    spendSecret,
    address: { view: mulPoint(BASE8, viewSecret), spend: mulPoint(BASE8, spendSecret) },
  };
}

export function generateStealthKeys(random: RandomSource = defaultRandom): StealthKeys {
  return stealthKeysFromSecrets(randomScalar(random), randomScalar(random));
}

/** Hs(X, k) with X = r*V = v*R, the ECDH point. */
function sharedScalar(x: Point, outputIndex: number): bigint {
  return hashToScalar([DS_STEALTH, x[0], x[1], BigInt(outputIndex)]);
}

/** Sender side: one-time keys for outputs 0..count-1 to the given addresses, sharing one R. */
export function createOutputs(
  recipients: readonly StealthAddress[],
  random: RandomSource = defaultRandom,
): { txSecret: bigint; outputs: OneTimeOutput[] } {
  for (const a of recipients) {
    if (!isValidGroupElement(a.view) || !isValidGroupElement(a.spend)) {
      throw new PrivacyError('PRIVACY_BAD_KEY', 'stealth address keys must be valid subgroup points');
    }
  }
  const r = randomScalar(random);
  const txPublicKey = mulPoint(BASE8, r);
  const outputs = recipients.map((a, k) => {
    const h = sharedScalar(mulPoint(a.view, r), k);
    const oneTimeKey = addPoints(mulPoint(BASE8, h), a.spend);
    return { txPublicKey, oneTimeKey, outputIndex: k };
  });
  return { txSecret: r, outputs };
}

/** The one-time key of output k to `address` for transaction secret r (lets a memo's r be checked). */
export function oneTimeKeyFor(address: StealthAddress, txSecret: bigint, outputIndex = 0): Point {
  assertIndex(outputIndex);
  assertSecret(txSecret, 'transaction secret');
  return addPoints(
    mulPoint(BASE8, sharedScalar(mulPoint(address.view, txSecret), outputIndex)),
    address.spend,
  );
}

/** One output to one address (output index 0 unless given). */
export function createOneTimeAddress(
  address: StealthAddress,
  random: RandomSource = defaultRandom,
): OneTimeOutput {
  return createOutputs([address], random).outputs[0]!;
}

/**
 * Recipient side, view key only: is `oneTimeKey` (output k of the transaction with public key R)
 * ours? False for malformed input.
 */
export function scanOutput(
  viewSecret: bigint,
  spendPublic: Point,
  txPublicKey: Point,
  oneTimeKey: Point,
  outputIndex: number,
): boolean {
  try {
    assertSecret(viewSecret, 'view secret');
    assertIndex(outputIndex);
    if (
      !isValidGroupElement(txPublicKey) ||
      !isValidGroupElement(oneTimeKey) ||
      !isValidGroupElement(spendPublic)
    )
      return false;
    const h = sharedScalar(mulPoint(txPublicKey, viewSecret), outputIndex);
    return samePoint(addPoints(mulPoint(BASE8, h), spendPublic), oneTimeKey);
  } catch {
    return false;
  }
}

/** Spend key of an output found by scanning: x = Hs(v*R, k) + s. Throws if it does not match. */
export function oneTimeSecret(keys: StealthKeys, output: OneTimeOutput): bigint {
  assertIndex(output.outputIndex);
  if (!isValidGroupElement(output.txPublicKey))
    throw new PrivacyError('PRIVACY_BAD_KEY', 'invalid transaction public key');
  const shared = mulPoint(output.txPublicKey, keys.viewSecret);
  const x = (sharedScalar(shared, output.outputIndex) + keys.spendSecret) % L;
  if (x === 0n || !samePoint(mulPoint(BASE8, x), output.oneTimeKey)) {
    throw new PrivacyError('PRIVACY_BAD_KEY', 'output does not belong to these keys');
  }
  return x;
}
