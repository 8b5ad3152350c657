/** Reference engine: the A-LSAG chain step in BigInt arithmetic (see curve.ts). */
import {
  FixedBase,
  add,
  addExt,
  fromAffine,
  mulG,
  oddMultiples,
  straus,
  toAffineBatch,
  toCached,
  wnaf,
} from './curve.ts';
import type { ChainRunner, ChainSetup, Engine } from './engine.ts';
import type { Point } from './primitives.ts';
import { L } from './scalar.ts';
import { roundChallenge } from './transcript.ts';
import { pointKey } from './validate.ts';

const OBSERVER_CACHE_LIMIT = 8;
const observerTables = new Map<string, FixedBase>();

function observerTable(y: Point): FixedBase {
  const key = pointKey(y);
  let t = observerTables.get(key);
  if (!t) {
    t = new FixedBase(fromAffine(y), 8, true);
    if (observerTables.size >= OBSERVER_CACHE_LIMIT) observerTables.clear();
    observerTables.set(key, t);
  }
  return t;
}

export function clearBigintEngineCaches(): void {
  observerTables.clear();
}

export const bigintEngine: Engine = {
  name: 'bigint',
  prepare(s: ChainSetup): ChainRunner {
    const muC1 = straus([{ digits: wnaf(s.mu, 5), table: oddMultiples(fromAffine(s.c1), 5) }]);
    const muC1c = toCached(muC1);
    const v = new FixedBase(addExt(fromAffine(s.c2), muC1), 4, false);
    const y = observerTable(s.observerKey);
    const iTable = oddMultiples(fromAffine(s.keyImage), 5);
    return {
      step(i, c, s1, s2) {
        const t = (s1 + s.mu * s2) % L;
        const tG = mulG(t);
        const cDigits = wnaf(c, 5);
        const w = add(fromAffine(s.ring[i]!), muC1c);
        const k1 = add(straus([{ digits: cDigits, table: oddMultiples(w, 5) }]), toCached(tG));
        const k2 = straus([
          { digits: wnaf(s1, 5), table: oddMultiples(fromAffine(s.hp[i]!), 5) },
          { digits: cDigits, table: iTable },
        ]);
        const k3 = v.mul(c, y.mul(s2, tG));
        const [a1, a2, a3] = toAffineBatch([k1, k2, k3]);
        return roundChallenge(s.d, i, a1!, a2!, a3!);
      },
    };
  },
};
