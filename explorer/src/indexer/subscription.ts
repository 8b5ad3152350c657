import type { Logger } from 'pino';
import WebSocket from 'ws';

export type NewBlockNotice = { height?: bigint };

/** Pull a height out of a `newBlocks` notification, whatever block shape the node sends. */
export function noticeHeight(result: unknown): bigint | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as { height?: unknown; header?: { height?: unknown } };
  const h = r.height ?? r.header?.height;
  if (typeof h === 'string' && /^[0-9]+$/.test(h)) return BigInt(h);
  if (typeof h === 'number' && Number.isSafeInteger(h) && h >= 0) return BigInt(h);
  return undefined;
}

/**
 * `newBlocks` over the sequencer WebSocket, only as a low-latency wake-up for the poller:
 * blocks are always fetched and checked over HTTP, so a lost notification costs at most
 * one poll interval. Reconnects round-robin over the endpoints with backoff.
 */
export class BlockSubscription {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private next = 0;
  private attempts = 0;
  connectedTo: string | undefined;

  constructor(
    private readonly wsUrls: readonly string[],
    private readonly onNotice: (notice: NewBlockNotice) => void,
    private readonly log?: Logger,
  ) {}

  start(): void {
    if (this.wsUrls.length) this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.wsUrls[this.next % this.wsUrls.length]!;
    this.next++;
    const socket = new WebSocket(url, { handshakeTimeout: 3_000 });
    this.socket = socket;
    socket.on('open', () => {
      this.attempts = 0;
      this.connectedTo = url;
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tessera_subscribe', params: ['newBlocks'] }),
      );
      this.log?.debug({ url }, 'subscribed to newBlocks');
    });
    socket.on('message', (data) => {
      let msg: { method?: string; params?: { result?: unknown } };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg.method === 'tessera_subscription') this.onNotice({ height: noticeHeight(msg.params?.result) });
    });
    socket.on('error', (err) => this.log?.debug({ url, err: err.message }, 'websocket error'));
    socket.on('close', () => {
      if (this.socket === socket) {
        this.connectedTo = undefined;
        this.socket = undefined;
        this.scheduleReconnect();
      }
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(200 * 2 ** this.attempts++, 5_000);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => {});
      s.terminate();
    }
  }
}
