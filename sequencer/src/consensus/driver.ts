import { type MessageVerifier, SignatureVerifier, isValidCertificate } from './crypto.ts';
import { ConsensusCore } from './engine.ts';
import { DoubleSignError } from './errors.ts';
import type { Effect, Input, RestoredState } from './messages.ts';
import type { Signer } from './signer.ts';
import type { ConsensusStore } from './storage.ts';
import {
  type Address,
  type CommitCertificate,
  type ConsensusApp,
  type Hex,
  MsgType,
  NIL_HASH,
  type SignedMessage,
  type Step,
  type TimeoutConfig,
} from './types.ts';

/** Timers and the network, as seen by one node; the simulator and libp2p both implement it. */
export interface DriverEnv {
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
  broadcast(msg: SignedMessage): void;
  /** Periodic "I am at height h" hint so lagging peers notice and sync. */
  broadcastStatus?(height: bigint, round: number): void;
}

export interface DriverHooks {
  onDecide?(height: bigint, round: number, value: Uint8Array, certificate: CommitCertificate): void;
  onSyncNeeded?(height: bigint): void;
  onEvidence?(first: SignedMessage, second: SignedMessage): void;
  onSigned?(msg: SignedMessage): void;
  onRoundChange?(height: bigint, round: number): void;
  onError?(err: unknown): void;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface DriverOptions {
  validators: readonly Address[];
  chainId: bigint;
  app: ConsensusApp;
  store: ConsensusStore;
  /** null runs a non-voting follower. */
  signer: Signer | null;
  env: DriverEnv;
  timeouts?: TimeoutConfig;
  /** Own votes are re-sent this often while a height is open (gossip is lossy). */
  rebroadcastMs?: number;
  verifier?: MessageVerifier;
  hooks?: DriverHooks;
  log?: Logger;
}

type Task =
  | { kind: 'input'; input: Input }
  | { kind: 'sync'; height: bigint; value: Uint8Array; certificate: CommitCertificate };

export interface DriverStats {
  signed: number;
  refusedByGuard: number;
  decided: number;
  rejectedMessages: number;
  evidence: number;
}

/**
 * Runs a ConsensusCore against the world: one input at a time, executing its effects in order
 * (sign → persist → broadcast, timers, app calls) and feeding the results back. Everything the
 * node does to consensus goes through this queue, so the order of events fully determines the run.
 */
export class ConsensusDriver {
  readonly core: ConsensusCore;
  readonly verifier: MessageVerifier;
  readonly stats: DriverStats = {
    signed: 0,
    refusedByGuard: 0,
    decided: 0,
    rejectedMessages: 0,
    evidence: 0,
  };
  private readonly opts: DriverOptions;
  private readonly log: Logger;
  private queue: Task[] = [];
  private pumping = false;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;
  private timers = new Set<unknown>();
  private ticker: unknown = null;
  private lastRound = -1;

  constructor(opts: DriverOptions) {
    this.opts = opts;
    this.log = opts.log ?? silent;
    this.verifier = opts.verifier ?? new SignatureVerifier(opts.chainId);
    this.core = new ConsensusCore({
      validators: opts.validators,
      self: opts.signer?.address ?? null,
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    });
  }

