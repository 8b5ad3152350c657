import { bytesToHex } from '@noble/hashes/utils';
import {
  type DigestSigner,
  type MessageVerifier,
  SignatureVerifier,
  devValidatorKey,
  digestOf,
  keccak,
  secp256k1Signer,
  verifyCertificate,
} from '../consensus/crypto.ts';
import { ConsensusDriver, type DriverEnv } from '../consensus/driver.ts';
import { PrivValidator } from '../consensus/signer.ts';
import { MemoryConsensusStore } from '../consensus/storage.ts';
import {
  type Address,
  type CommitCertificate,
  type Hex,
  MsgType,
  NIL_HASH,
  type Proposal,
  type SignedMessage,
  type TimeoutConfig,
  type Vote,
} from '../consensus/types.ts';
import { SimApp, type SimBlock, type SimChain, decodeSimValue, encodeSimValue } from './app.ts';
import { FakeSignatureRegistry } from './fake-crypto.ts';
import { Rng } from './prng.ts';
import { Scheduler } from './scheduler.ts';

export type ByzantineMode = 'equivocate' | 'doublevote' | 'both';

export type Fault =
  | { kind: 'crash'; at: number; node: number; downFor: number; wipe?: boolean }
  | { kind: 'partition'; at: number; groups: number[][]; duration: number };

export interface Scenario {
  seed: number;
  profile: string;
  crypto: 'fast' | 'real';
  nodes: number;
  chainId: bigint;
  /** Faults happen in [0, chaosMs); afterwards the network is healed and all nodes are up. */
  chaosMs: number;
  /** Time after the heal within which every submitted tx must be decided everywhere. */
  settleMs: number;
  minDelay: number;
  maxDelay: number;
  drop: number;
  duplicate: number;
  /** Probability that a message is held back for up to `slowMaxMs` (reordering across rounds). */
  slow: number;
  slowMaxMs: number;
  /** Drop rate that stays after the heal (gossip stays lossy). */
  dropAfterHeal: number;
  txGapMin: number;
  txGapMax: number;
  /** Stop submitting after this many transactions (undefined: keep going until the tail). */
  txLimit?: number;
  sealMs: number;
  maxTxs: number;
  timeouts: TimeoutConfig;
  rebroadcastMs: number;
  byzantine: { node: number; mode: ByzantineMode } | null;
  faults: Fault[];
  /** Probability that an honest node dies right after persisting a signature, before sending it. */
  crashOnSend: number;
}

export interface SimResult {
  seed: number;
  profile: string;
  ok: boolean;
  violations: string[];
  heights: number[];
  maxRound: number;
  txsSubmitted: number;
  txsDecided: number;
  /** Signatures made by all nodes (0 on an idle chain: no empty rounds either). */
  signatures: number;
  simTimeMs: number;
  events: number;
  crashes: number;
  syncs: number;
  evidence: number;
  trace: string[];
}

const SIM_TIMEOUTS: TimeoutConfig = { propose: 400, prevote: 200, precommit: 200, delta: 100, max: 1_500 };

/** Draws a random fault scenario from a seed; the same seed always yields the same scenario. */
export const PROFILES = ['calm', 'lossy', 'partition', 'crash', 'byzantine', 'mixed', 'mixed'] as const;

