import { describe, expect, it } from 'vitest';
import { type SimResult, randomScenario, runSimulation } from '../src/sim/cluster.ts';

// SIM_SEED=<n> replays one seed (with a trace on failure); SIM_SEEDS=<count> widens the sweep.
const only = process.env.SIM_SEED ? Number(process.env.SIM_SEED) : null;
const count = Number(process.env.SIM_SEEDS ?? 200);
const seeds = only !== null ? [only] : Array.from({ length: count }, (_, i) => i + 1);

function report(r: SimResult): string {
  return `SIM_SEED=${r.seed} npx vitest run sequencer/test/consensus-sim.test.ts  # ${r.profile}: ${r.violations.join(' | ')}`;
}

describe('deterministic consensus simulation', () => {
  it(`keeps agreement, validity, liveness and no honest double-sign over ${seeds.length} seeds`, async () => {
    const failures: string[] = [];
    const profiles = new Map<string, number>();
    let heights = 0;
    let evidence = 0;
    let crashes = 0;
    for (const seed of seeds) {
      // The simulator only waits on microtasks; let the worker breathe between seeds.
      await new Promise((resolve) => setImmediate(resolve));
      const r = await runSimulation(randomScenario(seed), only !== null);
      profiles.set(r.profile, (profiles.get(r.profile) ?? 0) + 1);
      heights += Math.max(...r.heights);
      evidence += r.evidence;
      crashes += r.crashes;
      if (!r.ok) {
        failures.push(report(r));
        console.error(report(r));
        if (only !== null) console.error(r.trace.slice(-200).join('\n'));
      }
    }
    console.log(
      `sim: ${seeds.length} seeds, ${heights} heights decided, ${crashes} crashes, ${evidence} equivocations seen, profiles ${JSON.stringify(Object.fromEntries(profiles))}`,
    );
    expect(failures).toEqual([]);
    if (only === null) {
      // The sweep must actually exercise faults, or passing it means little.
      expect(crashes).toBeGreaterThan(50);
      expect(evidence).toBeGreaterThan(100);
      expect(profiles.size).toBeGreaterThanOrEqual(5);
    }
  }, 300_000);

  it('replays a seed exactly', async () => {
    const a = await runSimulation(randomScenario(4242), true);
    const b = await runSimulation(randomScenario(4242), true);
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
    expect(b.heights).toEqual(a.heights);
  });

  it('runs with real secp256k1 signatures', async () => {
    for (const seed of [7, 8]) {
      const r = await runSimulation(
        randomScenario(seed, { crypto: 'real', chaosMs: 3_000, settleMs: 7_000 }),
      );
      expect(r.violations).toEqual([]);
      expect(Math.min(...r.heights)).toBeGreaterThan(5);
    }
  }, 120_000);

  it('makes no blocks and signs nothing while idle, then one block for one transaction', async () => {
    const idle = await runSimulation(randomScenario(11, { profile: 'calm', txLimit: 0 }));
    expect(idle.violations).toEqual([]);
    expect(idle.heights).toEqual([0, 0, 0, 0]);
    expect(idle.signatures).toBe(0);
    const one = await runSimulation(randomScenario(11, { profile: 'calm', txLimit: 1 }));
    expect(one.violations).toEqual([]);
    expect(one.heights).toEqual([1, 1, 1, 1]);
    expect(one.txsDecided).toBe(1);
  });

  it('halts without forking while two nodes are down, and resumes', async () => {
    const r = await runSimulation(
      randomScenario(21, {
        profile: 'custom',
        byzantine: null,
        faults: [
          { kind: 'crash', at: 2_000, node: 1, downFor: 4_000 },
          { kind: 'crash', at: 2_000, node: 2, downFor: 4_000 },
        ],
      }),
      true,
    );
    expect(r.violations).toEqual([]);
    const decidedDuringOutage = r.trace.filter((l) => {
      const t = Number(l.trim().split(' ')[0]);
      return t > 2_300 && t < 6_000 && l.includes('commits');
    });
    expect(decidedDuringOutage).toEqual([]);
    expect(Math.min(...r.heights)).toBeGreaterThan(20);
    expect(r.txsDecided).toBe(r.txsSubmitted);
  });

  it('an equivocating proposer and a double-voting node cause no fork', async () => {
    let evidence = 0;
    for (const seed of [31, 32, 33, 34, 35, 36]) {
      const mode = (['equivocate', 'doublevote', 'both'] as const)[seed % 3]!;
      const r = await runSimulation(
        randomScenario(seed, { profile: 'custom', faults: [], byzantine: { node: seed % 4, mode } }),
      );
      expect(r.violations).toEqual([]);
      evidence += r.evidence;
      expect(Math.min(...r.heights)).toBeGreaterThan(10);
    }
    expect(evidence).toBeGreaterThan(0);
  }, 120_000);
});
