import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePortBlock, portRange } from '../src/net/freePort.ts';

const listen = (port: number) =>
  new Promise<() => Promise<void>>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(() => new Promise((r) => srv.close(() => r()))));
  });

describe('free loopback ports', () => {
  it('hands out bindable ports below the ephemeral range, never the same one twice', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const { from, to } = portRange();
    expect(to).toBeLessThanOrEqual(low);
    const ports = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(from);
      expect(p).toBeLessThan(to);
    }
    const closers = await Promise.all(ports.map(listen));
    await Promise.all(closers.map((c) => c()));
  });

  it('gives blocks of consecutive free ports that do not overlap what it gave before', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const base = await freePortBlock(4);
      for (let k = 0; k < 4; k++) {
        expect(seen.has(base + k)).toBe(false);
        seen.add(base + k);
      }
      const closers = await Promise.all([0, 1, 2, 3].map((k) => listen(base + k)));
      await Promise.all(closers.map((c) => c()));
    }
    await expect(freePortBlock(0)).rejects.toThrow(RangeError);
  });

  it('gives parallel vitest workers disjoint slices of the range', () => {
    const saved = process.env.VITEST_POOL_ID;
    try {
      const slices = [1, 2, 3].map((w) => {
        process.env.VITEST_POOL_ID = String(w);
        return portRange();
      });
      for (let i = 1; i < slices.length; i++)
        expect(slices[i]!.from).toBeGreaterThanOrEqual(slices[i - 1]!.to);
      for (const s of slices) expect(s.to - s.from).toBeGreaterThan(1_000);
    } finally {
      if (saved === undefined) Reflect.deleteProperty(process.env, 'VITEST_POOL_ID');
      else process.env.VITEST_POOL_ID = saved;
    }
  });
});