export function randomScenario(seed: number, overrides: Partial<Scenario> = {}): Scenario {
  const rng = new Rng(seed ^ 0x5eed);
  const drawn = rng.pick(PROFILES);
  const profile: string = overrides.profile ?? drawn;
  const chaosMs = 8_000;
  const n = 4;
  const lossy = profile !== 'calm';
  const faults: Fault[] = [];
  let byzantine: Scenario['byzantine'] = null;
  if (profile === 'byzantine' || (profile === 'mixed' && rng.chance(0.5))) {
    byzantine = { node: rng.int(n), mode: rng.pick(['equivocate', 'doublevote', 'both'] as const) };
  }
  if (profile === 'partition' || profile === 'mixed') {
    const count = rng.range(1, 6);
    for (let i = 0; i < count; i++) {
      const order = rng.shuffle([0, 1, 2, 3]);
      const shape = rng.pick(['2|2', '3|1', '1|1|2']);
      const groups =
        shape === '2|2'
          ? [order.slice(0, 2), order.slice(2)]
          : shape === '3|1'
            ? [order.slice(0, 3), order.slice(3)]
            : [[order[0]!], [order[1]!], order.slice(2)];
      faults.push({
        kind: 'partition',
        at: rng.range(0, chaosMs - 1_000),
        groups,
        duration: rng.range(50, 3_000),
      });
    }
  }
  if (profile === 'crash' || profile === 'mixed') {
    const count = rng.range(1, 4);
    let wiped = false;
    for (let i = 0; i < count; i++) {
      const node = rng.int(n);
      if (byzantine && node === byzantine.node) continue;
      // A wipe loses the double-sign guard too, so the wiped node counts as the one faulty node.
      const wipe = !byzantine && !wiped && rng.chance(0.25);
      if (wipe) wiped = true;
      faults.push({
        kind: 'crash',
        at: rng.range(0, chaosMs - 500),
        node,
        downFor: rng.range(100, 4_000),
        wipe,
      });
    }
  }
  const maxDelay = lossy ? rng.range(10, 80) : rng.range(2, 20);
  return {
    seed,
    profile,
    crypto: 'fast',
    nodes: n,
    chainId: 31_337n,
    chaosMs,
    settleMs: 10_000,
    minDelay: 1,
    maxDelay,
    drop: lossy ? rng.pick([0, 0.02, 0.05, 0.1, 0.2]) : 0,
    duplicate: lossy ? rng.pick([0, 0.02, 0.1]) : 0,
    slow: lossy ? rng.pick([0, 0.05, 0.2]) : 0,
    slowMaxMs: rng.pick([500, 2_000, 4_000]),
    dropAfterHeal: lossy ? rng.pick([0, 0.01, 0.05]) : 0,
    txGapMin: 5,
    txGapMax: rng.pick([50, 150, 400]),
    sealMs: 120,
    maxTxs: 20,
    timeouts: SIM_TIMEOUTS,
    rebroadcastMs: 250,
    byzantine,
    faults,
    crashOnSend: profile === 'crash' || profile === 'mixed' ? rng.pick([0, 0.002, 0.01]) : 0,
    ...overrides,
  };
}

type Packet =
  | { kind: 'consensus'; msg: SignedMessage }
  | { kind: 'tx'; id: number }
  | { kind: 'status'; height: bigint }
  | { kind: 'syncReq'; from: bigint; reqId: number }
  | { kind: 'syncResp'; reqId: number; blocks: SimBlock[] };

interface SimNode {
  index: number;
  key: DigestSigner;
  address: Address;
  store: MemoryConsensusStore;
  chain: SimChain;
  alive: boolean;
  incarnation: number;
  driver: ConsensusDriver | null;
  pending: Map<number, number>;
  wakeups: Set<number>;
  syncReq: { id: number; at: number } | null;
  byzantine: ByzantineMode | null;
  /** Wiped at least once: lost its guard, so it is excluded from the no-double-sign check. */
  wiped: boolean;
  nonce: number;
  /** Signatures already relayed by this incarnation (gossip forwards each message once). */
  seen: Set<string>;
}

/**
 * Four validators, their network, disks, clients and faults, in one deterministic event loop.
 * Every source of nondeterminism (delays, drops, faults, tx arrivals, Byzantine choices) is drawn
 * from one seeded PRNG and async work only ever waits on microtasks, so a seed replays exactly.
 */
export class Simulation {
  readonly sched = new Scheduler();
  readonly rng: Rng;
  readonly nodes: SimNode[] = [];
  readonly violations: string[] = [];
  readonly trace: string[] = [];
  private readonly verifier: MessageVerifier;
  private readonly validators: Address[];
  private partition: number[];
  private drop: number;
  private healed = false;
  private decisions = new Map<bigint, Hex>();
  private txHeight = new Map<number, bigint>();
  private honestSigs = new Map<string, string>();
  private submitted = new Map<number, number>();
  private nextTx = 1;
  private reqIds = 0;
  private inflight: Promise<unknown>[] = [];
  crashes = 0;
  signatures = 0;
  syncs = 0;
  evidence = 0;
  maxRound = 0;

