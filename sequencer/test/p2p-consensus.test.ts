import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tessera/core/net/freePort';
import { RocksKV } from '@tessera/core/storage/rocksKV';
import { afterAll, describe, expect, it } from 'vitest';
import { addressOfPrivateKey, devValidatorKey, keccak, verifyCertificate } from '../src/consensus/crypto.ts';
import { ConsensusDriver } from '../src/consensus/driver.ts';
import { KVConsensusStore } from '../src/consensus/kv-store.ts';
import { PrivValidator } from '../src/consensus/signer.ts';
import type { CommitCertificate, ConsensusApp, Hex } from '../src/consensus/types.ts';
import { ConsensusLink } from '../src/p2p/consensus-link.ts';
import { P2PNetwork, type SyncBlock, devnetPeerKey, peerIdOf } from '../src/p2p/network.ts';

const chainId = 99n;
const SEED = 'p2p-test';
const keys = [0, 1, 2, 3].map((i) => devValidatorKey(SEED, i));
const validators = keys.map(addressOfPrivateKey);

interface Node {
  i: number;
  net: P2PNetwork;
  link: ConsensusLink;
  kv: RocksKV;
  driver: ConsensusDriver;
  chain: SyncBlock[];
  target: { height: number };
}

function makeApp(n: { i: number; chain: SyncBlock[]; target: { height: number } }): ConsensusApp {
  return {
    async buildProposal(height) {
      if (n.chain.length >= n.target.height) return null;
      const value = new TextEncoder().encode(`block ${height} by ${n.i}`);
      return { value, hash: keccak(value) };
    },
    async validateProposal(height, value) {
      const text = new TextDecoder().decode(value);
      return text.startsWith(`block ${height} by `) && BigInt(n.chain.length) + 1n === height
        ? keccak(value)
        : null;
    },
    async commit(height, value, certificate: CommitCertificate) {
      if (BigInt(n.chain.length) + 1n !== height)
        throw new Error(`node ${n.i} out of order commit ${height}`);
      n.chain.push({ height, value, certificate });
    },
  };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dirs: string[] = [];
const nodes: Node[] = [];

function startDriver(n: Omit<Node, 'driver'> & { driver?: ConsensusDriver }): ConsensusDriver {
  const store = new KVConsensusStore(n.kv);
  const driver = new ConsensusDriver({
    validators,
    chainId,
    app: makeApp(n),
    store,
    signer: new PrivValidator(keys[n.i]!, chainId, store),
    env: n.link.env(),
    timeouts: { propose: 800, prevote: 400, precommit: 400, delta: 200, max: 2_000 },
    rebroadcastMs: 300,
    hooks: {
      onSyncNeeded: () => n.link.syncNeeded(),
      onDecide: () => {
        if (n.chain.length < n.target.height) driver.notifyValueAvailable();
      },
    },
  });
  n.link.attach(driver);
  return driver;
}

afterAll(async () => {
  for (const n of nodes) {
    n.driver.stop();
    await n.net.stop();
    await n.kv.close();
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('consensus over real libp2p (TCP, noise, yamux, gossipsub)', () => {
  it('four nodes decide the same blocks, and a stopped node catches up through the sync protocol', async () => {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const peerKeys = await Promise.all([0, 1, 2, 3].map((i) => devnetPeerKey(SEED, i)));
    const infos = peerKeys.map((k, i) => ({ peerId: peerIdOf(k), addr: `/ip4/127.0.0.1/tcp/${ports[i]}` }));
    const target = { height: 4 };
    for (let i = 0; i < 4; i++) {
      const dir = await mkdtemp(join(tmpdir(), `tessera-p2p-${i}-`));
      dirs.push(dir);
      const kv = await RocksKV.open(dir);
      const net = await P2PNetwork.create({
        privateKey: peerKeys[i]!,
        listen: infos[i]!.addr,
        peers: infos.filter((_, j) => j !== i),
        chainId,
      });
      expect(net.peerId).toBe(infos[i]!.peerId);
      const chain: SyncBlock[] = [];
      const link = new ConsensusLink(net, {
        blocks: async (from, max) => chain.filter((b) => b.height >= from).slice(0, max),
      });
      const partial = { i, net, link, kv, chain, target };
      nodes.push({ ...partial, driver: startDriver(partial) });
    }
    await waitFor(() => nodes.every((n) => n.net.connectedValidators().length === 3), 15_000, 'full mesh');
    for (const n of nodes) await n.driver.start(1n);
    for (const n of nodes) n.driver.notifyValueAvailable();
    await waitFor(() => nodes.every((n) => n.chain.length >= 4), 30_000, '4 heights everywhere');

    const hashes = (n: Node) => n.chain.slice(0, 4).map((b) => keccak(b.value));
    for (const n of nodes) {
      expect(hashes(n)).toEqual(hashes(nodes[0]!));
      for (const b of n.chain) {
        expect(verifyCertificate(b.certificate, validators, chainId)).toBe(true);
        expect(b.certificate.valueHash).toBe(keccak(b.value) as Hex);
      }
    }

    // Node 3 stops; three validators are a quorum and keep deciding.
    const lag = nodes[3]!;
    lag.driver.stop();
    lag.link.detach();
    target.height = 7;
    for (const n of nodes.slice(0, 3)) n.driver.notifyValueAvailable();
    await waitFor(
      () => nodes.slice(0, 3).every((n) => n.chain.length >= 7),
      30_000,
      '3 nodes reach height 7',
    );
    expect(lag.chain.length).toBe(4);

    // Back with its RocksDB WAL: status hints show it is behind, it syncs blocks 5..7 and verifies them.
    lag.driver = startDriver(lag);
    await lag.driver.start(BigInt(lag.chain.length) + 1n);
    await waitFor(() => lag.chain.length >= 7, 20_000, 'lagging node to catch up');
    await waitFor(() => lag.link.stats.syncedBlocks >= 1, 5_000, 'sync stats');
    expect(lag.net.stats.syncRequested).toBeGreaterThanOrEqual(1);
    expect(lag.chain.slice(0, 7).map((b) => keccak(b.value))).toEqual(
      nodes[0]!.chain.slice(0, 7).map((b) => keccak(b.value)),
    );

    // And it takes part again: with the others it decides the next heights.
    target.height = 9;
    for (const n of nodes) n.driver.notifyValueAvailable();
    await waitFor(() => nodes.every((n) => n.chain.length >= 9), 30_000, 'all at height 9');
    expect(nodes.map((n) => keccak(n.chain[8]!.value))).toEqual(
      new Array(4).fill(keccak(nodes[0]!.chain[8]!.value)),
    );
  }, 120_000);
});
