/**
 * Constraints per transfer of the batch circuit at production parameters (N = 500 slots).
 *
 * Compiling N = 500 takes far too long, so the circuit is compiled at N = 1 and N = 2 and the cost
 * is split exactly: every slot costs the same (one ApplySlot plus its public-data share), the
 * data-commitment sponge costs one Poseidon(16) per 15 elements of E (7N elements) and the sponge
 * over the extras values committed before the compaction challenge one per 15 of its N elements,
 * the rest is fixed. N = 1 and N = 2 use one chunk of each sponge, so
 *   slot  = c(2) − c(1)
 *   fixed = c(1) − slot − 2·poseidon16
 *   c(N)  = fixed + N·slot + (⌈7N/15⌉ + ⌈2N/15⌉)·poseidon16
 * Run: `npx tsx bench/circuits.ts` (or through `npm run bench`). Writes bench/results/circuits.json.
 */
import '../scripts/polyfills.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BatchParams,
  DEVNET_CHAIN_ID,
  PARAM_SETS,
  compileCircuit,
  compileSource,
} from '../circuits/src/index.ts';
import { readR1cs } from '../circuits/src/setup/r1cs.ts';

type Result = { name: string; value: number; unit: string };

const PRODUCTION_SLOTS = 500;
const SHAPES: { arity: 2 | 4 | 8; depth: number }[] = [
  { arity: 8, depth: 8 },
  { arity: 4, depth: 12 },
];

async function poseidon16Cost(): Promise<number> {
  const c = await compileSource(
    'poseidon16',
    'pragma circom 2.1.0;\ninclude "circomlib/circuits/poseidon.circom";\ncomponent main = Poseidon(16);\n',
  );
  return (await readR1cs(c.r1cs)).nConstraints;
}

export default async function run(): Promise<Result[]> {
  const results: Result[] = [];
  const p16 = await poseidon16Cost();
  const rows: string[][] = [
    ['shape (A^D)', 'N=1', 'N=2', 'per slot', 'fixed', `total N=${PRODUCTION_SLOTS}`, 'per transfer'],
  ];
  for (const shape of SHAPES) {
    const at = async (slots: number) =>
      (
        await compileCircuit({ slots, ...shape, chainId: DEVNET_CHAIN_ID } satisfies BatchParams, {
          log: (m) => process.stderr.write(`${m}\n`),
        })
      ).constraints;
    const c1 = await at(1);
    const c2 = await at(2);
    const slot = c2 - c1;
    const fixed = c1 - slot - 2 * p16;
    const sponges = (n: number) => Math.ceil((7 * n) / 15) + Math.ceil(n / 15);
    const total = fixed + PRODUCTION_SLOTS * slot + sponges(PRODUCTION_SLOTS) * p16;
    const perTx = total / PRODUCTION_SLOTS;
    const tag = `A${shape.arity}_D${shape.depth}`;
    results.push(
      { name: `constraints_per_transfer_N500_${tag}`, value: Math.round(perTx), unit: 'constraints' },
      { name: `constraints_total_N500_${tag}`, value: total, unit: 'constraints' },
      { name: `constraints_per_slot_${tag}`, value: slot, unit: 'constraints' },
      { name: `constraints_fixed_${tag}`, value: fixed, unit: 'constraints' },
    );
    rows.push([
      `${shape.arity}^${shape.depth}`,
      `${c1}`,
      `${c2}`,
      `${slot}`,
      `${fixed}`,
      `${total}`,
      perTx.toFixed(0),
    ]);
  }
  for (const [name, p] of Object.entries({
    test: PARAM_SETS.test,
    devnet: PARAM_SETS.devnet,
    default: PARAM_SETS.default,
  })) {
    const c = await compileCircuit(p, { log: (m) => process.stderr.write(`${m}\n`) });
    results.push({
      name: `constraints_${name}_N${p.slots}_A${p.arity}_D${p.depth}`,
      value: c.constraints,
      unit: 'constraints',
    });
    rows.push([
      `${name}: N=${p.slots} ${p.arity}^${p.depth}`,
      '',
      '',
      '',
      '',
      `${c.constraints}`,
      (c.constraints / p.slots).toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
  console.log(
    `(Poseidon(16) = ${p16} constraints per 15 elements of E or of the extras commitment; goal ≤ 20000 per transfer)`,
  );
  const here = dirname(fileURLToPath(import.meta.url));
  await mkdir(join(here, 'results'), { recursive: true });
  await writeFile(join(here, 'results', 'circuits.json'), JSON.stringify(results, null, 2));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