  constructor(
    readonly s: Scenario,
    private readonly tracing = false,
  ) {
    this.rng = new Rng(s.seed);
    this.partition = new Array(s.nodes).fill(0);
    this.drop = s.drop;
    const registry = new FakeSignatureRegistry(s.chainId);
    this.verifier = s.crypto === 'fast' ? registry : new SignatureVerifier(s.chainId, 100_000);
    for (let i = 0; i < s.nodes; i++) {
      const key =
        s.crypto === 'fast' ? registry.signer(i) : secp256k1Signer(devValidatorKey(`sim-${s.seed}`, i));
      this.nodes.push({
        index: i,
        key,
        address: key.address.toLowerCase() as Address,
        store: new MemoryConsensusStore(),
        chain: { blocks: [], included: new Set() },
        alive: false,
        incarnation: 0,
        driver: null,
        pending: new Map(),
        wakeups: new Set(),
        syncReq: null,
        byzantine: s.byzantine?.node === i ? s.byzantine.mode : null,
        wiped: false,
        nonce: 0,
        seen: new Set(),
      });
    }
    this.validators = this.nodes.map((n) => n.address);
  }

  private log(line: string): void {
    if (this.tracing) this.trace.push(`${this.sched.now.toString().padStart(6)} ${line}`);
  }

  private violate(msg: string): void {
    this.violations.push(`t=${this.sched.now}: ${msg}`);
    this.log(`VIOLATION ${msg}`);
  }

  private honest(n: SimNode): boolean {
    return n.byzantine === null;
  }

  // ------------------------------------------------------------------ node lifecycle

  private boot(n: SimNode): void {
    n.alive = true;
    n.incarnation++;
    n.syncReq = null;
    n.wakeups.clear();
    n.seen = new Set();
    const incarnation = n.incarnation;
    const live = () => n.alive && n.incarnation === incarnation;
    const env: DriverEnv = {
      setTimer: (ms, fn) => this.sched.after(ms, () => live() && fn()),
      clearTimer: (h) => this.sched.cancel(h),
      broadcast: (msg) => {
        if (!live()) return;
        if (
          this.honest(n) &&
          this.healed === false &&
          this.s.crashOnSend > 0 &&
          this.rng.chance(this.s.crashOnSend)
        ) {
          // Crash between "persisted" and "sent": the WAL holds a signature nobody has seen.
          this.log(`node ${n.index} crashes before sending ${describe(msg)}`);
          this.crash(n, this.rng.range(100, 1_500), false);
          return;
        }
        if (n.byzantine) this.byzantineBroadcast(n, msg);
        else this.broadcastPacket(n, { kind: 'consensus', msg });
      },
      broadcastStatus: (height) => live() && this.broadcastPacket(n, { kind: 'status', height }),
    };
    const app = new SimApp(
      {
        index: n.index,
        chain: n.chain,
        pending: n.pending,
        now: () => this.sched.now,
        nextNonce: () => ++n.nonce,
        wakeAt: (at) => {
          if (n.wakeups.has(at)) return;
          n.wakeups.add(at);
          this.sched.at(at, () => {
            n.wakeups.delete(at);
            if (live()) n.driver?.notifyValueAvailable();
          });
        },
        verifyCertificate: (cert) => this.checkCertificate(n, cert),
        onCommitted: (block) => this.onCommitted(n, block),
      },
      this.s.sealMs,
      this.s.maxTxs,
    );
    const driver = new ConsensusDriver({
      validators: this.validators,
      chainId: this.s.chainId,
      app,
      store: n.store,
      signer: new PrivValidator(n.key, this.s.chainId, n.store),
      env,
      timeouts: this.s.timeouts,
      rebroadcastMs: this.s.rebroadcastMs,
      verifier: this.verifier,
      hooks: {
        onSigned: (msg) => this.onSigned(n, msg),
        onDecide: () => {
          if (n.pending.size > 0) driver.notifyValueAvailable();
        },
        onSyncNeeded: (h) => this.requestSync(n, h),
        onEvidence: () => this.evidence++,
        onRoundChange: (h, r) => {
          if (r > this.maxRound) this.maxRound = r;
          if (r > 0) this.log(`node ${n.index} h=${h} round ${r}`);
        },
        onError: (err) => this.violate(`node ${n.index} driver error: ${(err as Error).stack ?? err}`),
      },
    });
    n.driver = driver;
    this.log(`node ${n.index} boots at height ${n.chain.blocks.length + 1}`);
    this.inflight.push(driver.start(BigInt(n.chain.blocks.length) + 1n));
  }

  private crash(n: SimNode, downFor: number, wipe: boolean): void {
    if (!n.alive) return;
    this.crashes++;
    n.alive = false;
    n.driver?.stop();
    n.driver = null;
    n.pending.clear();
    if (wipe) {
      n.wiped = true;
      n.chain.blocks = [];
      n.chain.included = new Set();
      n.store = new MemoryConsensusStore();
    }
    this.log(`node ${n.index} crashes${wipe ? ' and loses its disk' : ''} for ${downFor}ms`);
    this.sched.after(downFor, () => {
      if (!n.alive) this.boot(n);
    });
  }

