import { normalizeAddress } from './crypto.ts';
import type { Effect, Input, LockRecord, RestoredState } from './messages.ts';
import {
  type Address,
  type CommitCertificate,
  DEFAULT_TIMEOUTS,
  type Hex,
  MsgType,
  NIL_HASH,
  type Proposal,
  type SignedMessage,
  type Step,
  type TimeoutConfig,
  type Vote,
  type VoteType,
  faultThreshold,
  proposerIndex,
  quorum,
  timeoutFor,
} from './types.ts';

export interface CoreConfig {
  /** Ordered validator set; the proposer of (h, r) is validators[(h + r) mod n]. */
  validators: readonly Address[];
  /** This node's address, or null for a non-voting observer. */
  self: Address | null;
  timeouts?: TimeoutConfig;
  /** Distinct rounds above the current one kept per validator (bounds Byzantine round spam). */
  maxFutureRoundsPerValidator?: number;
  /** Messages for height+1 buffered per validator while this height is still running. */
  maxNextHeightPerValidator?: number;
  /** Distinct conflicting proposals kept per round (equivocation). */
  maxProposalsPerRound?: number;
}

function senderOf(msg: SignedMessage): Address {
  return normalizeAddress(msg.type === MsgType.Proposal ? msg.proposer : msg.validator);
}

/**
 * Tendermint consensus for one node ("The latest gossip on BFT consensus", Buchman, Kwon,
 * Milosevic 2018, Algorithm 1) as a synchronous state machine: `step(input)` returns effects and
 * never performs I/O, reads clocks or draws randomness, so the same inputs give the same run under
 * the simulator and on the network. Signature checks happen before inputs reach it; signing,
 * persistence and timers are the driver's job.
 */
export class ConsensusCore {
  readonly validators: readonly Address[];
  readonly self: Address | null;
  private readonly timeouts: TimeoutConfig;
  private readonly validatorSet: Set<Address>;
  private readonly q: number;
  private readonly f1: number;
  private readonly maxFutureRounds: number;
  private readonly maxNextHeight: number;
  private readonly maxProposals: number;

  height = 0n;
  round = 0;
  step: Step = 'propose';
  started = false;
  /** Decided the current height; waiting for the app to commit it. */
  decided = false;

  lockedRound = -1;
  lockedHash: Hex | null = null;
  lockedValue: Uint8Array | null = null;
  validRound = -1;
  validHash: Hex | null = null;
  validValue: Uint8Array | null = null;

  private proposals = new Map<number, Proposal[]>();
  /**
   * Votes by round and sender. An equivocating sender can hold two entries: each counts toward
   * its own value (quorums of 2f+1 still intersect in a correct validator), which keeps honest
   * nodes' tallies converging once gossip has delivered both variants to everyone.
   */
  private prevotes = new Map<number, Map<Address, Vote[]>>();
  private precommits = new Map<number, Map<Address, Vote[]>>();
  /** Bytes of values this node validated (or built), by hash. */
  private values = new Map<Hex, Uint8Array>();
  private validHashes = new Set<Hex>();
  private invalidProposals = new WeakSet<Proposal>();
  private pendingValidation = new Map<Hex, Uint8Array>();
  private firedPrevoteTimeout = new Set<number>();
  private firedLock = new Set<number>();
  private firedPrecommitTimeout = new Set<number>();
  private proposeTimeoutScheduled = new Set<number>();
  private proposedRounds = new Set<number>();
  private building = false;
  private valueAvailable = false;
  private idle = false;
  private own: SignedMessage[] = [];
  private nextHeight: SignedMessage[] = [];
  private out: Effect[] = [];
  private syncSignalled = false;
  /** Highest height of any message received from each validator (liveness hint). */
  private lastHeard = new Map<Address, bigint>();
  /** Validators the network layer reports as disconnected (liveness hint). */
  private disconnected = new Set<Address>();
  /** The first height this instance worked on: validators are not suspected before we could hear them. */
  private firstHeight: bigint | null = null;
  /** Rounds of this height whose propose timeout was the short one for a suspected proposer. */
  private shortPropose = new Set<number>();

