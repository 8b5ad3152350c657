import type { Logger } from 'pino';
import { RpcCallError, RpcUnavailableError } from '../errors.ts';

/** JSON-RPC errors that say "this node cannot serve you right now": try another one. */
const RETRIABLE_RPC_CODES = new Set([-32001, -32002, -32005]);

export type Endpoint = { rpc: string; ws: string; base: string };

/**
 * Accept either a node's base URL or its `/rpc` URL (docs/RPC.md: `POST /rpc`, `GET /ws`).
 */
export function endpointFromUrl(url: string): Endpoint {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/rpc$/, '');
  const base = `${u.protocol}//${u.host}${path}`;
  const wsProtocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return { base, rpc: `${base}/rpc`, ws: `${wsProtocol}//${u.host}${path}/ws` };
}

let nextId = 1;

/** One JSON-RPC call over HTTP with a deadline. */
export async function rpcCall<T>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5_000,
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new RpcUnavailableError(`${url} answered HTTP ${res.status}`);
  const body = (await res.json()) as {
    result?: T;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
  if (!('result' in body)) throw new RpcUnavailableError(`${url} answered without result or error`);
  return body.result as T;
}

function isRetriable(err: unknown): boolean {
  if (err instanceof RpcCallError) return RETRIABLE_RPC_CODES.has(err.rpcCode);
  return true; // network errors, timeouts, HTTP errors, unparsable bodies
}

type EndpointState = { endpoint: Endpoint; downUntil: number; failures: number };

/**
 * Several sequencer endpoints, used one at a time. A failing endpoint is benched with
 * exponential backoff and the next one takes over; the explorer keeps following the chain as
 * long as one node answers.
 */
export class RpcPool {
  private readonly states: EndpointState[];
  private preferred = 0;
  failovers = 0;

  constructor(
    urls: readonly string[],
    private readonly log?: Logger,
    private readonly timeoutMs = 5_000,
  ) {
    if (urls.length === 0) throw new RpcUnavailableError('no sequencer RPC URL configured');
    this.states = urls.map((url) => ({ endpoint: endpointFromUrl(url), downUntil: 0, failures: 0 }));
  }

  get endpoints(): Endpoint[] {
    return this.states.map((s) => s.endpoint);
  }

  get current(): Endpoint {
    return this.states[this.preferred]!.endpoint;
  }

  /** Endpoints in the order to try them: preferred first, benched ones last. */
  private order(): number[] {
    const now = Date.now();
    const idx = this.states.map((_, i) => (this.preferred + i) % this.states.length);
    return [
      ...idx.filter((i) => this.states[i]!.downUntil <= now),
      ...idx.filter((i) => this.states[i]!.downUntil > now),
    ];
  }

  /** Prefer another endpoint for a while (the current one served something unusable). */
  benchCurrent(ms = 5_000): void {
    if (this.states.length < 2) return;
    this.states[this.preferred]!.downUntil = Date.now() + ms;
    this.preferred = (this.preferred + 1) % this.states.length;
  }

  call<T>(method: string, params: unknown[] = []): Promise<T> {
    return this.callAccepting<T>(method, params, () => true);
  }

  /**
   * Try endpoints until one answers with a result `accept` likes (e.g. a node that is behind
   * answers `null` for a block the others already have).
   */
  async callAccepting<T>(method: string, params: unknown[], accept: (result: T) => boolean): Promise<T> {
    const errors: string[] = [];
    let lastResult: { value: T } | undefined;
    for (const i of this.order()) {
      const s = this.states[i]!;
      try {
        const result = await rpcCall<T>(s.endpoint.rpc, method, params, this.timeoutMs);
        s.failures = 0;
        s.downUntil = 0;
        if (accept(result)) {
          if (i !== this.preferred) {
            this.failovers++;
            this.log?.warn({ from: this.current.base, to: s.endpoint.base }, 'switched sequencer endpoint');
            this.preferred = i;
          }
          return result;
        }
        lastResult = { value: result };
      } catch (err) {
        if (!isRetriable(err)) throw err;
        s.failures++;
        s.downUntil = Date.now() + Math.min(250 * 2 ** Math.min(s.failures, 6), 15_000);
        errors.push(`${s.endpoint.base}: ${(err as Error).message}`);
      }
    }
    if (lastResult) return lastResult.value;
    throw new RpcUnavailableError(`every sequencer endpoint failed (${errors.join('; ')})`);
  }
}
