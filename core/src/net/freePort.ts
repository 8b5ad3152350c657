/**
 * Loopback ports for devnets and tests.
 *
 * Asking the kernel for port 0 returns a port from its ephemeral range, the same range it draws the
 * source ports of outgoing connections from. A port picked that way and bound a moment later (or
 * re-bound when a stopped node restarts) can meanwhile be taken by any outgoing connection on the
 * machine, which shows up as a rare EADDRINUSE. So ports are chosen below the ephemeral range, at
 * random, never twice in one process, and split between parallel vitest workers.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FLOOR = 10_000;
const used = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux), or the usual default elsewhere. */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > 0 ? n : 32_768;
  } catch {
    return 32_768;
  }
}

/** [from, to) for this process: one slice of the range per vitest worker, all of it otherwise. */
export function portRange(): { from: number; to: number } {
  const to = ephemeralLow();
  if (to - FLOOR < 1_000) return { from: FLOOR, to: FLOOR };
  const worker = Number(process.env.VITEST_POOL_ID ?? 0);
  if (!Number.isInteger(worker) || worker < 1 || worker > 16) return { from: FLOOR, to };
  const width = Math.floor((to - FLOOR) / 16);
  return { from: FLOOR + (worker - 1) * width, to: FLOOR + worker * width };
}

function canListen(port: number, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, host, () => {
      const addr = srv.address();
      const bound = typeof addr === 'object' && addr ? addr.port : null;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * The first of `count` consecutive ports, all free on `host` right now and none handed out by this
 * process before (a devnet gives node i the port base + i).
 */
export async function freePortBlock(count: number, host = '127.0.0.1'): Promise<number> {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`port count must be a positive integer, got ${count}`);
  const { from, to } = portRange();
  for (let attempt = 0; attempt < 64 && to - count > from; attempt++) {
    const base = from + Math.floor(Math.random() * (to - count - from));
    if (await blockFree(base, count, host)) return base;
  }
  // No room below the ephemeral range (an unusual kernel setting): let the kernel choose.
  for (;;) {
    const base = await canListen(0, host);
    if (base !== null && base + count <= 65_536 && (await blockFree(base, count, host))) return base;
  }
}

async function blockFree(base: number, count: number, host: string): Promise<boolean> {
  const ports = Array.from({ length: count }, (_, i) => base + i);
  if (ports.some((p) => used.has(p))) return false;
  const bound = await Promise.all(ports.map((p) => canListen(p, host)));
  if (bound.some((b, i) => b !== ports[i])) return false;
  for (const p of ports) used.add(p);
  return true;
}

/** A port free on `host` right now that this process has not handed out before. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return freePortBlock(1, host);
}
