import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import {
  FIELD_MODULUS,
  MalformedError,
  ProtocolError,
  TxType,
  accountToJson,
  headerToJson,
  noteToJson,
  txFromJson,
  txToJson,
} from '@tessera/core';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { WSContext } from 'hono/ws';
import { z } from 'zod';
import type { Hex } from '../consensus/types.ts';
import { MempoolError } from './mempool.ts';
import type { CommittedBlock, SequencerNode, TxOutcome } from './node.ts';
import { observerKeyToJson } from './privacy.ts';
import { blockFromValue, decodeWithHint, parseBlockValue, wireFromTx } from './txwire.ts';

export const RpcErrorCode = {
  PARSE: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  TX_REJECTED: -32000,
  RETRY_LATER: -32001,
  TIMEOUT: -32002,
  RATE_LIMITED: -32005,
  NOT_SUPPORTED: -32006,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcServer {
  port: number;
  close(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function toJson(v: unknown): Json {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

const hash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte 0x-hex hash');
const heightParam = z.union([
  z.literal('latest'),
  z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal height'),
  z.number().int().min(0),
]);

/** A positional params tuple whose trailing `optional` elements may be omitted. */
function tuple<R extends [z.ZodTypeAny, ...z.ZodTypeAny[]], O extends z.ZodTypeAny>(
  required: R,
  optional?: O,
) {
  const full = z.tuple([...required, ...(optional ? [optional] : [])] as unknown as R);
  return optional ? z.union([z.tuple(required), full]) : full;
}

/** tessera_sendTransaction: [tx] or [tx, { wait }] (built once: zod schemas are costly to build). */
const sendTxParams = tuple([z.unknown()], z.object({ wait: z.boolean().optional() }).strict());

function params<T extends z.ZodTypeAny>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw ?? []);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RpcError(
      RpcErrorCode.INVALID_PARAMS,
      `invalid params at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

function outcomeError(o: TxOutcome): RpcError {
  const s = o.status;
  if (s.status === 'expired')
    return new RpcError(RpcErrorCode.TIMEOUT, s.message, { code: s.code, hash: o.hash, retriable: true });
  if (s.status === 'rejected')
    return new RpcError(RpcErrorCode.TX_REJECTED, s.message, { code: s.code, hash: o.hash });
  return new RpcError(RpcErrorCode.INTERNAL, 'unexpected outcome');
}

/**
 * JSON-RPC 2.0 (docs/RPC.md) with hono: POST /rpc (batches, size limit, per-client rate limit),
 * GET /ws subscriptions, GET /health, GET /metrics.
 */
export async function startRpc(node: SequencerNode): Promise<RpcServer> {
  const cfg = node.cfg.rpc;
  const app = new Hono();
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });
  const buckets = new Map<string, { tokens: number; at: number }>();
  const privacyBuckets = new Map<string, { tokens: number; at: number }>();

  const take = (
    map: Map<string, { tokens: number; at: number }>,
    client: string,
    cost: number,
    rate: number,
    burst: number,
  ): boolean => {
    const now = Date.now();
    const b = map.get(client) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    map.set(client, b);
    if (map.size > 10_000) map.delete(map.keys().next().value!);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  };
  const allow = (client: string, cost: number): boolean =>
    take(buckets, client, cost, cfg.ratePerSecond, cfg.burst);
  /** Ring signatures cost milliseconds to verify: a separate, smaller quota per client. */
  const allowRingTx = (client: string): boolean =>
    take(privacyBuckets, client, 1, node.cfg.mempool.privacyRatePerSecond, node.cfg.mempool.privacyBurst);

  // Metrics of the privacy ledger: committed privacy txs by type, double spends refused.
  const onBlock = (b: CommittedBlock) => node.metrics.recordPrivacyTxs(b.txs);
  const onOutcome = (o: TxOutcome) => {
    if (o.status.status === 'rejected' && o.status.code === 'KEY_IMAGE_SPENT')
      node.metrics.doubleSpends.inc({ stage: 'block' });
  };
  node.on('block', onBlock);
  node.on('tx', onOutcome);

  const blockJson = async (height: bigint, includeTxs: boolean) => {
    const b = await node.blockAt(height);
    if (!b) return null;
    const block = blockFromValue(b.value);
    return toJson({
      hash: b.hash,
      header: headerToJson(block.header),
      txHashes: block.hashes,
      ...(includeTxs ? { txs: block.txs.map(txToJson) } : {}),
      certificate: b.certificate,
    });
  };

  const methods: Record<string, (p: unknown, client: string) => Promise<Json> | Json> = {
    tessera_chainId: () => node.cfg.chainId.toString(),
    tessera_blockNumber: () => node.ledger.head.height.toString(),
    tessera_sendTransaction: async (raw, client) => {
      // The common shape [tx] needs no schema (it accepts anything as the transaction).
      const [txJson, opts] = (
        Array.isArray(raw) && raw.length === 1 ? [raw[0], undefined] : params(sendTxParams, raw)
      ) as [unknown, { wait?: boolean } | undefined];
      let wire: ReturnType<typeof wireFromTx>;
      try {
        wire = wireFromTx(txFromJson(txJson));
      } catch (err) {
        if (err instanceof MalformedError)
          throw new RpcError(RpcErrorCode.INVALID_PARAMS, err.message, { code: err.code });
        throw err;
      }
      const ring = wire.tx.type === TxType.PRIVATE_TRANSFER || wire.tx.type === TxType.UNSHIELD;
      if (ring && !node.mempool.has(wire.hash) && !allowRingTx(client)) {
        throw new RpcError(
          RpcErrorCode.RATE_LIMITED,
          `more than ${node.cfg.mempool.privacyRatePerSecond} private transactions per second from this client`,
          { code: 'RATE_LIMITED', retriable: true },
        );
      }
      const done = opts?.wait ? node.waitFor(wire.hash, cfg.waitTimeoutMs) : null;
      try {
        await node.submit(wire);
      } catch (err) {
        if (err instanceof MempoolError) {
          throw new RpcError(
            err.retriable ? RpcErrorCode.RETRY_LATER : RpcErrorCode.TX_REJECTED,
            err.message,
            { code: err.code, retriable: err.retriable },
          );
        }
        if (err instanceof ProtocolError)
          throw new RpcError(RpcErrorCode.TX_REJECTED, err.message, { code: err.code });
        throw err;
      }
      if (!done) return { hash: wire.hash };
      const outcome = await done;
      if (outcome.status.status !== 'committed') throw outcomeError(outcome);
      return toJson({
        hash: wire.hash,
        status: 'committed',
        blockHeight: outcome.status.height,
        blockHash: outcome.status.blockHash,
        index: outcome.status.index,
        receipt: outcome.receipt ?? null,
      });
    },
    tessera_getTransaction: async (raw) => {
      const [hash] = params(z.tuple([hash32]), raw);
      const h = hash.toLowerCase() as Hex;
      const pending = node.mempool.get(h);
      if (pending) return toJson({ hash: h, tx: txToJson(pending.wire.tx), status: 'pending' });
      const o = await node.txStatus(h);
      if (!o) return null;
      if (o.status.status === 'committed') {
        const b = await node.blockAt(o.status.height);
        // Decode only this transaction (points of privacy txs cost a square root each).
        const t = b ? parseBlockValue(b.value).txs[o.status.index] : undefined;
        const tx = t ? decodeWithHint(t.bytes, t.hint) : undefined;
        return toJson({
          hash: h,
          tx: tx ? txToJson(tx) : null,
          status: 'committed',
          blockHeight: o.status.height,
          index: o.status.index,
        });
      }
      const st = o.status;
      if (st.status === 'pending') return toJson({ hash: h, tx: null, status: 'pending' });
      return toJson({ hash: h, tx: null, status: st.status, error: { code: st.code, message: st.message } });
    },
    tessera_getTransactionReceipt: async (raw) => {
      const [hash] = params(z.tuple([hash32]), raw);
      const o = await node.txStatus(hash as Hex);
      if (!o || o.status.status !== 'committed')
        return o ? toJson({ hash: o.hash, status: o.status.status }) : null;
      const receipt = o.receipt ?? (await node.ledger.receipts(o.status.height))?.[o.status.index] ?? null;
      return toJson({
        hash: o.hash,
        status: 'committed',
        blockHeight: o.status.height,
        blockHash: o.status.blockHash,
        index: o.status.index,
        receipt,
      });
    },
    tessera_getAccount: (raw) => {
      const [index] = params(z.tuple([z.number().int().min(0).max(0xffffffff)]), raw);
      const a = node.ledger.committedAccount(index);
      return a ? toJson(accountToJson(a)) : null;
    },
    tessera_getAccountsByEthAddress: (raw) => {
      const [addr] = params(
        z.tuple([z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte address')]),
        raw,
      );
      const out = [];
      for (const a of node.ledger.committedAccounts())
        if (a.ethAddress.toLowerCase() === addr.toLowerCase()) out.push(accountToJson(a));
      return toJson(out);
    },
    tessera_getAccountsByPublicKey: (raw) => {
      const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a decimal field element');
      const [[x, y]] = params(z.tuple([z.tuple([decimal, decimal])]), raw);
      const out = [];
      for (const a of node.ledger.committedAccounts())
        if (a.publicKey[0] === BigInt(x) && a.publicKey[1] === BigInt(y)) out.push(accountToJson(a));
      return toJson(out);
    },
    tessera_getBlockByNumber: async (raw) => {
      const [h, includeTxs] = params(tuple([heightParam], z.boolean()), raw) as unknown as [
        string | number,
        boolean | undefined,
      ];
      const height = h === 'latest' ? node.ledger.head.height : BigInt(h);
      return blockJson(height, includeTxs ?? false);
    },
    tessera_getBlockByHash: async (raw) => {
      const [hash, includeTxs] = params(tuple([hash32], z.boolean()), raw) as unknown as [
        string,
        boolean | undefined,
      ];
      const height = await node.ledger.heightOf(hash as Hex);
      return height === undefined ? null : blockJson(height, includeTxs ?? false);
    },
    tessera_getCertificate: async (raw) => {
      const [h] = params(z.tuple([heightParam]), raw);
      const height = h === 'latest' ? node.ledger.head.height : BigInt(h);
      const c = await node.ledger.certificate(height);
      return c ? toJson(c) : null;
    },
    ...privacyMethods(node),
    tessera_status: () => toJson(node.status()),
    tessera_clusterStatus: () => toJson({ self: node.status(), peers: node.link.peerStatus() }),
  };

  const call = async (req: unknown, client: string): Promise<Json | undefined> => {
    const id =
      typeof req === 'object' && req !== null && 'id' in req ? ((req as { id: unknown }).id as Json) : null;
    const validId = id === null || typeof id === 'string' || typeof id === 'number';
    const r = req as { jsonrpc?: unknown; method?: unknown; params?: unknown };
    if (
      typeof req !== 'object' ||
      req === null ||
      Array.isArray(req) ||
      r.jsonrpc !== '2.0' ||
      typeof r.method !== 'string' ||
      !validId
    ) {
      return {
        jsonrpc: '2.0',
        id: validId ? id : null,
        error: { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid JSON-RPC 2.0 request' },
      };
    }
    const isNotification = !('id' in (req as object));
    const fn = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined;
    try {
      if (!fn) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `unknown method ${r.method.slice(0, 64)}`);
      if (!allow(client, 1)) throw new RpcError(RpcErrorCode.RATE_LIMITED, 'rate limited; slow down');
      node.metrics.rpcRequests.inc({ method: r.method });
      const result = await fn(r.params, client);
      return isNotification ? undefined : { jsonrpc: '2.0', id, result };
    } catch (err) {
      const e =
        err instanceof RpcError
          ? err
          : err instanceof ProtocolError
            ? new RpcError(RpcErrorCode.TX_REJECTED, err.message, { code: err.code })
            : new RpcError(RpcErrorCode.INTERNAL, 'internal error');
      if (!(err instanceof RpcError || err instanceof ProtocolError))
        node.log.error({ err }, 'rpc handler failed');
      return isNotification
        ? undefined
        : {
            jsonrpc: '2.0',
            id,
            error: {
              code: e.code,
              message: e.message,
              ...(e.data !== undefined ? { data: toJson(e.data) } : {}),
            },
          };
    }
  };

  app.post(
    '/rpc',
    bodyLimit({
      maxSize: cfg.maxBodyBytes,
      // The rest of the oversized body is never read: close the connection so it is not reused.
      onError: (c) =>
        c.json(
          {
            jsonrpc: '2.0',
            id: null,
            error: {
              code: RpcErrorCode.INVALID_REQUEST,
              message: `request body exceeds ${cfg.maxBodyBytes} bytes`,
            },
          },
          413,
          { connection: 'close' },
        ),
    }),
    async (c) => {
      const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
        ?.incoming;
      const client = incoming?.socket?.remoteAddress ?? 'unknown';
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({
          jsonrpc: '2.0',
          id: null,
          error: { code: RpcErrorCode.PARSE, message: 'parse error: body is not JSON' },
        });
      }
      if (Array.isArray(body)) {
        if (body.length === 0)
          return c.json({
            jsonrpc: '2.0',
            id: null,
            error: { code: RpcErrorCode.INVALID_REQUEST, message: 'empty batch' },
          });
        if (body.length > cfg.maxBatch) {
          return c.json({
            jsonrpc: '2.0',
            id: null,
            error: {
              code: RpcErrorCode.INVALID_REQUEST,
              message: `batch of ${body.length} exceeds ${cfg.maxBatch}`,
            },
          });
        }
        const results = (await Promise.all(body.map((req) => call(req, client)))).filter(
          (r) => r !== undefined,
        );
        return results.length ? c.json(results) : c.body(null, 204);
      }
      const result = await call(body, client);
      return result === undefined ? c.body(null, 204) : c.json(result);
    },
  );

  app.get('/health', (c) => {
    const s = node.status();
    const healthy = s.peers >= 2 && !s.syncing;
    return c.json({ ok: healthy, ...s }, healthy ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    node.metrics.syncDoubleSpends(node.mempool.stats.doubleSpends);
    const s = node.status();
    node.metrics.peers.set(s.peers);
    node.metrics.mempool.set(s.mempool);
    return c.text(await node.metrics.registry.metrics(), 200, {
      'content-type': node.metrics.registry.contentType,
    });
  });

  app.get(
    '/ws',
    upgradeWebSocket(() => {
      const subs = new Map<string, () => void>();
      let next = 1;
      const notify = (ws: WSContext, subscription: string, result: unknown) =>
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'tessera_subscription',
            params: { subscription, result: toJson(result) },
          }),
        );
      return {
        onMessage(evt, ws) {
          let req: { id?: Json; method?: string; params?: unknown };
          try {
            req = JSON.parse(String(evt.data));
          } catch {
            ws.send(
              JSON.stringify({
                jsonrpc: '2.0',
                id: null,
                error: { code: RpcErrorCode.PARSE, message: 'parse error' },
              }),
            );
            return;
          }
          const id = req.id ?? null;
          const reply = (body: object) => ws.send(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
          if (req.method === 'tessera_unsubscribe') {
            const [sid] = Array.isArray(req.params) ? req.params : [];
            const off = subs.get(String(sid));
            off?.();
            subs.delete(String(sid));
            reply({ result: off !== undefined });
            return;
          }
          if (req.method !== 'tessera_subscribe' || !Array.isArray(req.params)) {
            reply({
              error: {
                code: RpcErrorCode.METHOD_NOT_FOUND,
                message: 'expected tessera_subscribe or tessera_unsubscribe',
              },
            });
            return;
          }
          if (subs.size >= 64) {
            reply({
              error: {
                code: RpcErrorCode.RATE_LIMITED,
                message: 'too many subscriptions on this connection',
              },
            });
            return;
          }
          const sid = `0x${(next++).toString(16)}`;
          const [kind, arg] = req.params as [unknown, unknown];
          if (kind === 'newBlocks') {
            const onBlock = (b: CommittedBlock) =>
              notify(ws, sid, {
                height: b.height,
                hash: b.hash,
                stateRoot: b.header.stateRoot,
                txCount: b.txs.length,
                txHashes: b.txHashes,
              });
            node.on('block', onBlock);
            subs.set(sid, () => node.off('block', onBlock));
          } else if (kind === 'txStatus' && typeof arg === 'string' && hash32.safeParse(arg).success) {
            const h = arg.toLowerCase() as Hex;
            const onTx = (o: TxOutcome) => notify(ws, sid, o);
            node.on(`tx:${h}`, onTx);
            subs.set(sid, () => node.off(`tx:${h}`, onTx));
            void node.txStatus(h).then((o) => o && notify(ws, sid, o));
          } else {
            reply({
              error: {
                code: RpcErrorCode.INVALID_PARAMS,
                message: 'params must be ["newBlocks"] or ["txStatus", hash]',
              },
            });
            return;
          }
          reply({ result: sid });
        },
        onClose() {
          for (const off of subs.values()) off();
          subs.clear();
        },
      };
    }),
  );

  app.notFound((c) => c.json({ error: 'not found' }, 404));

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: node.cfg.rpcPort, hostname: node.cfg.rpcHost }, () =>
      resolve(s),
    );
  });
  injectWebSocket(server);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        node.off('block', onBlock);
        node.off('tx', onOutcome);
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

const tagParam = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,76})$/, 'must be a decimal key-image tag')
  .refine((v) => BigInt(v) < FIELD_MODULUS, 'must be a field element');

/** The agreed privacy methods (docs/RPC.md "Privacy"): committed state only. */
function privacyMethods(node: SequencerNode): Record<string, (p: unknown) => Promise<Json> | Json> {
  const privacy = () => node.ledger.privacy;
  return {
    tessera_getNotes: (raw) => {
      const [fromIndex, count] = params(
        z.tuple([z.number().int().min(0).max(0xffffffff), z.number().int().min(1).max(1000)]),
        raw,
      );
      return toJson({
        total: privacy().noteCount,
        notes: privacy().notes(fromIndex, count).map(noteToJson),
      });
    },
    tessera_getObserverKey: (raw) => {
      params(z.tuple([]), raw);
      const k = privacy().currentObserverKey();
      return k ? toJson(observerKeyToJson(k)) : null;
    },
    tessera_getPrivacyParams: (raw) => {
      params(z.tuple([]), raw);
      const p = node.ledger.params.privacy;
      if (!p) throw new RpcError(RpcErrorCode.NOT_SUPPORTED, 'this chain has no privacy parameters');
      const denominations: Record<string, string[]> = {};
      for (const a of node.ledger.params.assets)
        if (a.denominations?.length) denominations[String(a.assetId)] = a.denominations.map(String);
      return toJson({
        minRingSize: p.minRingSize,
        maxRingSize: p.maxRingSize,
        denominations,
        observerKeys: privacy().observerKeys().map(observerKeyToJson),
      });
    },
    tessera_getKeyImage: async (raw) => {
      const [tag] = params(z.tuple([tagParam]), raw);
      const spent = await privacy().spentKeyImage(BigInt(tag));
      return toJson(spent ? { spent: true, ...spent } : { spent: false });
    },
  };
}
