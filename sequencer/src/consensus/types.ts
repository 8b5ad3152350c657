export type Hex = `0x${string}`;
export type Address = Hex;

/** Message kinds; the numeric value is the `voteType` byte of the signed digest. */
export const MsgType = { Proposal: 0, Prevote: 1, Precommit: 2 } as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];
export type VoteType = typeof MsgType.Prevote | typeof MsgType.Precommit;

/** bytes32 zero: the valueHash of a nil vote. */
export const NIL_HASH: Hex = `0x${'00'.repeat(32)}`;

export interface Proposal {
  type: typeof MsgType.Proposal;
  height: bigint;
  round: number;
  /** -1 when the proposer has no valid value from an earlier round. */
  validRound: number;
  value: Uint8Array;
  valueHash: Hex;
  proposer: Address;
  signature: Hex;
}

export interface Vote {
  type: VoteType;
  height: bigint;
  round: number;
  /** NIL_HASH for a nil vote. */
  valueHash: Hex;
  validator: Address;
  signature: Hex;
}

export type SignedMessage = Proposal | Vote;

export type UnsignedProposal = Omit<Proposal, 'signature'>;
export type UnsignedVote = Omit<Vote, 'signature'>;
export type UnsignedMessage = UnsignedProposal | UnsignedVote;

export interface CommitSignature {
  validator: Address;
  signature: Hex;
}

/** 2f+1 precommits for one value at one (height, round): instant finality. */
export interface CommitCertificate {
  height: bigint;
  round: number;
  valueHash: Hex;
  signatures: CommitSignature[];
}

export interface ConsensusApp {
  /** null = nothing to propose yet (no empty blocks while idle). */
  buildProposal(height: bigint, round: number): Promise<{ value: Uint8Array; hash: Hex } | null>;
  /** Returns the value's hash if it is a valid block at `height`, else null. */
  validateProposal(height: bigint, value: Uint8Array): Promise<Hex | null>;
  /** Must persist atomically before resolving. */
  commit(height: bigint, value: Uint8Array, certificate: CommitCertificate): Promise<void>;
}

export interface TimeoutConfig {
  /** Base duration of each step in round 0 (ms). */
  propose: number;
  prevote: number;
  precommit: number;
  /** Added per round (ms). */
  delta: number;
  /** Upper bound of any single step timeout (ms). */
  max: number;
  /**
   * Propose timeout (ms) of a round whose proposer looks down: its connection is reported lost, or
   * nothing signed by it has arrived for this height or the previous one. When it expires and the
   * proposer has shown signs of life meanwhile, the rest of the normal timeout is granted. Absent:
   * every round waits the normal propose timeout. Timeouts only affect liveness, never safety.
   */
  proposeSilent?: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  propose: 1_000,
  prevote: 500,
  precommit: 500,
  delta: 250,
  max: 4_000,
};

export type Step = 'propose' | 'prevote' | 'precommit';
export const STEP_ORDER: Record<Step, number> = { propose: 0, prevote: 1, precommit: 2 };

export function stepOfType(type: MsgType): Step {
  return type === MsgType.Proposal ? 'propose' : type === MsgType.Prevote ? 'prevote' : 'precommit';
}

export function timeoutFor(cfg: TimeoutConfig, step: Step, round: number): number {
  const base = step === 'propose' ? cfg.propose : step === 'prevote' ? cfg.prevote : cfg.precommit;
  return Math.min(cfg.max, base + cfg.delta * round);
}

export function proposerIndex(height: bigint, round: number, n: number): number {
  return Number((height + BigInt(round)) % BigInt(n));
}

export function quorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

export function faultThreshold(n: number): number {
  return Math.floor((n - 1) / 3);
}
