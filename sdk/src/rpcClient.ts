import { type NoteJson, type Point, type Tx, type TxJson, txToJson } from '@tessera/core';

/** A JSON-RPC error returned by a sequencer, with the protocol error code when there is one. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: { code?: string; retriable?: boolean },
  ) {
    super(`${message} (rpc ${rpcCode}${data?.code ? `, ${data.code}` : ''})`);
  }
}

/**
 * Typed client of the sequencer JSON-RPC (docs/RPC.md). Given several endpoints it fails over to
 * the next one on network errors, so a wallet keeps working while one sequencer is down.
 */
export class TesseraClient {
  private next = 0;
  private id = 0;

  constructor(
    readonly endpoints: string[],
    private readonly timeoutMs = 15_000,
  ) {
    if (endpoints.length === 0) throw new Error('TesseraClient needs at least one endpoint');
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const url = this.endpoints[(this.next + attempt) % this.endpoints.length]!;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        lastError = err;
        continue; // endpoint unreachable: try the next one
      }
      this.next = (this.next + attempt) % this.endpoints.length;
      const body = (await response.json()) as {
        result?: T;
        error?: { code: number; message: string; data?: never };
      };
      if (body.error) throw new RpcError(body.error.code, body.error.message, body.error.data);
      return body.result as T;
    }
    throw new Error(
      `no sequencer reachable (${this.endpoints.join(', ')}): ${(lastError as Error)?.message}`,
    );
  }

  chainId(): Promise<bigint> {
    return this.call<string>('tessera_chainId').then(BigInt);
  }

  sendTransaction(tx: Tx, options: { wait?: boolean } = {}) {
    return this.call<{ hash: `0x${string}`; status?: string; blockHeight?: string; receipt?: unknown }>(
      'tessera_sendTransaction',
      [txToJson(tx), options],
    );
  }

  getReceipt(hash: string) {
    return this.call<{ hash: string; status: string; blockHeight: string; receipt: unknown } | null>(
      'tessera_getTransactionReceipt',
      [hash],
    );
  }

  getAccount(index: number) {
    return this.call<AccountView | null>('tessera_getAccount', [index]);
  }

  getAccountsByEthAddress(address: string) {
    return this.call<AccountView[]>('tessera_getAccountsByEthAddress', [address]);
  }

  blockNumber(): Promise<bigint> {
    return this.call<string>('tessera_blockNumber').then(BigInt);
  }

  getBlock(height: bigint | number, includeTxs = false) {
    return this.call<BlockView | null>('tessera_getBlockByNumber', [height.toString(), includeTxs]);
  }

  getTransaction(hash: string) {
    return this.call<TransactionView | null>('tessera_getTransaction', [hash]);
  }

  // Privacy (docs/PRIVACY.md): notes, observer keys, spent key images. Committed state only.

  /** Notes `fromIndex .. fromIndex + count - 1` (count 1..1000) and the number of notes. */
  getNotes(fromIndex: number, count: number) {
    return this.call<{ total: number; notes: NoteView[] }>('tessera_getNotes', [fromIndex, count]);
  }

  /** The observer key in force (privacy transactions must encrypt to it), or null. */
  getObserverKey() {
    return this.call<ObserverKeyView | null>('tessera_getObserverKey');
  }

  getPrivacyParams() {
    return this.call<PrivacyParamsView>('tessera_getPrivacyParams');
  }

  /** Whether the key-image tag H(Ix, Iy) is spent, and by which transaction. */
  getKeyImage(tag: bigint) {
    return this.call<KeyImageView>('tessera_getKeyImage', [tag.toString()]);
  }

  /** Accounts registered with this L2 public key (one per asset). */
  getAccountsByPublicKey(publicKey: Point) {
    return this.call<AccountView[]>('tessera_getAccountsByPublicKey', [
      [publicKey[0].toString(), publicKey[1].toString()],
    ]);
  }
}

/** JSON-RPC "method not found": the sequencer does not offer the method. */
export const RPC_METHOD_NOT_FOUND = -32601;

export type AccountView = {
  index: number;
  publicKey: [string, string];
  ethAddress: string;
  assetId: number;
  nonce: string;
  accountType: number;
  kycLevel: number;
  flags: number;
  balance: string;
};

export type TransactionView = {
  hash: `0x${string}`;
  tx: TxJson | null;
  status: string;
  blockHeight?: string;
  index?: number;
  error?: { code: string; message: string };
};

export type BlockView = {
  hash: `0x${string}`;
  header: unknown;
  txHashes: `0x${string}`[];
  txs?: TxJson[];
  certificate: unknown;
};

/** A note as `tessera_getNotes` returns it (decimal strings for field elements and amounts). */
export type NoteView = NoteJson;

export type ObserverKeyView = { epoch: string; key: [string, string] };

export type PrivacyParamsView = {
  minRingSize: number;
  maxRingSize: number;
  /** Note values per asset id. */
  denominations: Record<string, string[]>;
  /** Every observer key so far, by epoch. */
  observerKeys: ObserverKeyView[];
};

export type KeyImageView = { spent: boolean; txHash?: `0x${string}` };