  // ------------------------------------------------------------------ network

  private send(from: SimNode, to: SimNode, p: Packet): void {
    if (this.partition[from.index] !== this.partition[to.index]) return;
    if (this.rng.chance(this.drop)) return;
    const copies = this.rng.chance(this.s.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let delay = this.rng.range(this.s.minDelay, this.s.maxDelay);
      if (!this.healed && this.rng.chance(this.s.slow)) delay += this.rng.range(0, this.s.slowMaxMs);
      this.sched.after(delay, () => {
        if (to.alive && this.partition[from.index] === this.partition[to.index]) this.receive(to, from, p);
      });
    }
  }

  private broadcastPacket(from: SimNode, p: Packet): void {
    for (const to of this.nodes) if (to !== from) this.send(from, to, p);
  }

  private receive(n: SimNode, from: SimNode, p: Packet): void {
    const d = n.driver;
    if (!d) return;
    switch (p.kind) {
      case 'consensus':
        // Gossipsub semantics: a valid message seen for the first time is forwarded to the mesh,
        // so a variant an equivocator sent to one peer reaches every correct node.
        if (d.deliver(p.msg) && !n.seen.has(p.msg.signature)) {
          n.seen.add(p.msg.signature);
          if (this.honest(n)) for (const to of this.nodes) if (to !== n && to !== from) this.send(n, to, p);
        }
        return;
      case 'tx':
        this.acceptTx(n, p.id, false);
        return;
      case 'status':
        if (p.height > d.core.height) this.requestSync(n, d.core.height);
        return;
      case 'syncReq': {
        const start = Number(p.from) - 1;
        const blocks = n.chain.blocks.slice(Math.max(0, start), start + 8);
        if (blocks.length > 0) this.send(n, from, { kind: 'syncResp', reqId: p.reqId, blocks });
        return;
      }
      case 'syncResp':
        if (n.syncReq?.id === p.reqId) n.syncReq = null;
        for (const b of p.blocks) d.deliverDecided(b.height, b.value, b.certificate);
        return;
    }
  }

  private requestSync(n: SimNode, height: bigint): void {
    if (!n.alive) return;
    if (n.syncReq && this.sched.now - n.syncReq.at < 400) return;
    const peers = this.nodes.filter((p) => p !== n);
    const peer = this.rng.pick(peers);
    const id = ++this.reqIds;
    n.syncReq = { id, at: this.sched.now };
    this.syncs++;
    this.send(n, peer, { kind: 'syncReq', from: height, reqId: id });
  }

  // ------------------------------------------------------------------ Byzantine behaviour

  private byzantineBroadcast(n: SimNode, msg: SignedMessage): void {
    const peers = this.nodes.filter((p) => p !== n);
    const mode = n.byzantine!;
    let alt: SignedMessage | null = null;
    if (msg.type === MsgType.Proposal && mode !== 'doublevote') alt = this.altProposal(n, msg);
    if (msg.type !== MsgType.Proposal && mode !== 'equivocate') alt = this.altVote(n, msg);
    if (alt === null) {
      this.broadcastPacket(n, { kind: 'consensus', msg });
    } else if (this.rng.chance(0.5)) {
      // Targeted split: the real message to exactly one peer, the conflicting one to the rest —
      // the pattern that lets one node decide while the others must respect their locks.
      const lucky = this.rng.pick(peers);
      for (const p of peers) this.send(n, p, { kind: 'consensus', msg: p === lucky ? msg : alt });
    } else {
      for (const p of peers) {
        const r = this.rng.next();
        if (r < 0.3) this.send(n, p, { kind: 'consensus', msg });
        else if (r < 0.6) this.send(n, p, { kind: 'consensus', msg: alt });
        else if (r < 0.8) {
          this.send(n, p, { kind: 'consensus', msg: alt });
          this.send(n, p, { kind: 'consensus', msg });
        }
        // else: withhold from this peer entirely.
      }
    }
    // Round spam: a lone validator claiming a far round must not drag anyone along.
    if (msg.type === MsgType.Prevote && this.rng.chance(0.05)) {
      const far = { ...msg, round: msg.round + this.rng.range(2, 1_000), valueHash: NIL_HASH };
      this.broadcastPacket(n, { kind: 'consensus', msg: this.signRaw(n, far) });
    }
  }

