import type { Address, CommitCertificate, Hex, SignedMessage, Step, UnsignedMessage, Vote } from './types.ts';

/** Inputs of the consensus core. Signatures of `message` inputs are already checked by the caller. */
export type Input =
  | { kind: 'start'; height: bigint; restored?: RestoredState }
  | { kind: 'message'; msg: SignedMessage }
  | { kind: 'timeout'; height: bigint; round: number; step: Step }
  | { kind: 'proposalBuilt'; height: bigint; round: number; value: Uint8Array | null; hash: Hex | null }
  | { kind: 'validated'; height: bigint; valueHash: Hex; valid: boolean }
  | { kind: 'valueAvailable' }
  | { kind: 'committed'; height: bigint }
  | { kind: 'decidedExternally'; height: bigint; value: Uint8Array; certificate: CommitCertificate }
  | { kind: 'rebroadcast' }
  /** The network layer lost (or regained) its link to a validator: a liveness hint only. */
  | { kind: 'peerStatus'; validator: Address; connected: boolean };

/** Outputs of the consensus core, executed in order by a driver. */
export type Effect =
  /** Sign (after the double-sign guard and a synced WAL write), then broadcast and feed back. */
  | { kind: 'sign'; msg: UnsignedMessage; lock?: LockRecord }
  | { kind: 'broadcast'; msg: SignedMessage }
  | { kind: 'scheduleTimeout'; height: bigint; round: number; step: Step; ms: number }
  | { kind: 'buildProposal'; height: bigint; round: number }
  | { kind: 'validate'; height: bigint; valueHash: Hex; value: Uint8Array }
  | { kind: 'decide'; height: bigint; round: number; value: Uint8Array; certificate: CommitCertificate }
  | { kind: 'evidence'; first: SignedMessage; second: SignedMessage }
  | { kind: 'syncNeeded'; height: bigint };

/**
 * Written with a non-nil precommit: the locked value and the 2f+1 prevotes (polka) that justify
 * it, so a restarted node can still re-propose the value and prove its lock to peers.
 */
export interface LockRecord {
  value: Uint8Array;
  proof: Vote[];
}

/** What a restarted node knows about the height it was working on, from its WAL. */
export interface RestoredState {
  ownMessages: SignedMessage[];
  lock?: { round: number; valueHash: Hex; value: Uint8Array; proof: Vote[] };
}
