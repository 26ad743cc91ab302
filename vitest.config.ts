import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Simulation suites run millions of clocks; a slow machine must not turn them into flakes.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: one test file per core
    maxWorkers: 2,
  },
});
