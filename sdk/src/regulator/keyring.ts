import { type ObserverKeyPair, type Point, SUBGROUP_ORDER, observerKeyFromSecret } from '@tessera/core';
import {
  type ObserverKeyringEntry,
  decryptObserverKeyring,
  readObserverKeyringFile,
} from '@tessera/core/storage/keystore';
import { ObserverKeyMissingError } from './errors.ts';

/**
 * The regulator's observer secrets, one per epoch (a new one after each rotation). Lookups of an
 * epoch the keyring lacks throw ObserverKeyMissingError: nothing is ever tried with another key.
 */
export class ObserverKeyring {
  private readonly byEpoch = new Map<bigint, ObserverKeyPair>();

  constructor(entries: readonly { epoch: bigint; secret: bigint }[] = []) {
    for (const e of entries) this.add(e.epoch, e.secret);
  }

  /** Reads and decrypts keyring files (core/src/storage/keystore.ts), all with one password. */
  static async fromKeystoreFiles(paths: readonly string[], password: string): Promise<ObserverKeyring> {
    const ring = new ObserverKeyring();
    for (const path of paths) {
      const entries: ObserverKeyringEntry[] = await decryptObserverKeyring(
        readObserverKeyringFile(path),
        password,
      );
      for (const e of entries) ring.add(e.epoch, e.secret);
    }
    return ring;
  }

  add(epoch: bigint, secret: bigint): void {
    if (typeof secret !== 'bigint' || secret <= 0n || secret >= SUBGROUP_ORDER)
      throw new RangeError(`observer secret of epoch ${epoch} must be in [1, l)`);
    const existing = this.byEpoch.get(epoch);
    if (existing && existing.secret !== secret)
      throw new RangeError(`two different observer secrets for epoch ${epoch}`);
    this.byEpoch.set(epoch, observerKeyFromSecret(secret, epoch));
  }

  has(epoch: bigint): boolean {
    return this.byEpoch.has(epoch);
  }

  epochs(): bigint[] {
    return [...this.byEpoch.keys()].sort((a, b) => (a < b ? -1 : 1));
  }

  /** The key pair of `epoch`, or ObserverKeyMissingError. */
  require(epoch: bigint): ObserverKeyPair {
    const k = this.byEpoch.get(epoch);
    if (!k) throw new ObserverKeyMissingError(epoch);
    return k;
  }

  publicKey(epoch: bigint): Point {
    return this.require(epoch).publicKey.key;
  }
}