  /** True while inputs are being processed. */
  get busy(): boolean {
    return this.pumping;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts at `nextHeight` (last committed + 1), replaying own messages from the WAL. */
  async start(nextHeight: bigint): Promise<void> {
    const wal = await this.opts.store.loadWal(nextHeight);
    let restored: RestoredState | undefined;
    if (wal.length > 0) {
      restored = { ownMessages: wal.map((e) => e.msg) };
      for (const e of wal) {
        if (e.lock && e.msg.type === MsgType.Precommit && e.msg.valueHash !== NIL_HASH) {
          restored.lock = {
            round: e.msg.round,
            valueHash: e.msg.valueHash,
            value: e.lock.value,
            proof: e.lock.proof,
          };
        }
      }
      this.log.info({ height: nextHeight.toString(), entries: wal.length }, 'replaying consensus WAL');
    }
    this.enqueue({
      kind: 'input',
      input: restored
        ? { kind: 'start', height: nextHeight, restored }
        : { kind: 'start', height: nextHeight },
    });
    const every = this.opts.rebroadcastMs ?? 1_000;
    const tick = () => {
      if (this.stopped) return;
      this.enqueue({ kind: 'input', input: { kind: 'rebroadcast' } });
      if (this.core.started) this.opts.env.broadcastStatus?.(this.core.height, this.core.round);
      this.ticker = this.opts.env.setTimer(every, tick);
    };
    this.ticker = this.opts.env.setTimer(every, tick);
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    for (const t of this.timers) this.opts.env.clearTimer(t);
    this.timers.clear();
    if (this.ticker !== null) this.opts.env.clearTimer(this.ticker);
  }

  /** A message from the network. Returns false (and drops it) if its signature is not its sender's. */
  deliver(msg: SignedMessage): boolean {
    if (this.stopped) return false;
    if (!this.verifier.verify(msg)) {
      this.stats.rejectedMessages++;
      return false;
    }
    this.enqueue({ kind: 'input', input: { kind: 'message', msg } });
    return true;
  }

  notifyValueAvailable(): void {
    this.enqueue({ kind: 'input', input: { kind: 'valueAvailable' } });
  }

  /** Liveness hint from the network layer: the link to `validator` was lost or (re)established. */
  peerStatus(validator: Address, connected: boolean): void {
    this.enqueue({ kind: 'input', input: { kind: 'peerStatus', validator, connected } });
  }

  /** A decided block obtained by catch-up sync; accepted only with a valid certificate and value. */
  deliverDecided(height: bigint, value: Uint8Array, certificate: CommitCertificate): boolean {
    if (this.stopped) return false;
    if (
      certificate.height !== height ||
      !isValidCertificate(certificate, this.opts.validators, this.opts.chainId, this.verifier)
    ) {
      this.stats.rejectedMessages++;
      return false;
    }
    this.enqueue({ kind: 'sync', height, value, certificate });
    return true;
  }

  /** Resolves once every queued input (and what it caused synchronously) has been processed. */
  async idle(): Promise<void> {
    while (this.pumping) await this.current;
  }

  status(): { height: bigint; round: number; step: Step; decided: boolean } {
    return {
      height: this.core.height,
      round: this.core.round,
      step: this.core.step,
      decided: this.core.decided,
    };
  }

  private enqueue(task: Task): void {
    if (this.stopped) return;
    this.queue.push(task);
    if (!this.pumping) this.current = this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const task = this.queue.shift()!;
        try {
          await this.run(task);
        } catch (err) {
          this.log.error({ err }, 'consensus driver failed; stopping');
          this.opts.hooks?.onError?.(err);
          this.stop();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async run(task: Task): Promise<void> {
    if (task.kind === 'sync') {
      if (this.core.height !== task.height || this.core.decided) return;
      let hash: Hex | null = null;
      try {
        hash = await this.opts.app.validateProposal(task.height, task.value);
      } catch (err) {
        this.log.warn({ err, height: task.height.toString() }, 'synced block failed validation');
      }
      if (hash === null || hash.toLowerCase() !== task.certificate.valueHash.toLowerCase()) {
        this.stats.rejectedMessages++;
        this.log.warn({ height: task.height.toString() }, 'synced block does not match its certificate');
        return;
      }
      return this.runInput({
        kind: 'decidedExternally',
        height: task.height,
        value: task.value,
        certificate: task.certificate,
      });
    }
    return this.runInput(task.input);
  }

  private async runInput(input: Input): Promise<void> {
    const effects = this.core.handle(input);
    const followUps: Input[] = [];
    for (const e of effects) {
      if (this.stopped) return;
      await this.exec(e, followUps);
    }
    if (this.stopped) return;
    if (this.core.started && (this.core.round !== this.lastRound || input.kind === 'committed')) {
      this.lastRound = this.core.round;
      this.opts.hooks?.onRoundChange?.(this.core.height, this.core.round);
    }
    // Results of this input's effects go first: own votes count before anything newer arrives.
    this.queue.unshift(...followUps.map((input): Task => ({ kind: 'input', input })));
  }

  private async exec(e: Effect, followUps: Input[]): Promise<void> {
    const { app, env, hooks } = this.opts;
    switch (e.kind) {
      case 'sign': {
        const signer = this.opts.signer;
        if (!signer) return;
        let signed: SignedMessage;
        try {
          signed = await signer.sign(e.msg, e.lock);
        } catch (err) {
          if (!(err instanceof DoubleSignError)) throw err;
          this.stats.refusedByGuard++;
          this.log.warn({ err: err.message }, 'double-sign guard refused a signature');
          return;
        }
        if (this.stopped) return;
        this.stats.signed++;
        hooks?.onSigned?.(signed);
        env.broadcast(signed);
        followUps.push({ kind: 'message', msg: signed });
        return;
      }
      case 'broadcast':
        env.broadcast(e.msg);
        return;
      case 'scheduleTimeout': {
        const { height, round, step } = e;
        const handle = env.setTimer(e.ms, () => {
          this.timers.delete(handle);
          this.enqueue({ kind: 'input', input: { kind: 'timeout', height, round, step } });
        });
        this.timers.add(handle);
        return;
      }
      case 'buildProposal': {
        let built: { value: Uint8Array; hash: Hex } | null = null;
        try {
          built = await app.buildProposal(e.height, e.round);
        } catch (err) {
          this.log.error({ err }, 'buildProposal failed');
        }
        followUps.push({
          kind: 'proposalBuilt',
          height: e.height,
          round: e.round,
          value: built?.value ?? null,
          hash: built ? (built.hash.toLowerCase() as Hex) : null,
        });
        return;
      }
      case 'validate': {
        let hash: Hex | null = null;
        try {
          hash = await app.validateProposal(e.height, e.value);
        } catch (err) {
          this.log.warn({ err }, 'validateProposal threw; treating value as invalid');
        }
        followUps.push({
          kind: 'validated',
          height: e.height,
          valueHash: e.valueHash,
          valid: hash !== null && hash.toLowerCase() === e.valueHash.toLowerCase(),
        });
        return;
      }
      case 'decide': {
        await app.commit(e.height, e.value, e.certificate);
        if (this.stopped) return;
        this.stats.decided++;
        await this.opts.store.pruneBelow(e.height + 1n);
        hooks?.onDecide?.(e.height, e.round, e.value, e.certificate);
        followUps.push({ kind: 'committed', height: e.height });
        return;
      }
      case 'evidence':
        this.stats.evidence++;
        hooks?.onEvidence?.(e.first, e.second);
        return;
      case 'syncNeeded':
        hooks?.onSyncNeeded?.(e.height);
        return;
    }
  }
}