  constructor(cfg: CoreConfig) {
    if (cfg.validators.length === 0) throw new RangeError('empty validator set');
    this.validators = cfg.validators.map(normalizeAddress);
    this.validatorSet = new Set(this.validators);
    if (this.validatorSet.size !== this.validators.length) throw new RangeError('duplicate validator');
    this.self = cfg.self === null ? null : normalizeAddress(cfg.self);
    this.timeouts = cfg.timeouts ?? DEFAULT_TIMEOUTS;
    this.q = quorum(this.validators.length);
    this.f1 = faultThreshold(this.validators.length) + 1;
    this.maxFutureRounds = cfg.maxFutureRoundsPerValidator ?? 8;
    this.maxNextHeight = cfg.maxNextHeightPerValidator ?? 64;
    this.maxProposals = cfg.maxProposalsPerRound ?? 4;
  }

  proposer(height: bigint, round: number): Address {
    return this.validators[proposerIndex(height, round, this.validators.length)]!;
  }

  /** Own signed messages at the current height (what a WAL replay restores). */
  ownMessages(): readonly SignedMessage[] {
    return this.own;
  }

  /** Feed one input; returns the effects to execute, in order. */
  handle(input: Input): Effect[] {
    this.out = [];
    this.syncSignalled = false;
    switch (input.kind) {
      case 'start':
        this.startHeight(input.height, input.restored);
        break;
      case 'message':
        if (this.started) this.receive(input.msg);
        break;
      case 'timeout':
        if (this.started && !this.decided) this.onTimeout(input.height, input.round, input.step);
        break;
      case 'proposalBuilt':
        this.onProposalBuilt(input.height, input.round, input.value, input.hash);
        break;
      case 'validated':
        this.onValidated(input.height, input.valueHash, input.valid);
        break;
      case 'valueAvailable':
        this.onValueAvailable();
        break;
      case 'committed':
        if (this.started && this.decided && input.height === this.height) this.startHeight(this.height + 1n);
        break;
      case 'decidedExternally':
        if (this.started && !this.decided && input.height === this.height) {
          this.decided = true;
          this.out.push({
            kind: 'decide',
            height: input.height,
            round: input.certificate.round,
            value: input.value,
            certificate: input.certificate,
          });
        }
        break;
      case 'rebroadcast':
        this.onRebroadcast();
        break;
      case 'peerStatus':
        this.onPeerStatus(input.validator, input.connected);
        break;
    }
    if (this.started && !this.decided) this.evaluate();
    return this.out;
  }

  // ---------------------------------------------------------------- heights and rounds

  private startHeight(height: bigint, restored?: RestoredState): void {
    this.started = true;
    this.firstHeight ??= height;
    this.height = height;
    this.round = 0;
    this.step = 'propose';
    this.decided = false;
    this.lockedRound = -1;
    this.lockedHash = null;
    this.lockedValue = null;
    this.validRound = -1;
    this.validHash = null;
    this.validValue = null;
    this.proposals = new Map();
    this.prevotes = new Map();
    this.precommits = new Map();
    this.values = new Map();
    this.validHashes = new Set();
    this.invalidProposals = new WeakSet();
    this.pendingValidation = new Map();
    this.firedPrevoteTimeout = new Set();
    this.firedLock = new Set();
    this.firedPrecommitTimeout = new Set();
    this.proposeTimeoutScheduled = new Set();
    this.shortPropose = new Set();
    this.proposedRounds = new Set();
    this.building = false;
    this.valueAvailable = false;
    this.idle = false;
    this.own = [];

    let startRound = 0;
    if (restored) {
      for (const m of restored.ownMessages) {
        if (m.height !== height) continue;
        this.receive(m);
        startRound = Math.max(startRound, m.round);
      }
      this.restoreLock(restored);
    }
    const buffered = this.nextHeight;
    this.nextHeight = [];
    for (const m of buffered) if (m.height === height) this.receive(m);
    this.startRound(startRound);
  }

