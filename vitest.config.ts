import { defineConfig } from 'vitest/config';

/** Suites whose assertions bound elapsed time: they run afterwards, alone (vitest.timing.config.ts). */
export const TIMING_SUITES = 'test/**/*.timing.test.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', TIMING_SUITES],
    // Servers bind real sockets; a 2-core machine runs these more reliably a few files at a time.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
