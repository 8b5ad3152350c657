import { createHash } from 'node:crypto';
import { type GossipSub, gossipsub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { keccak_256 } from '@noble/hashes/sha3';
import { type Libp2p, createLibp2p } from 'libp2p';
import {
  Reader,
  Writer,
  readCertificate,
  readSignedMessage,
  writeCertificate,
  writeSignedMessage,
} from '../consensus/codec.ts';
import { toHex } from '../consensus/crypto.ts';
import type { Logger } from '../consensus/driver.ts';
import { MalformedMessageError } from '../consensus/errors.ts';
import type { CommitCertificate, SignedMessage } from '../consensus/types.ts';

export interface PeerInfo {
  /** Base58 peer id. */
  peerId: string;
  /** Dialable multiaddr without the /p2p suffix, e.g. /ip4/127.0.0.1/tcp/9100. */
  addr: string;
}

export interface SyncBlock {
  height: bigint;
  value: Uint8Array;
  certificate: CommitCertificate;
}

export interface P2PConfig {
  privateKey: PrivateKey;
  /** Multiaddr to listen on, e.g. /ip4/127.0.0.1/tcp/9100. */
  listen: string;
  /** The other validators: gossipsub direct peers, kept connected. */
  peers: PeerInfo[];
  chainId: bigint;
  log?: Logger;
  /** Sync responses are capped to this many blocks and bytes. */
  maxSyncBlocks?: number;
  maxSyncBytes?: number;
}

const TAG_MESSAGE = 1;
const TAG_STATUS = 2;
const MAX_SYNC_REQUEST = 64;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Devnet only: a node's libp2p identity from a public seed, so peer ids are known in advance. */
export async function devnetPeerKey(seed: string, index: number): Promise<PrivateKey> {
  const key = await generateKeyPairFromSeed(
    'Ed25519',
    keccak_256(new TextEncoder().encode(`${seed}/p2p/${index}`)),
  );
  return key as unknown as PrivateKey;
}

export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

export function topicsFor(chainId: bigint) {
  return {
    consensus: `/tessera/${chainId}/consensus/1`,
    tx: `/tessera/${chainId}/tx/1`,
  };
}

export function syncProtocol(chainId: bigint): string {
  return `/tessera/${chainId}/sync/1.0.0`;
}

export function encodeSyncBlocks(blocks: SyncBlock[]): Uint8Array {
  const w = new Writer(1024);
  w.u32(blocks.length);
  for (const b of blocks) {
    w.u64(b.height).varBytes(b.value);
    writeCertificate(w, b.certificate);
  }
  return w.finish();
}

export function decodeSyncBlocks(bytes: Uint8Array, maxBlocks: number): SyncBlock[] {
  const r = new Reader(bytes);
  const n = r.u32();
  if (n > maxBlocks) throw new MalformedMessageError(`sync response with ${n} blocks`);
  const out: SyncBlock[] = [];
  for (let i = 0; i < n; i++) {
    const height = r.u64();
    const value = r.varBytes(16 * 1024 * 1024);
    out.push({ height, value, certificate: readCertificate(r) });
  }
  r.end();
  return out;
}

async function readAll(stream: Stream, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream.source) {
    const bytes = chunk.subarray();
    size += bytes.length;
    if (size > limit) throw new MalformedMessageError(`stream exceeds ${limit} bytes`);
    chunks.push(bytes);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

type Services = { pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>> };

/**
 * The validator network: libp2p over TCP with noise and yamux; gossipsub topics for consensus
 * messages (plus status hints) and transactions, the other validators as direct peers; and a
 * request/response stream protocol that serves decided blocks with their certificates for
 * catch-up.
 */
export class P2PNetwork {
  onConsensus: ((msg: SignedMessage, from: string) => void) | null = null;
  onStatus: ((height: bigint, round: number, from: string) => void) | null = null;
  onTx: ((payload: Uint8Array, from: string) => void) | null = null;
  /** A peer's first connection opened (true) or its last one closed (false). */
  onPeerConnection: ((peerId: string, connected: boolean) => void) | null = null;
  /** Serves blocks [from, from+max) that this node has decided. */
  syncProvider: ((from: bigint, max: number) => Promise<SyncBlock[]>) | null = null;
  readonly topics: { consensus: string; tx: string };
  readonly stats = {
    published: 0,
    publishedBytes: 0,
    received: 0,
    receivedBytes: 0,
    malformed: 0,
    syncServed: 0,
    syncRequested: 0,
  };
  private readonly log: Logger;
  private redial: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    readonly node: Libp2p<Services>,
    private readonly cfg: P2PConfig,
  ) {
    this.log = cfg.log ?? silent;
    this.topics = topicsFor(cfg.chainId);
  }

  static async create(cfg: P2PConfig): Promise<P2PNetwork> {
    const direct = cfg.peers.map((p) => ({ id: peerIdFromString(p.peerId), addrs: [multiaddr(p.addr)] }));
    const node = await createLibp2p({
      privateKey: cfg.privateKey,
      addresses: { listen: [cfg.listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 64 },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          directPeers: direct,
          directConnectTicks: 2,
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          floodPublish: true,
          heartbeatInterval: 500,
          // Blocks of 500 transactions travel as consensus proposals.
          maxInboundDataLength: 8 * 1024 * 1024,
          // Payloads carry their own signatures (votes, proposals, user transactions) and links are
          // authenticated by noise, so a second ed25519 signature per pubsub message is pure cost.
          // Ids are content hashes; consensus envelopes carry a nonce so re-broadcasts are new.
          globalSignaturePolicy: 'StrictNoSign',
          // Native SHA-256: proposals are ~64 KB and every copy of every message is hashed.
          msgIdFn: (msg) => createHash('sha256').update(msg.data).digest(),
        }),
      },
    });
    const net = new P2PNetwork(node as unknown as Libp2p<Services>, cfg);
    await net.start();
    return net;
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  private async start(): Promise<void> {
    const pubsub = this.node.services.pubsub;
    pubsub.subscribe(this.topics.consensus);
    pubsub.subscribe(this.topics.tx);
    pubsub.addEventListener('message', (evt) => {
      const m = evt.detail;
      const from = m.type === 'signed' ? m.from.toString() : '';
      this.stats.received++;
      this.stats.receivedBytes += m.data.length;
      try {
        if (m.topic === this.topics.consensus) this.handleConsensus(m.data, from);
        else if (m.topic === this.topics.tx) this.onTx?.(m.data, from);
      } catch (err) {
        this.stats.malformed++;
        this.log.debug({ err: (err as Error).message, from }, 'dropping malformed gossip');
      }
    });
    this.node.addEventListener('peer:connect', (evt) => this.onPeerConnection?.(evt.detail.toString(), true));
    this.node.addEventListener('peer:disconnect', (evt) =>
      this.onPeerConnection?.(evt.detail.toString(), false),
    );
    await this.node.handle(
      syncProtocol(this.cfg.chainId),
      ({ stream }) => {
        this.serveSync(stream).catch((err) => {
          this.log.debug({ err: (err as Error).message }, 'sync request failed');
          stream.abort(err as Error);
        });
      },
      { maxInboundStreams: 16 },
    );
    for (const p of this.cfg.peers) {
      await this.node.peerStore.merge(peerIdFromString(p.peerId), { multiaddrs: [multiaddr(p.addr)] });
    }
    this.dialMissing();
    this.redial = setInterval(() => this.dialMissing(), 1_000);
  }

  private dialMissing(): void {
    if (this.stopped) return;
    const connected = new Set(this.node.getPeers().map((p) => p.toString()));
    for (const p of this.cfg.peers) {
      if (connected.has(p.peerId)) continue;
      this.node.dial(peerIdFromString(p.peerId), { signal: AbortSignal.timeout(2_000) }).catch(() => {});
    }
  }

  private handleConsensus(data: Uint8Array, from: string): void {
    const r = new Reader(data);
    const tag = r.u8();
    r.bytes(8); // nonce
    if (tag === TAG_MESSAGE) {
      const msg = readSignedMessage(r);
      r.end();
      this.onConsensus?.(msg, from);
    } else if (tag === TAG_STATUS) {
      const height = r.u64();
      const round = r.u32();
      const sender = r.remaining() > 0 ? toHex(r.bytes(r.remaining())) : from;
      this.onStatus?.(height, round, sender);
    } else {
      throw new MalformedMessageError(`unknown consensus tag ${tag}`);
    }
  }

  private publish(topic: string, data: Uint8Array): void {
    if (this.stopped) return;
    this.stats.published++;
    this.stats.publishedBytes += data.length;
    this.node.services.pubsub.publish(topic, data).catch((err: Error) => {
      this.log.debug({ err: err.message, topic }, 'publish failed');
    });
  }

  private nonce = BigInt(Date.now()) << 20n;

  publishConsensus(msg: SignedMessage): void {
    const w = new Writer(256);
    w.u8(TAG_MESSAGE).u64(this.nonce++);
    writeSignedMessage(w, msg);
    this.publish(this.topics.consensus, w.finish());
  }

  /** `sender` (an unauthenticated hint, e.g. the validator address) labels the status for peers. */
  publishStatus(height: bigint, round: number, sender?: Uint8Array): void {
    const w = new Writer(48)
      .u8(TAG_STATUS)
      .u64(this.nonce++)
      .u64(height)
      .u32(round);
    if (sender) w.bytes(sender.subarray(0, 32));
    this.publish(this.topics.consensus, w.finish());
  }

  publishTx(payload: Uint8Array): void {
    this.publish(this.topics.tx, payload);
  }

  connectedPeers(): string[] {
    return this.node.getPeers().map((p) => p.toString());
  }

  /** Validators among the connected peers. */
  connectedValidators(): string[] {
    const connected = new Set(this.connectedPeers());
    return this.cfg.peers.map((p) => p.peerId).filter((id) => connected.has(id));
  }

  private async serveSync(stream: Stream): Promise<void> {
    const req = new Reader(await readAll(stream, 64));
    const from = req.u64();
    const max = Math.min(req.u32(), this.cfg.maxSyncBlocks ?? MAX_SYNC_REQUEST);
    req.end();
    let blocks = this.syncProvider ? await this.syncProvider(from, max) : [];
    // Keep responses bounded in bytes as well as in count.
    const cap = this.cfg.maxSyncBytes ?? 32 * 1024 * 1024;
    let size = 0;
    let keep = 0;
    for (const b of blocks) {
      size += b.value.length + 200;
      if (keep > 0 && size > cap) break;
      keep++;
    }
    blocks = blocks.slice(0, keep);
    this.stats.syncServed++;
    await stream.sink([encodeSyncBlocks(blocks)]);
  }

  /** Asks `peer` (or each connected validator in turn) for decided blocks from `from`. */
  async requestBlocks(from: bigint, max: number, peer?: string): Promise<SyncBlock[]> {
    const candidates = peer ? [peer] : this.connectedValidators();
    for (const id of candidates) {
      try {
        this.stats.syncRequested++;
        const stream = await this.node.dialProtocol(
          peerIdFromString(id) as PeerId,
          syncProtocol(this.cfg.chainId),
          {
            signal: AbortSignal.timeout(5_000),
          },
        );
        await stream.sink([new Writer(12).u64(from).u32(Math.min(max, MAX_SYNC_REQUEST)).finish()]);
        const blocks = decodeSyncBlocks(await readAll(stream, 64 * 1024 * 1024), MAX_SYNC_REQUEST);
        if (blocks.length > 0) return blocks;
      } catch (err) {
        this.log.debug({ err: (err as Error).message, peer: id }, 'sync from peer failed');
      }
    }
    return [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.redial) clearInterval(this.redial);
    await this.node.stop();
  }
}