  private restoreLock(restored: RestoredState): void {
    // The lock is implied by the highest own non-nil precommit; the WAL's lock record adds the bytes.
    let best: Vote | null = null;
    for (const m of this.own) {
      if (m.type === MsgType.Precommit && m.valueHash !== NIL_HASH && (best === null || m.round > best.round))
        best = m;
    }
    if (best === null) return;
    this.lockedRound = best.round;
    this.lockedHash = best.valueHash;
    const lock = restored.lock;
    if (lock && lock.round === best.round && lock.valueHash === best.valueHash) {
      for (const v of lock.proof) if (v.height === this.height && v.round === lock.round) this.receive(v);
      this.lockedValue = lock.value;
      this.validRound = lock.round;
      this.validHash = lock.valueHash;
      this.validValue = lock.value;
      this.values.set(lock.valueHash, lock.value);
      this.validHashes.add(lock.valueHash);
    }
  }

  private startRound(round: number): void {
    this.round = round;
    this.step = 'propose';
    this.building = false;
    // Only a restarted node can hold own votes in a round it starts: resume at that step.
    if (this.ownVote(MsgType.Precommit, round)) {
      this.step = 'precommit';
      this.schedule('precommit', round);
      return;
    }
    if (this.ownVote(MsgType.Prevote, round)) {
      this.step = 'prevote';
      this.schedule('prevote', round);
      return;
    }
    if (this.isProposer(round) && !this.proposedRounds.has(round)) {
      if (this.hasOwnProposal(round)) {
        this.proposedRounds.add(round);
      } else if (this.validValue !== null && this.validHash !== null) {
        this.signProposal(round, this.validValue, this.validHash, this.validRound);
      } else {
        this.building = true;
        this.out.push({ kind: 'buildProposal', height: this.height, round });
      }
    }
    // Round 0 of an idle chain waits for work instead of timing out into empty rounds.
    if (round > 0 || this.valueAvailable) this.scheduleProposeTimeout();
    else this.idle = true;
  }

  private scheduleProposeTimeout(): void {
    this.idle = false;
    if (this.proposeTimeoutScheduled.has(this.round)) return;
    this.proposeTimeoutScheduled.add(this.round);
    if (this.timeouts.proposeSilent !== undefined && this.proposerSuspected(this.round)) {
      this.shortPropose.add(this.round);
      this.schedule('propose', this.round, this.shortProposeMs(this.round));
    } else {
      this.schedule('propose', this.round);
    }
  }

  private schedule(step: Step, round: number, ms = timeoutFor(this.timeouts, step, round)): void {
    this.out.push({ kind: 'scheduleTimeout', height: this.height, round, step, ms });
  }

  private shortProposeMs(round: number): number {
    return Math.min(this.timeouts.proposeSilent ?? 0, timeoutFor(this.timeouts, 'propose', round));
  }

  /**
   * Liveness heuristic, never used for safety: the proposer of `round` is disconnected, or nothing
   * it signed for this height or the previous one has arrived (a validator that is up signs votes at
   * every height it takes part in).
   */
  private proposerSuspected(round: number): boolean {
    const p = this.proposer(this.height, round);
    if (p === this.self) return false;
    if (this.disconnected.has(p)) return true;
    const heard = this.lastHeard.get(p) ?? (this.firstHeight ?? this.height) - 1n;
    return heard < this.height - 1n;
  }

  private onPeerStatus(validator: Address, connected: boolean): void {
    const v = normalizeAddress(validator);
    if (!this.validatorSet.has(v) || v === this.self) return;
    if (connected) {
      this.disconnected.delete(v);
      return;
    }
    this.disconnected.add(v);
    // The proposer we are waiting for just went away: shorten the wait for its proposal.
    const r = this.round;
    if (
      this.started &&
      !this.decided &&
      this.step === 'propose' &&
      this.timeouts.proposeSilent !== undefined &&
      this.proposer(this.height, r) === v &&
      this.proposeTimeoutScheduled.has(r) &&
      !this.shortPropose.has(r)
    ) {
      this.shortPropose.add(r);
      this.schedule('propose', r, this.shortProposeMs(r));
    }
  }

