import { buildPoseidon } from 'circomlibjs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/build.ts';
import { readR1cs } from '../src/setup/r1cs.ts';
import { calculateWitness } from '../src/witnessCalculator.ts';

/** Poseidon(n) evaluated from its first S-box layer (the Merkle-path optimisation) vs circomlib. */
function source(n: number): string {
  return `pragma circom 2.1.0;
include "circomlib/circuits/poseidon.circom";
include "lib/poseidon_shared.circom";
template T(n) {
  signal input in[n];
  signal output viaShared;
  signal output viaCircomlib;
  var t = n + 1;
  var ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
  var C[t * 8 + ROUNDS_P[t - 2]] = POSEIDON_C(t);
  component ref = Poseidon(n);
  component sb[n];
  component mine = PoseidonFromFirstSbox(n);
  for (var j = 0; j < n; j++) {
    ref.inputs[j] <== in[j];
    sb[j] = Pow5();
    sb[j].in <== in[j] + C[j + 1];
    mine.sbox[j] <== sb[j].out;
  }
  viaShared <== mine.out;
  viaCircomlib <== ref.out;
}
component main = T(${n});
`;
}

describe('PoseidonFromFirstSbox', () => {
  it('equals circomlib Poseidon and circomlibjs for arity 2, 4, 8, at the same constraint count', async () => {
    const poseidon = await buildPoseidon();
    for (const n of [2, 4, 8]) {
      const c = await compileSource(`poseidon_shared_${n}`, source(n));
      for (let trial = 0; trial < 3; trial++) {
        const inputs = Array.from(
          { length: n },
          (_, i) => BigInt(trial) * 7919n ** BigInt(i + 3) + BigInt(i),
        );
        const w = await calculateWitness(c.wasm, { in: inputs.map(String) });
        const expected = poseidon.F.toObject(poseidon(inputs)) as bigint;
        expect(w[1]).toBe(expected);
        expect(w[2]).toBe(expected);
      }
      // both halves together cost exactly two Poseidon(n): nothing is lost by splitting it
      const { nConstraints } = await readR1cs(c.r1cs);
      const single = await compileSource(
        `poseidon_${n}`,
        `pragma circom 2.1.0;\ninclude "circomlib/circuits/poseidon.circom";\ncomponent main = Poseidon(${n});\n`,
      );
      expect(nConstraints).toBe(2 * (await readR1cs(single.r1cs)).nConstraints);
    }
  }, 300_000);
});