  private signRaw<T extends SignedMessage>(n: SimNode, m: T): T {
    return { ...m, signature: n.key.signDigest(digestOf(this.s.chainId, m)) };
  }

  private altProposal(n: SimNode, p: Proposal): Proposal {
    const v = decodeSimValue(p.value);
    const invalid = this.rng.chance(0.3);
    const txs = v.txs.length > 1 && this.rng.chance(0.5) ? v.txs.slice(0, v.txs.length - 1) : v.txs;
    const value = encodeSimValue({ ...v, nonce: v.nonce + 1_000_000 + this.rng.int(1_000), invalid, txs });
    return this.signRaw(n, { ...p, value, valueHash: keccak(value) });
  }

  private altVote(n: SimNode, v: Vote): Vote {
    const other: Hex =
      v.valueHash === NIL_HASH
        ? (`0x${bytesToHex(new Uint8Array(32).map(() => this.rng.int(256)))}` as Hex)
        : NIL_HASH;
    return this.signRaw(n, { ...v, valueHash: other });
  }

  // ------------------------------------------------------------------ clients

  private acceptTx(n: SimNode, id: number, gossip: boolean): void {
    if (n.chain.included.has(id) || n.pending.has(id)) return;
    n.pending.set(id, this.sched.now);
    n.driver?.notifyValueAvailable();
    if (gossip) this.broadcastPacket(n, { kind: 'tx', id });
  }

  private submitTx(id: number): void {
    if (this.txHeight.has(id)) return;
    const live = this.nodes.filter((n) => n.alive);
    if (live.length > 0) {
      const n = this.rng.pick(live);
      this.acceptTx(n, id, true);
    }
    // Like a wallet after a deadline: resubmit until the tx is decided.
    this.sched.after(1_500, () => this.submitTx(id));
  }

  // ------------------------------------------------------------------ invariants

  private onSigned(n: SimNode, msg: SignedMessage): void {
    this.signatures++;
    this.log(
      `node ${n.index} signs ${describe(msg)}${msg.type === MsgType.Proposal ? ` vr=${msg.validRound}` : ''}`,
    );
    if (!this.honest(n) || n.wiped) return;
    const slot = `${n.index}/${msg.height}/${msg.round}/${msg.type}`;
    const digest = `${msg.valueHash}/${msg.type === MsgType.Proposal ? msg.validRound : ''}`;
    const prev = this.honestSigs.get(slot);
    if (prev !== undefined && prev !== digest)
      this.violate(`honest node ${n.index} double-signed ${describe(msg)}`);
    this.honestSigs.set(slot, digest);
  }

  private checkCertificate(n: SimNode, cert: CommitCertificate): void {
    try {
      verifyCertificate(cert, this.validators, this.s.chainId, this.verifier);
    } catch (err) {
      this.violate(`node ${n.index} committed with a bad certificate: ${(err as Error).message}`);
    }
  }

  private onCommitted(n: SimNode, block: SimBlock): void {
    this.log(
      `node ${n.index} commits h=${block.height} r=${block.certificate.round} ${block.hash.slice(0, 10)} txs=${block.txs.length}`,
    );
    const prev = this.decisions.get(block.height);
    if (prev === undefined) this.decisions.set(block.height, block.hash);
    else if (prev !== block.hash)
      this.violate(
        `agreement: node ${n.index} decided ${block.hash} at height ${block.height}, others ${prev}`,
      );
    const v = decodeSimValue(block.value);
    if (v.invalid || v.txs.length === 0)
      this.violate(`validity: node ${n.index} decided an invalid/empty value at ${block.height}`);
    for (const t of block.txs) {
      const h = this.txHeight.get(t);
      if (h !== undefined && h !== block.height)
        this.violate(`tx ${t} decided at heights ${h} and ${block.height}`);
      this.txHeight.set(t, block.height);
    }
  }

