/**
 * Everything the test suite needs that `npm install` cannot provide. Idempotent and quick when
 * already done, so `npm test` can always run it first.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function log(msg: string) {
  process.stdout.write(`[prepare-tests] ${msg}\n`);
}

function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return log('chromium present');
  log('installing Debian chromium for the browser tests (apt-get) …');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execSync(
    `${sudo}apt-get update -qq && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`,
    { stdio: 'inherit' },
  );
}

ensureChromium();
