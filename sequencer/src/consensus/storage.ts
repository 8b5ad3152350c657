import { Reader, Writer, readSignedMessage, writeSignedMessage } from './codec.ts';
import { CorruptWalError } from './errors.ts';
import type { LockRecord } from './messages.ts';
import { MsgType, type SignedMessage, type Vote } from './types.ts';

/** Highest (height, round, step) this validator ever signed; step 0 proposal, 1 prevote, 2 precommit. */
export interface SignGuard {
  height: bigint;
  round: number;
  step: number;
}

export interface WalEntry {
  msg: SignedMessage;
  /** For a non-nil precommit: the locked value and its polka (see LockRecord). */
  lock?: LockRecord;
}

/**
 * Safety state of one validator. `appendSigned` must be atomic (entry and guard together) and
 * durable (fsynced) before it resolves: the signature leaves the node only afterwards.
 */
export interface ConsensusStore {
  loadGuard(): Promise<SignGuard | null>;
  appendSigned(entry: WalEntry, guard: SignGuard): Promise<void>;
  loadWal(height: bigint): Promise<WalEntry[]>;
  /** Drops WAL entries of heights below `height` (they are committed). */
  pruneBelow(height: bigint): Promise<void>;
  close(): Promise<void>;
}

export function compareGuard(a: SignGuard, b: SignGuard): number {
  if (a.height !== b.height) return a.height < b.height ? -1 : 1;
  if (a.round !== b.round) return a.round < b.round ? -1 : 1;
  return a.step - b.step;
}

export function encodeWalEntry(e: WalEntry): Uint8Array {
  const w = new Writer(256);
  writeSignedMessage(w, e.msg);
  if (e.lock) {
    w.u8(1).varBytes(e.lock.value).u32(e.lock.proof.length);
    for (const v of e.lock.proof) writeSignedMessage(w, v);
  } else {
    w.u8(0);
  }
  return w.finish();
}

export function decodeWalEntry(bytes: Uint8Array): WalEntry {
  try {
    const r = new Reader(bytes);
    const msg = readSignedMessage(r);
    const hasLock = r.u8();
    if (hasLock !== 1) {
      r.end();
      return { msg };
    }
    const value = r.varBytes(Number.MAX_SAFE_INTEGER);
    const n = r.u32();
    const proof: Vote[] = [];
    for (let i = 0; i < n; i++) {
      const v = readSignedMessage(r);
      if (v.type === MsgType.Proposal) throw new Error('proposal in a lock proof');
      proof.push(v);
    }
    r.end();
    return { msg, lock: { value, proof } };
  } catch (err) {
    throw new CorruptWalError(`undecodable WAL entry: ${(err as Error).message}`);
  }
}

export function encodeGuard(g: SignGuard): Uint8Array {
  return new Writer(16).u64(g.height).u32(g.round).u8(g.step).finish();
}

export function decodeGuard(bytes: Uint8Array): SignGuard {
  try {
    const r = new Reader(bytes);
    const g = { height: r.u64(), round: r.u32(), step: r.u8() };
    r.end();
    return g;
  } catch (err) {
    throw new CorruptWalError(`undecodable sign guard: ${(err as Error).message}`);
  }
}

/**
 * In-memory store for the simulator: it plays the node's disk, so it outlives a simulated crash.
 * Entries are stored encoded, as on disk, so a replay goes through the same decoding.
 */
export class MemoryConsensusStore implements ConsensusStore {
  private guard: Uint8Array | null = null;
  private wal = new Map<bigint, Uint8Array[]>();
  writes = 0;

  async loadGuard(): Promise<SignGuard | null> {
    return this.guard ? decodeGuard(this.guard) : null;
  }
  async appendSigned(entry: WalEntry, guard: SignGuard): Promise<void> {
    const h = entry.msg.height;
    const list = this.wal.get(h) ?? [];
    list.push(encodeWalEntry(entry));
    this.wal.set(h, list);
    this.guard = encodeGuard(guard);
    this.writes++;
  }
  async loadWal(height: bigint): Promise<WalEntry[]> {
    return (this.wal.get(height) ?? []).map(decodeWalEntry);
  }
  async pruneBelow(height: bigint): Promise<void> {
    for (const h of [...this.wal.keys()]) if (h < height) this.wal.delete(h);
  }
  async close(): Promise<void> {}
}
