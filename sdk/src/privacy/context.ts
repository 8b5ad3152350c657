import type { Point, StealthKeys } from '@tessera/core';
import type { TesseraClient } from '../rpcClient.ts';
import type { RandomBytes, RingPolicy } from './ring.ts';
import type { NoteScanner } from './scan.ts';

/** What the privacy actions need: the chain, the wallet's keys and its scanned notes. */
export type PrivacyContext = {
  client: TesseraClient;
  chainId: bigint;
  /** The wallet's L2 (EdDSA) key: signs shields; its public key is the sender identity in memos. */
  l2Key: Uint8Array;
  publicKey: Point;
  keys: StealthKeys;
  scanner: NoteScanner;
  /** Overrides of the ring policy (tests, or allowNoDecoys). The chain's bounds always apply. */
  ringPolicy?: Pick<RingPolicy, 'target' | 'allowNoDecoys'>;
  /** Randomness for decoy selection (default: the OS CSPRNG). */
  random?: RandomBytes;
};

export function memoBytes(memo: string | Uint8Array | undefined): Uint8Array | undefined {
  if (memo === undefined) return undefined;
  return typeof memo === 'string' ? new TextEncoder().encode(memo) : memo;
}