  private isProposer(round: number): boolean {
    return this.self !== null && this.proposer(this.height, round) === this.self;
  }

  private hasOwnProposal(round: number): boolean {
    return this.own.some((m) => m.type === MsgType.Proposal && m.round === round);
  }

  private ownVote(type: VoteType, round: number): Vote | undefined {
    return this.own.find((m): m is Vote => m.type === type && m.round === round);
  }

  // ---------------------------------------------------------------- inputs

  private onValueAvailable(): void {
    if (!this.started || this.decided) return;
    this.valueAvailable = true;
    if (this.step !== 'propose') return;
    this.scheduleProposeTimeout();
    this.maybeBuild();
  }

  private maybeBuild(): void {
    if (
      this.step === 'propose' &&
      this.isProposer(this.round) &&
      !this.proposedRounds.has(this.round) &&
      !this.building
    ) {
      this.building = true;
      this.out.push({ kind: 'buildProposal', height: this.height, round: this.round });
    }
  }

  private onProposalBuilt(height: bigint, round: number, value: Uint8Array | null, hash: Hex | null): void {
    if (!this.started || this.decided || height !== this.height || round !== this.round) return;
    this.building = false;
    if (value === null || hash === null) return;
    if (this.step !== 'propose' || !this.isProposer(round) || this.proposedRounds.has(round)) return;
    this.values.set(hash, value);
    this.validHashes.add(hash);
    this.signProposal(round, value, hash, -1);
  }

  private signProposal(round: number, value: Uint8Array, valueHash: Hex, validRound: number): void {
    if (this.self === null) return;
    this.proposedRounds.add(round);
    this.out.push({
      kind: 'sign',
      msg: {
        type: MsgType.Proposal,
        height: this.height,
        round,
        validRound,
        value,
        valueHash,
        proposer: this.self,
      },
    });
  }

  private signVote(type: VoteType, valueHash: Hex, lock?: LockRecord): void {
    if (this.self === null) return;
    this.out.push({
      kind: 'sign',
      msg: { type, height: this.height, round: this.round, valueHash, validator: this.self },
      ...(lock ? { lock } : {}),
    });
  }

  private onValidated(height: bigint, valueHash: Hex, valid: boolean): void {
    if (!this.started || height !== this.height) return;
    const bytes = this.pendingValidation.get(valueHash);
    this.pendingValidation.delete(valueHash);
    if (bytes === undefined) return;
    if (valid) {
      this.validHashes.add(valueHash);
      if (!this.values.has(valueHash)) this.values.set(valueHash, bytes);
      return;
    }
    // Only these bytes are bad: another proposal may carry the real value of this hash.
    let retry: Proposal | null = null;
    for (const list of this.proposals.values()) {
      for (const p of list) {
        if (p.valueHash !== valueHash || this.invalidProposals.has(p)) continue;
        if (bytesEqual(p.value, bytes)) this.invalidProposals.add(p);
        else retry ??= p;
      }
    }
    if (retry !== null && !this.decided) this.requestValidation(retry);
  }

  private requestValidation(p: Proposal): void {
    if (this.validHashes.has(p.valueHash) || this.pendingValidation.has(p.valueHash)) return;
    this.pendingValidation.set(p.valueHash, p.value);
    this.out.push({ kind: 'validate', height: this.height, valueHash: p.valueHash, value: p.value });
  }

  private onTimeout(height: bigint, round: number, step: Step): void {
    if (height !== this.height || round !== this.round) return;
    if (step === 'propose' && this.step === 'propose') {
      if (this.shortPropose.delete(round) && !this.proposerSuspected(round)) {
        // The proposer showed signs of life after all: grant it the rest of the normal wait.
        const rest = timeoutFor(this.timeouts, 'propose', round) - this.shortProposeMs(round);
        if (rest > 0) {
          this.schedule('propose', round, rest);
          return;
        }
      }
      this.step = 'prevote';
      this.signVote(MsgType.Prevote, NIL_HASH);
    } else if (step === 'prevote' && this.step === 'prevote') {
      this.step = 'precommit';
      this.signVote(MsgType.Precommit, NIL_HASH);
    } else if (step === 'precommit') {
      this.startRound(round + 1);
    }
  }

