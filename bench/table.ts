/** Shared output of the benchmark scripts: a printed table and bench/results/<name>.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export type BenchResult = { name: string; value: number; unit: string; baseline?: number };

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