  private finalChecks(healHeight: number): void {
    const honest = this.nodes.filter((n) => this.honest(n));
    const heights = honest.map((n) => n.chain.blocks.length);
    const top = Math.max(...heights);
    // Same sequence on every honest node.
    for (const n of honest) {
      for (const b of n.chain.blocks) {
        if (this.decisions.get(b.height) !== b.hash)
          this.violate(`node ${n.index} chain differs at height ${b.height}`);
      }
      if (!n.alive) this.violate(`node ${n.index} is down at the end`);
    }
    // Liveness after the heal: everyone converged and every submitted tx is decided everywhere.
    if (heights.some((h) => h !== top))
      this.violate(`liveness: heights did not converge after heal: ${heights.join(',')}`);
    const missing = [...this.submitted.keys()].filter((id) => !this.txHeight.has(id));
    if (missing.length > 0)
      this.violate(`liveness: ${missing.length} txs never decided (e.g. ${missing.slice(0, 5).join(',')})`);
    for (const n of honest) {
      const notHere = [...this.submitted.keys()].filter((id) => !n.chain.included.has(id)).length;
      if (notHere > 0 && missing.length === 0) this.violate(`node ${n.index} lacks ${notHere} decided txs`);
    }
    if (this.submitted.size > 0 && top <= healHeight && missing.length === 0 && this.txsAfterHeal > 0) {
      this.violate(`liveness: no progress after heal (height ${top})`);
    }
  }

  private txsAfterHeal = 0;

  // ------------------------------------------------------------------ run

  async run(): Promise<SimResult> {
    const s = this.s;
    const end = s.chaosMs + s.settleMs;
    const lastTx = end - 5_000;
    for (const n of this.nodes) this.boot(n);
    for (const f of s.faults) {
      if (f.kind === 'crash') {
        this.sched.at(f.at, () => this.crash(this.nodes[f.node]!, f.downFor, f.wipe ?? false));
      } else {
        this.sched.at(f.at, () => {
          if (this.healed) return;
          f.groups.forEach((g, gi) => {
            for (const i of g) this.partition[i] = gi + 1;
          });
          this.log(`partition ${f.groups.map((g) => g.join('')).join('|')}`);
          this.sched.after(f.duration, () => {
            this.partition.fill(0);
            this.log('partition healed');
          });
        });
      }
    }
    let healHeight = 0;
    this.sched.at(s.chaosMs, () => {
      this.healed = true;
      this.partition.fill(0);
      this.drop = s.dropAfterHeal;
      for (const n of this.nodes) if (!n.alive) this.boot(n);
      healHeight = Math.max(...this.nodes.map((n) => n.chain.blocks.length));
      this.log(`heal at height ${healHeight}`);
    });
    const txRng = this.rng.fork();
    const scheduleTx = (at: number) => {
      if (at >= lastTx || (s.txLimit !== undefined && this.nextTx > s.txLimit)) return;
      this.sched.at(at, () => {
        const id = this.nextTx++;
        this.submitted.set(id, this.sched.now);
        if (this.healed) this.txsAfterHeal++;
        this.submitTx(id);
        scheduleTx(this.sched.now + txRng.range(s.txGapMin, s.txGapMax));
      });
    };
    scheduleTx(txRng.range(0, 100));

    while (this.sched.step(end)) {
      await this.settle();
      if (this.violations.length > 0) break;
    }
    await this.settle();
    if (this.violations.length === 0) this.finalChecks(healHeight);
    return {
      seed: s.seed,
      profile: s.profile,
      ok: this.violations.length === 0,
      violations: this.violations,
      heights: this.nodes.map((n) => n.chain.blocks.length),
      maxRound: this.maxRound,
      txsSubmitted: this.submitted.size,
      txsDecided: this.txHeight.size,
      signatures: this.signatures,
      simTimeMs: this.sched.now,
      events: this.sched.executed,
      crashes: this.crashes,
      syncs: this.syncs,
      evidence: this.evidence,
      trace: this.trace,
    };
  }

  /** Lets every node finish the (microtask-only) work the last event caused. */
  private async settle(): Promise<void> {
    for (;;) {
      const pending = this.inflight;
      this.inflight = [];
      if (pending.length > 0) await Promise.all(pending);
      let busy = false;
      for (const n of this.nodes) {
        if (n.driver?.busy) {
          busy = true;
          await n.driver.idle();
        }
      }
      if (!busy && this.inflight.length === 0) return;
    }
  }
}

function describe(m: SignedMessage): string {
  const kind =
    m.type === MsgType.Proposal ? 'proposal' : m.type === MsgType.Prevote ? 'prevote' : 'precommit';
  return `${kind} h=${m.height} r=${m.round} ${m.valueHash.slice(0, 10)}`;
}

export async function runSimulation(s: Scenario, tracing = false): Promise<SimResult> {
  return new Simulation(s, tracing).run();
}
