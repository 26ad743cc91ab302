import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Simulation suites run millions of clocks; a slow machine must not turn them into flakes.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: one test file per core
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/cluster.test.ts', 'test/cluster-board-sim*.test.ts', 'test/cluster-learning.test.ts', 'test/cluster-syn-flood.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        // The cluster's processes (adapter or board simulator, primary, monitors, servers, clients)
        // share the two cores with whatever else runs; its fast-path fractions are measured with
        // the machine to itself, after the rest of the suite, one file at a time.
        extends: true,
        test: { name: 'cluster', include: ['test/cluster.test.ts', 'test/cluster-board-sim*.test.ts', 'test/cluster-learning.test.ts', 'test/cluster-syn-flood.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