  private onRebroadcast(): void {
    if (!this.started || this.decided) return;
    for (const m of this.own) {
      const recent = m.round >= this.round - 2;
      const pol = m.type === MsgType.Prevote && m.valueHash !== NIL_HASH;
      if (recent || pol) this.out.push({ kind: 'broadcast', msg: m });
    }
    // Gossip the polka behind our valid value, other validators' votes included: a re-proposal
    // with this validRound is only acceptable to peers that hold the same 2f+1 prevotes.
    if (this.validRound >= 0 && this.validHash !== null) {
      for (const [a, list] of this.prevotes.get(this.validRound) ?? []) {
        if (a === this.self) continue;
        for (const v of list)
          if (v.valueHash === this.validHash) this.out.push({ kind: 'broadcast', msg: v });
      }
    }
    // A proposer whose app had nothing to offer polls again on every tick.
    this.maybeBuild();
  }

  private signalSync(height: bigint): void {
    if (this.syncSignalled) return;
    this.syncSignalled = true;
    this.out.push({ kind: 'syncNeeded', height });
  }

  private receive(msg: SignedMessage): void {
    const sender = senderOf(msg);
    if (!this.validatorSet.has(sender)) return;
    if (!Number.isSafeInteger(msg.round) || msg.round < 0) return;
    if (msg.height > (this.lastHeard.get(sender) ?? -1n)) this.lastHeard.set(sender, msg.height);
    if (msg.height < this.height) return;
    if (msg.height > this.height) {
      this.bufferFuture(msg, sender);
      return;
    }
    if (this.decided) return;
    if (!this.admitRound(msg.round, sender)) return;
    const added = msg.type === MsgType.Proposal ? this.addProposal(msg, sender) : this.addVote(msg, sender);
    if (!added) return;
    if (sender === this.self) this.own.push(msg);
    // Another validator is working on this height: stop idling so a dead proposer can't stall us.
    else if (this.idle && msg.round === this.round && this.step === 'propose') this.scheduleProposeTimeout();
  }

  private bufferFuture(msg: SignedMessage, sender: Address): void {
    if (msg.height !== this.height + 1n) {
      this.signalSync(this.height);
      return;
    }
    const mine = this.nextHeight.filter((m) => senderOf(m) === sender);
    if (mine.length < this.maxNextHeight && !mine.some((m) => sameSlot(m, msg))) this.nextHeight.push(msg);
    if (!this.decided) {
      const senders = new Set(this.nextHeight.map(senderOf));
      if (senders.size >= this.f1) this.signalSync(this.height);
    }
  }

  /** Bounds memory: each validator keeps messages for at most N distinct rounds above ours. */
  private admitRound(round: number, sender: Address): boolean {
    if (round <= this.round) return true;
    const rounds = new Set<number>();
    for (const [r, list] of this.proposals)
      if (r > this.round && list.some((p) => senderOf(p) === sender)) rounds.add(r);
    for (const [r, m] of this.prevotes) if (r > this.round && m.has(sender)) rounds.add(r);
    for (const [r, m] of this.precommits) if (r > this.round && m.has(sender)) rounds.add(r);
    if (rounds.has(round) || rounds.size < this.maxFutureRounds) return true;
    const lowest = Math.min(...rounds);
    if (round < lowest) return false;
    if (this.proposer(this.height, lowest) === sender) this.proposals.get(lowest)?.splice(0);
    this.prevotes.get(lowest)?.delete(sender);
    this.precommits.get(lowest)?.delete(sender);
    return true;
  }

