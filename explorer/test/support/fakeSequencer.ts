/**
 * Test double of the sequencer (module tests of the explorer only): a chain of blocks built
 * with core's real `executeBlock`, served over the JSON-RPC and WebSocket interface of
 * docs/RPC.md by one or more "nodes" that can be stopped, started and made to lag.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import {
  type ChainParams,
  type ExecutedBlock,
  GENESIS_PARENT_HASH,
  type Hex,
  L2State,
  type Tx,
  executeBlock,
  headerToJson,
  txHash,
  txToJson,
} from '@tessera/core';
import { keccak256, toHex } from 'viem';
import { type WebSocket, WebSocketServer } from 'ws';

export const SLOTS = 8;

export type BlockJson = {
  hash: Hex;
  header: ReturnType<typeof headerToJson>;
  txHashes: Hex[];
  txs: Record<string, unknown>[];
  certificate: {
    height: string;
    round: number;
    valueHash: Hex;
    signatures: { validator: Hex; signature: Hex }[];
  };
};

const VALIDATORS: Hex[] = [1, 2, 3, 4].map((i) => `0x${String(i).repeat(40)}` as Hex);

export class FakeChain {
  readonly state: L2State;
  readonly blocks: BlockJson[] = [];
  readonly executed: ExecutedBlock[] = [];
  readonly txs = new Map<string, { height: number; index: number; json: Record<string, unknown> }>();
  readonly pending = new Map<string, Record<string, unknown>>();
  private readonly listeners = new Set<(b: BlockJson) => void>();

  constructor(readonly params: ChainParams) {
    this.state = new L2State(params);
  }

  get height(): number {
    return this.blocks.length;
  }

  onBlock(fn: (b: BlockJson) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Execute `txs` as the next block (heights start at 1, parent of block 1 is the genesis hash).
   * `extraRaw` appends transaction JSON core cannot execute yet (future types) to what is served.
   */
  produce(txs: Tx[], extraRaw: Record<string, unknown>[] = []): BlockJson {
    const height = BigInt(this.blocks.length + 1);
    const parentHash = this.blocks.at(-1)?.hash ?? GENESIS_PARENT_HASH;
    const ex = executeBlock(this.state, txs, {
      height,
      parentHash,
      timestamp: BigInt(Date.now()),
      slots: SLOTS,
    });
    const jsons = [...txs.map((t) => txToJson(t) as Record<string, unknown>), ...extraRaw];
    const hashes = [...txs.map(txHash), ...extraRaw.map((r) => keccak256(toHex(JSON.stringify(r))))];
    const block: BlockJson = {
      hash: ex.hash,
      header: headerToJson(ex.block.header),
      txHashes: hashes,
      txs: jsons,
      certificate: {
        height: height.toString(),
        round: 0,
        valueHash: ex.hash,
        signatures: VALIDATORS.slice(0, 3).map((v) => ({
          validator: v,
          signature: `0x${'ab'.repeat(65)}` as Hex,
        })),
      },
    };
    this.blocks.push(block);
    this.executed.push(ex);
    hashes.forEach((h, i) => {
      this.txs.set(h, { height: Number(height), index: i, json: jsons[i]! });
      this.pending.delete(h);
    });
    for (const fn of this.listeners) fn(block);
    return block;
  }
}

type NodeOptions = { name: string; validator?: Hex };

export class FakeNode {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<Socket>();
  private unsubscribe: (() => void) | undefined;
  port = 0;
  /** Serve at most this many blocks (a node that is behind); undefined = all. */
  servedHeight: number | undefined;
  /** Replace a served block (a node answering garbage). */
  tamper: ((b: BlockJson) => BlockJson) | undefined;
  calls = 0;
  /** Heights asked for with tessera_getBlockByNumber, in order. */
  readonly requested: number[] = [];

  constructor(
    readonly chain: FakeChain,
    readonly options: NodeOptions,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private head(): number {
    return Math.min(this.chain.height, this.servedHeight ?? Number.POSITIVE_INFINITY);
  }

  private block(h: number): BlockJson | null {
    if (h < 1 || h > this.head()) return null;
    const b = this.chain.blocks[h - 1]!;
    return this.tamper ? this.tamper(b) : b;
  }

  private handle(method: string, params: unknown[]): unknown {
    switch (method) {
      case 'tessera_chainId':
        return this.chain.params.chainId.toString();
      case 'tessera_blockNumber':
        return String(this.head());
      case 'tessera_getBlockByNumber':
        this.requested.push(Number(params[0]));
        return this.block(Number(params[0]));
      case 'tessera_getBlockByHash': {
        const i = this.chain.blocks.findIndex((b) => b.hash === params[0]);
        return i < 0 ? null : this.block(i + 1);
      }
      case 'tessera_getTransaction': {
        const hash = String(params[0]).toLowerCase();
        const pending = this.chain.pending.get(hash);
        if (pending) return { hash, tx: pending, status: 'pending' };
        const t = this.chain.txs.get(hash);
        return t
          ? { hash, tx: t.json, status: 'committed', blockHeight: String(t.height), index: t.index }
          : null;
      }
      case 'tessera_status':
        return {
          node: this.options.name,
          validator: this.options.validator ?? VALIDATORS[0],
          height: String(this.head()),
          round: 0,
          step: 'propose',
          peers: 3,
          mempool: this.chain.pending.size,
          syncing: false,
        };
      default:
        throw Object.assign(new Error(`unknown method ${method}`), { rpcCode: -32601 });
    }
  }

  async start(port = this.port): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method !== 'POST' || req.url !== '/rpc') {
        res.writeHead(404).end();
        return;
      }
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        this.calls++;
        const answer = (msg: { id?: unknown; method?: string; params?: unknown[] }) => {
          try {
            return {
              jsonrpc: '2.0',
              id: msg.id ?? null,
              result: this.handle(String(msg.method), msg.params ?? []),
            };
          } catch (err) {
            return {
              jsonrpc: '2.0',
              id: msg.id ?? null,
              error: {
                code: (err as { rpcCode?: number }).rpcCode ?? -32603,
                message: (err as Error).message,
              },
            };
          }
        };
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(
              JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }),
            );
          return;
        }
        const out = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed as never);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      });
    });
    const wss = new WebSocketServer({ noServer: true });
    const subs = new Map<WebSocket, number>();
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { id: number; method: string; params: unknown[] };
        if (msg.method === 'tessera_subscribe' && msg.params[0] === 'newBlocks') {
          const id = subs.size + 1;
          subs.set(ws, id);
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: id }));
        }
      });
      ws.on('close', () => subs.delete(ws));
    });
    this.unsubscribe = this.chain.onBlock((b) => {
      if (this.servedHeight !== undefined) return;
      for (const [ws, id] of subs) {
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'tessera_subscription',
            params: { subscription: id, result: { height: b.header.height, hash: b.hash } },
          }),
        );
      }
    });
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/ws') return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
    return this.url;
  }

  /** Go down hard: listening socket, HTTP keep-alives and WebSockets all closed. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
