import type { ConsensusDriver, DriverEnv, Logger } from '../consensus/driver.ts';
import type { Address } from '../consensus/types.ts';
import type { P2PNetwork, SyncBlock } from './network.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface LinkOptions {
  /** Decided blocks this node can serve to lagging peers. */
  blocks: (from: bigint, max: number) => Promise<SyncBlock[]>;
  /** Minimum gap between two catch-up requests. */
  syncIntervalMs?: number;
  syncBatch?: number;
  log?: Logger;
  /** Validator address of each validator's libp2p peer id: connection losses become liveness hints. */
  validatorOfPeer?: ReadonlyMap<string, Address>;
}

/**
 * Connects a ConsensusDriver to the validator network: gossip in and out, real timers, status
 * hints, and catch-up (a node that sees peers ahead asks for decided blocks and feeds them to
 * its driver, which checks each certificate and value before committing).
 */
export class ConsensusLink {
  private driver: ConsensusDriver | null = null;
  private syncing = false;
  private lastSync = 0;
  private readonly log: Logger;
  stats = { syncRounds: 0, syncedBlocks: 0 };
  private readonly peers = new Map<string, { height: bigint; round: number; at: number }>();

  constructor(
    readonly net: P2PNetwork,
    private readonly opts: LinkOptions & { self?: Uint8Array },
  ) {
    this.log = opts.log ?? silent;
    net.syncProvider = opts.blocks;
  }

  env(): DriverEnv {
    return {
      setTimer: (ms, fn) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
      broadcast: (msg) => this.net.publishConsensus(msg),
      broadcastStatus: (height, round) => this.net.publishStatus(height, round, this.opts.self),
    };
  }

  attach(driver: ConsensusDriver): void {
    this.driver = driver;
    this.net.onConsensus = (msg) => driver.deliver(msg);
    this.net.onStatus = (height, round, from) => {
      this.peers.set(from, { height, round, at: Date.now() });
      if (driver.core.started && height > driver.core.height) this.syncNeeded();
    };
    const validatorOf = this.opts.validatorOfPeer;
    if (validatorOf) {
      this.net.onPeerConnection = (peerId, connected) => {
        const v = validatorOf.get(peerId);
        if (v) driver.peerStatus(v, connected);
      };
    }
  }

  /** Last status hint from each peer: the height it is working on. */
  peerStatus(): { validator: string; height: string; round: number; ageMs: number }[] {
    const now = Date.now();
    return [...this.peers].map(([validator, s]) => ({
      validator,
      height: s.height.toString(),
      round: s.round,
      ageMs: now - s.at,
    }));
  }

  detach(): void {
    this.driver = null;
    this.net.onConsensus = null;
    this.net.onStatus = null;
    this.net.onPeerConnection = null;
  }

  /** Called from the driver's onSyncNeeded hook and on status hints from peers ahead of us. */
  syncNeeded(): void {
    const d = this.driver;
    if (
      !d ||
      !d.core.started ||
      this.syncing ||
      Date.now() - this.lastSync < (this.opts.syncIntervalMs ?? 300)
    )
      return;
    this.syncing = true;
    this.lastSync = Date.now();
    this.catchUp(d)
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'catch-up failed'))
      .finally(() => {
        this.syncing = false;
      });
  }

  private async catchUp(d: ConsensusDriver): Promise<void> {
    const batch = this.opts.syncBatch ?? 32;
    for (;;) {
      if (this.driver !== d || d.isStopped) return;
      const from = d.core.height;
      const blocks = await this.net.requestBlocks(from, batch);
      this.stats.syncRounds++;
      const usable = blocks.filter((b) => b.height >= from).sort((a, b) => (a.height < b.height ? -1 : 1));
      if (usable.length === 0) return;
      for (const b of usable) d.deliverDecided(b.height, b.value, b.certificate);
      await d.idle();
      this.stats.syncedBlocks += Number(d.core.height - from);
      this.log.info({ from: from.toString(), to: (d.core.height - 1n).toString() }, 'caught up from peers');
      if (d.core.height === from || usable.length < batch) return;
    }
  }
}
