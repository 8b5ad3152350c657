/**
 * `npm run bench [-- name …]`: runs the benchmark scripts of each part, prints one table per part
 * and writes bench/results/<name>.json as [{ name, value, unit }]. Figures, not pass/fail.
 */
import '../scripts/polyfills.ts';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BenchResult = { name: string; value: number; unit: string; baseline?: number };

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ['crypto', 'core', 'privacy', 'circuits', 'prover', 'contracts', 'sequencer'];

export function printTable(title: string, rows: BenchResult[]): void {
  process.stdout.write(`\n## ${title}\n`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const r of rows) {
    const base = r.baseline !== undefined ? `   (baseline ${fmt(r.baseline)} ${r.unit})` : '';
    process.stdout.write(`${r.name.padEnd(width)}  ${fmt(r.value).padStart(12)} ${r.unit}${base}\n`);
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

export function writeResults(name: string, rows: BenchResult[]): void {
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(rows, null, 2)}\n`);
}

async function main() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : ALL;
  let failures = 0;
  for (const name of names) {
    const file = join(here, `${name}.ts`);
    if (!existsSync(file)) {
      process.stdout.write(`\n## ${name}: no benchmark script (bench/${name}.ts)\n`);
      continue;
    }
    try {
      const mod = (await import(file)) as { default: () => Promise<BenchResult[]> };
      const rows = await mod.default();
      printTable(name, rows);
      writeResults(name, rows);
    } catch (err) {
      failures++;
      process.stdout.write(`\n## ${name}: FAILED: ${(err as Error).stack ?? err}\n`);
    }
  }
  process.exit(failures ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
