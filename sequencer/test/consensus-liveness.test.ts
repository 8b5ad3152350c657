import { describe, expect, it } from 'vitest';
import { ConsensusCore } from '../src/consensus/engine.ts';
import type { Effect } from '../src/consensus/messages.ts';
import {
  type Address,
  type Hex,
  MsgType,
  NIL_HASH,
  type TimeoutConfig,
  type Vote,
} from '../src/consensus/types.ts';
import { randomScenario, runSimulation } from '../src/sim/cluster.ts';

// The core never checks signatures (the driver does), so placeholder addresses and signatures do.
const validators = [0, 1, 2, 3].map((i) => `0x${String(i + 1).repeat(40)}` as Address);
const timeouts: TimeoutConfig = {
  propose: 1_000,
  proposeSilent: 100,
  prevote: 500,
  precommit: 500,
  delta: 0,
  max: 5_000,
};
const sig = `0x${'00'.repeat(65)}` as Hex;

function core(self = 0): ConsensusCore {
  return new ConsensusCore({ validators, self: validators[self]!, timeouts });
}

const proposeTimeouts = (effects: Effect[]) =>
  effects.flatMap((e) => (e.kind === 'scheduleTimeout' && e.step === 'propose' ? [e.ms] : []));
const signedVotes = (effects: Effect[]) =>
  effects.flatMap((e) => (e.kind === 'sign' && e.msg.type !== MsgType.Proposal ? [e.msg] : []));

function vote(type: 1 | 2, height: bigint, round: number, from: number, valueHash: Hex = NIL_HASH): Vote {
  return { type, height, round, valueHash, validator: validators[from]!, signature: sig };
}

/** Moves `c` from its current height to the next one as if the height had been decided elsewhere. */
function decideAndCommit(c: ConsensusCore): void {
  const height = c.height;
  const value = new Uint8Array([Number(height)]);
  c.handle({
    kind: 'decidedExternally',
    height,
    value,
    certificate: { height, round: 0, valueHash: `0x${'ab'.repeat(32)}`, signatures: [] },
  });
  c.handle({ kind: 'committed', height });
}

describe('consensus liveness shortcuts', () => {
  it('gives a disconnected proposer only the short propose timeout, and the rest if it comes back', () => {
    // Height 1, round 0: validators[1] proposes.
    const c = core();
    c.handle({ kind: 'start', height: 1n });
    expect(proposeTimeouts(c.handle({ kind: 'valueAvailable' }))).toEqual([1_000]);
    expect(
      proposeTimeouts(c.handle({ kind: 'peerStatus', validator: validators[1]!, connected: false })),
    ).toEqual([100]);
    // Still down when the short timeout fires: prevote nil.
    const fired = c.handle({ kind: 'timeout', height: 1n, round: 0, step: 'propose' });
    expect(signedVotes(fired)).toMatchObject([{ type: MsgType.Prevote, valueHash: NIL_HASH }]);

    const d = core();
    d.handle({ kind: 'start', height: 1n });
    d.handle({ kind: 'valueAvailable' });
    d.handle({ kind: 'peerStatus', validator: validators[1]!, connected: false });
    d.handle({ kind: 'peerStatus', validator: validators[1]!, connected: true });
    // Back before the short timeout fired: no vote, the remaining 900 ms instead.
    const rest = d.handle({ kind: 'timeout', height: 1n, round: 0, step: 'propose' });
    expect(signedVotes(rest)).toEqual([]);
    expect(proposeTimeouts(rest)).toEqual([900]);
    expect(d.step).toBe('propose');
  });

  it('suspects a proposer not heard from since before the previous height', () => {
    const c = core();
    c.handle({ kind: 'start', height: 1n });
    // At height 1 validators[2] votes, validators[3] stays silent.
    c.handle({ kind: 'message', msg: vote(MsgType.Prevote, 1n, 0, 2) });
    decideAndCommit(c);
    // Height 2: validators[2] proposes and was heard at height 1: the normal timeout.
    expect(proposeTimeouts(c.handle({ kind: 'valueAvailable' }))).toEqual([1_000]);
    decideAndCommit(c);
    // Height 3: validators[3] proposes and has never been heard from: the short one.
    expect(proposeTimeouts(c.handle({ kind: 'valueAvailable' }))).toEqual([100]);
    // A message from it arrives before the timeout fires: it gets the rest of the normal wait.
    c.handle({ kind: 'message', msg: vote(MsgType.Prevote, 3n, 0, 3) });
    expect(proposeTimeouts(c.handle({ kind: 'timeout', height: 3n, round: 0, step: 'propose' }))).toEqual([
      900,
    ]);
  });

  it('without proposeSilent every proposer gets the normal propose timeout', () => {
    const c = new ConsensusCore({
      validators,
      self: validators[0]!,
      timeouts: { ...timeouts, proposeSilent: undefined },
    });
    c.handle({ kind: 'start', height: 1n });
    decideAndCommit(c);
    decideAndCommit(c);
    expect(proposeTimeouts(c.handle({ kind: 'valueAvailable' }))).toEqual([1_000]);
    expect(
      proposeTimeouts(c.handle({ kind: 'peerStatus', validator: validators[3]!, connected: false })),
    ).toEqual([]);
  });

  it('moves to the next round on 2f+1 nil precommits without waiting out timeoutPrecommit', () => {
    const c = core();
    c.handle({ kind: 'start', height: 1n });
    c.handle({ kind: 'valueAvailable' });
    c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 1) });
    c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 2) });
    expect(c.round).toBe(0);
    c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 3) });
    expect(c.round).toBe(1);
    expect(c.step).toBe('propose');
  });

  it('keeps 2f+1 mixed precommits on the timeoutPrecommit path', () => {
    const c = core();
    c.handle({ kind: 'start', height: 1n });
    c.handle({ kind: 'valueAvailable' });
    const value = `0x${'cd'.repeat(32)}` as Hex;
    c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 1) });
    c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 2) });
    const effects = c.handle({ kind: 'message', msg: vote(MsgType.Precommit, 1n, 0, 3, value) });
    expect(c.round).toBe(0);
    expect(effects.some((e) => e.kind === 'scheduleTimeout' && e.step === 'precommit')).toBe(true);
  });

  it('keeps agreement, validity and liveness in the simulation with the short propose timeout', async () => {
    const failures: string[] = [];
    for (let seed = 1001; seed <= 1060; seed++) {
      await new Promise((resolve) => setImmediate(resolve));
      const r = await runSimulation(
        randomScenario(seed, {
          timeouts: {
            propose: 400,
            proposeSilent: 100,
            prevote: 200,
            precommit: 200,
            delta: 100,
            max: 1_500,
          },
        }),
      );
      if (!r.ok) failures.push(`seed ${seed} (${r.profile}): ${r.violations.join(' | ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
