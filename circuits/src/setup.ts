/**
 * `npm run setup`: compile the configured batch circuit(s) and produce their proving and
 * verification keys (development ceremony, cached in ~/.cache/tessera/<circuitHash>/).
 * TESSERA_CIRCUITS selects the circuits (comma-separated names or NxAxD specs, default "default").
 */
import '../../scripts/polyfills.ts';
import { setupCircuit } from './build.ts';
import { configuredCircuits, paramsLabel } from './config.ts';
import { ProgressBar } from './progress.ts';

async function main(): Promise<void> {
  const circuits = configuredCircuits();
  for (const params of circuits) {
    const started = Date.now();
    const bars = new Map<string, ProgressBar>();
    const bar = (stage: string) => {
      let b = bars.get(stage);
      if (!b) {
        b = new ProgressBar(stage.padEnd(5));
        bars.set(stage, b);
      }
      return b;
    };
    const keys = await setupCircuit(params, {
      log: (m) => process.stderr.write(`setup: ${m}\n`),
      onProgress: (stage, done, total, label) => bar(stage).update(done, total, label),
    });
    for (const [stage, b] of bars) b.done(`${stage} done`);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      [
        `circuit ${paramsLabel(params)}`,
        `  hash          ${keys.hash}`,
        `  constraints   ${keys.constraints} (domain 2^${keys.power})`,
        `  directory     ${keys.dir}`,
        `  proving key   ${keys.zkey}`,
        `  verifier key  ${keys.vkeyPath}`,
        `  solidity      ${keys.solidityVerifier}`,
        `  timings       ${Object.entries(keys.timings)
          .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`)
          .join(' ')}`,
        `  total         ${secs}s`,
        '',
      ].join('\n'),
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`setup failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
