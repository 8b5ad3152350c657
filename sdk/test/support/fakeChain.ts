// Test double of a sequencer: an in-process core L2State behind the JSON-RPC method shapes of
// docs/RPC.md (including the privacy methods), one block per submitted transaction. Results go
// through a JSON round trip, so the SDK sees exactly the wire forms a real sequencer returns.
import {
  type ChainParams,
  type Hex,
  L2State,
  ProtocolError,
  type Tx,
  TxType,
  accountToJson,
  applyTx,
  chainParams,
  txFromJson,
  txHash,
  txToJson,
} from '@tessera/core';
import { keccak256, toHex } from 'viem';
import { RpcError, TesseraClient } from '../../src/rpcClient.ts';

type Block = { height: bigint; hash: Hex; txHashes: Hex[]; txs: Tx[] };
type Committed = { tx: Tx; height: bigint; index: number; receipt: unknown };

const json = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
const pt = (p: readonly [bigint, bigint]) => [p[0].toString(), p[1].toString()];

export class FakeChain {
  readonly state: L2State;
  readonly blocks: Block[] = [];
  readonly txs = new Map<Hex, Committed>();
  /** Every RPC call made, in order (method and params). */
  readonly calls: { method: string; params: unknown[] }[] = [];
  /** Methods that answer "method not found", as an older sequencer would. */
  readonly disabled = new Set<string>();
  /** Runs before the next submitted transaction is applied (once). */
  beforeNextSend?: () => void;

  constructor(params: ChainParams = chainParams({ tree: { arity: 4, depth: 4 } })) {
    this.state = new L2State(params);
    this.blocks.push({ height: 0n, hash: keccak256(toHex('block-0')), txHashes: [], txs: [] });
  }

  get head(): bigint {
    return this.blocks[this.blocks.length - 1]!.height;
  }

  /** Applies the transactions as one block (all or nothing, like a block of the real chain). */
  produce(txs: Tx[]): { hashes: Hex[]; receipts: unknown[] } {
    const height = this.head + 1n;
    this.state.checkpoint();
    const receipts: unknown[] = [];
    try {
      for (const tx of txs) receipts.push(applyTx(this.state, tx));
    } catch (err) {
      this.state.rollback();
      throw err;
    }
    this.state.release();
    const hashes = txs.map(txHash);
    txs.forEach((tx, index) => this.txs.set(hashes[index]!, { tx, height, index, receipt: receipts[index] }));
    this.blocks.push({ height, hash: keccak256(toHex(`block-${height}`)), txHashes: hashes, txs });
    return { hashes, receipts };
  }

  deposit(to: number, amount: bigint, assetId = 1): void {
    this.produce([
      {
        type: TxType.DEPOSIT,
        queueIndex: this.state.nextDepositIndex,
        depositor: '0x00000000000000000000000000000000000000d0',
        to,
        assetId,
        amount,
      },
    ]);
  }

  client(): TesseraClient {
    return new FakeClient(this);
  }

  async rpc(method: string, params: unknown[]): Promise<unknown> {
    this.calls.push({ method, params });
    if (this.disabled.has(method)) throw new RpcError(-32601, `unknown method ${method}`);
    const s = this.state;
    switch (method) {
      case 'tessera_chainId':
        return s.chainId.toString();
      case 'tessera_blockNumber':
        return this.head.toString();
      case 'tessera_sendTransaction': {
        const tx = txFromJson(params[0]);
        const hook = this.beforeNextSend;
        this.beforeNextSend = undefined;
        hook?.();
        try {
          const { hashes, receipts } = this.produce([tx]);
          return {
            hash: hashes[0],
            status: 'committed',
            blockHeight: this.head,
            index: 0,
            receipt: receipts[0],
          };
        } catch (err) {
          if (err instanceof ProtocolError) throw new RpcError(-32000, err.message, { code: err.code });
          throw err;
        }
      }
      case 'tessera_getTransaction': {
        const hash = String(params[0]).toLowerCase() as Hex;
        const c = this.txs.get(hash);
        return c
          ? { hash, tx: txToJson(c.tx), status: 'committed', blockHeight: c.height, index: c.index }
          : null;
      }
      case 'tessera_getTransactionReceipt': {
        const hash = String(params[0]).toLowerCase() as Hex;
        const c = this.txs.get(hash);
        return c
          ? { hash, status: 'committed', blockHeight: c.height, index: c.index, receipt: c.receipt }
          : null;
      }
      case 'tessera_getAccount': {
        const a = s.account(params[0] as number);
        return a ? accountToJson(a) : null;
      }
      case 'tessera_getAccountsByPublicKey': {
        const [x, y] = params[0] as [string, string];
        return [...s.accounts.values()]
          .filter((a) => a.publicKey[0].toString() === x && a.publicKey[1].toString() === y)
          .map(accountToJson);
      }
      case 'tessera_getBlockByNumber': {
        const b = this.blocks[Number(params[0])];
        if (!b) return null;
        return {
          hash: b.hash,
          header: { height: b.height },
          txHashes: b.txHashes,
          ...(params[1] ? { txs: b.txs.map(txToJson) } : {}),
          certificate: null,
        };
      }
      case 'tessera_getNotes': {
        const [from, count] = params as [number, number];
        if (!Number.isInteger(count) || count < 1 || count > 1000) throw new RpcError(-32602, 'bad count');
        return {
          total: s.notes.length,
          notes: s.notes.slice(from, from + count).map((n) => ({
            index: n.index,
            oneTimeKey: pt(n.oneTimeKey),
            txPublicKey: pt(n.txPublicKey),
            assetId: n.assetId,
            amount: n.amount,
            commitment: n.commitment,
            origin: n.origin,
          })),
        };
      }
      case 'tessera_getObserverKey': {
        const k = s.currentObserverKey();
        return k ? { epoch: k.epoch, key: pt(k.key) } : null;
      }
      case 'tessera_getPrivacyParams': {
        const p = s.params.privacy!;
        const denominations: Record<string, string[]> = {};
        for (const a of s.params.assets)
          if (a.denominations?.length) denominations[String(a.assetId)] = a.denominations.map(String);
        return {
          minRingSize: p.minRingSize,
          maxRingSize: p.maxRingSize,
          denominations,
          observerKeys: s.observerKeys.map((k) => ({ epoch: k.epoch, key: pt(k.key) })),
        };
      }
      case 'tessera_getKeyImage': {
        const r = s.keyImages.get(BigInt(params[0] as string));
        return r ? { spent: true, txHash: r.txHash } : { spent: false };
      }
      default:
        throw new RpcError(-32601, `unknown method ${method}`);
    }
  }

  /** Calls of one method so far. */
  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

class FakeClient extends TesseraClient {
  constructor(private readonly chain: FakeChain) {
    super(['fake://sequencer']);
  }

  override async call<T>(method: string, params: unknown[] = []): Promise<T> {
    return json(await this.chain.rpc(method, json(params) as unknown[])) as T;
  }
}