  private addProposal(p: Proposal, sender: Address): boolean {
    if (sender !== this.proposer(this.height, p.round)) return false;
    if (p.validRound < -1 || p.validRound >= p.round) return false;
    let list = this.proposals.get(p.round);
    if (!list) {
      list = [];
      this.proposals.set(p.round, list);
    }
    if (
      list.some(
        (x) => x.valueHash === p.valueHash && x.validRound === p.validRound && x.signature === p.signature,
      )
    )
      return false;
    if (list.length > 0) this.out.push({ kind: 'evidence', first: list[0]!, second: p });
    if (list.length >= this.maxProposals) return false;
    list.push(p);
    this.requestValidation(p);
    return true;
  }

  private addVote(v: Vote, sender: Address): boolean {
    const table = v.type === MsgType.Prevote ? this.prevotes : this.precommits;
    let m = table.get(v.round);
    if (!m) {
      m = new Map();
      table.set(v.round, m);
    }
    const prev = m.get(sender);
    if (!prev) {
      m.set(sender, [v]);
      return true;
    }
    if (prev.some((x) => x.valueHash === v.valueHash)) return false;
    this.out.push({ kind: 'evidence', first: prev[0]!, second: v });
    if (prev.length < 2) {
      prev.push(v);
      return true;
    }
    // Full: an equivocator may have filled its slots with junk to hide the vote that completed a
    // quorum elsewhere. A variant other validators also voted for replaces one nobody supports.
    if (!this.supported(m, sender, v.round, v.valueHash)) return false;
    const junk = prev.findIndex((x) => !this.supported(m, sender, v.round, x.valueHash));
    if (junk < 0) return false;
    prev[junk] = v;
    return true;
  }

  private supported(m: Map<Address, Vote[]>, sender: Address, round: number, hash: Hex): boolean {
    if (hash === NIL_HASH) return true;
    for (const [a, list] of m) if (a !== sender && list.some((x) => x.valueHash === hash)) return true;
    return (this.proposals.get(round) ?? []).some((p) => p.valueHash === hash);
  }

  // ---------------------------------------------------------------- rules

  private count(table: Map<number, Map<Address, Vote[]>>, round: number, hash?: Hex): number {
    const m = table.get(round);
    if (!m) return 0;
    if (hash === undefined) return m.size;
    let n = 0;
    for (const list of m.values()) if (list.some((v) => v.valueHash === hash)) n++;
    return n;
  }

  private isValid(p: Proposal): boolean | undefined {
    if (this.validHashes.has(p.valueHash)) return true;
    if (this.invalidProposals.has(p)) return false;
    return undefined;
  }

