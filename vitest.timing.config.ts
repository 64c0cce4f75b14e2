import { defineConfig } from 'vitest/config';
import { TIMING_SUITES } from './vitest.config.ts';

/**
 * The suites that bound elapsed time (an emulated round trip's arithmetic has upper bounds too), run after the
 * others and one file at a time: beside suites that launch whole runs on this 2-core machine, a stall of a few
 * hundred milliseconds crossed their bounds in fresh-clone CI runs, which says nothing about the code.
 */
export default defineConfig({
  test: {
    include: [TIMING_SUITES],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
