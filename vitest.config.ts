import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // 2-core machine: heavy suites (proving, clusters) must not run all at once.
    maxWorkers: 2,
    minWorkers: 1,
    setupFiles: ['./scripts/polyfills.ts'],
  },
});
