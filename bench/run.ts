/**
 * `npm run bench [-- name …]`: runs the benchmark scripts of each part, prints one table per part
 * and writes bench/results/<name>.json as [{ name, value, unit }]. Figures, not pass/fail.
 */
import '../scripts/polyfills.ts';
import { existsSync } from 'node:fs';
import { type BenchResult, printTable, writeResults } from './table.ts';

export type { BenchResult };
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ['crypto', 'core', 'privacy', 'circuits', 'prover', 'contracts', 'sequencer'];

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