  private evaluate(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.decided) return;
      if (!this.ruleOnce()) return;
    }
    throw new Error('consensus rules did not reach a fixed point');
  }

  /** Applies the first rule whose precondition holds; false when none does. */
  private ruleOnce(): boolean {
    // Decision (line 49): any round with 2f+1 precommits for a value we hold and validated.
    for (const [r, m] of this.precommits) {
      if (m.size < this.q) continue;
      for (const hash of new Set([...m.values()].flatMap((list) => list.map((v) => v.valueHash)))) {
        if (hash === NIL_HASH || this.count(this.precommits, r, hash) < this.q) continue;
        if (this.validHashes.has(hash) && this.values.has(hash)) {
          this.decide(r, hash);
          return true;
        }
      }
    }

    // Round skip (line 55): f+1 validators already in a higher round.
    const skipTo = this.highestSkippableRound();
    if (skipTo !== null) {
      this.startRound(skipTo);
      return true;
    }

    const r = this.round;
    if (this.step === 'propose') {
      for (const p of this.proposals.get(r) ?? []) {
        if (p.validRound === -1) {
          // Line 22.
          const valid = this.isValid(p);
          if (valid === undefined) continue;
          const ok = valid && (this.lockedRound === -1 || this.lockedHash === p.valueHash);
          this.step = 'prevote';
          this.signVote(MsgType.Prevote, ok ? p.valueHash : NIL_HASH);
          return true;
        }
        // Line 28: re-proposal justified by a polka in validRound.
        if (this.count(this.prevotes, p.validRound, p.valueHash) < this.q) continue;
        const valid = this.isValid(p);
        if (valid === undefined) continue;
        const ok = valid && (this.lockedRound <= p.validRound || this.lockedHash === p.valueHash);
        this.step = 'prevote';
        this.signVote(MsgType.Prevote, ok ? p.valueHash : NIL_HASH);
        return true;
      }
    }

    // Line 34.
    if (
      this.step === 'prevote' &&
      !this.firedPrevoteTimeout.has(r) &&
      this.count(this.prevotes, r) >= this.q
    ) {
      this.firedPrevoteTimeout.add(r);
      this.schedule('prevote', r);
      return true;
    }

    // Line 36: polka for a proposed, valid value.
    if (this.step !== 'propose' && !this.firedLock.has(r)) {
      for (const p of this.proposals.get(r) ?? []) {
        if (this.count(this.prevotes, r, p.valueHash) < this.q || this.isValid(p) !== true) continue;
        this.firedLock.add(r);
        const value = this.values.get(p.valueHash) ?? p.value;
        if (this.step === 'prevote') {
          this.lockedRound = r;
          this.lockedHash = p.valueHash;
          this.lockedValue = value;
          this.step = 'precommit';
          const proof = [...(this.prevotes.get(r)?.values() ?? [])].flatMap((l) =>
            l.filter((v) => v.valueHash === p.valueHash),
          );
          this.signVote(MsgType.Precommit, p.valueHash, { value, proof });
        }
        this.validRound = r;
        this.validHash = p.valueHash;
        this.validValue = value;
        return true;
      }
    }

    // Line 44.
    if (this.step === 'prevote' && this.count(this.prevotes, r, NIL_HASH) >= this.q) {
      this.step = 'precommit';
      this.signVote(MsgType.Precommit, NIL_HASH);
      return true;
    }

    // 2f+1 nil precommits: at least f+1 correct validators precommitted nil, so no value can reach
    // 2f+1 precommits in this round. Waiting out timeoutPrecommit (line 47) could not lead to a
    // decision here; go to the next round now. (A decision of this round would still be taken by
    // line 49 above, which looks at every round.)
    if (this.count(this.precommits, r, NIL_HASH) >= this.q) {
      this.startRound(r + 1);
      return true;
    }

    // Line 47.
    if (!this.firedPrecommitTimeout.has(r) && this.count(this.precommits, r) >= this.q) {
      this.firedPrecommitTimeout.add(r);
      this.schedule('precommit', r);
      return true;
    }
    return false;
  }

  private highestSkippableRound(): number | null {
    const senders = new Map<number, Set<Address>>();
    const note = (r: number, a: Address) => {
      if (r <= this.round) return;
      let s = senders.get(r);
      if (!s) {
        s = new Set();
        senders.set(r, s);
      }
      s.add(a);
    };
    for (const [r, list] of this.proposals) for (const p of list) note(r, senderOf(p));
    for (const [r, m] of this.prevotes) for (const a of m.keys()) note(r, a);
    for (const [r, m] of this.precommits) for (const a of m.keys()) note(r, a);
    let best: number | null = null;
    for (const [r, s] of senders) if (s.size >= this.f1 && (best === null || r > best)) best = r;
    return best;
  }

  private decide(round: number, hash: Hex): void {
    const votes = [...(this.precommits.get(round)?.values() ?? [])].flatMap((list) =>
      list.filter((v) => v.valueHash === hash),
    );
    votes.sort((a, b) => (a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0));
    const certificate: CommitCertificate = {
      height: this.height,
      round,
      valueHash: hash,
      signatures: votes.map((v) => ({ validator: normalizeAddress(v.validator), signature: v.signature })),
    };
    this.decided = true;
    this.out.push({ kind: 'decide', height: this.height, round, value: this.values.get(hash)!, certificate });
  }
}

function sameSlot(a: SignedMessage, b: SignedMessage): boolean {
  return a.type === b.type && a.round === b.round && a.height === b.height;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
