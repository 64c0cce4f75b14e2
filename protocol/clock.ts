/**
 * The shared clock. `process.hrtime.bigint()` reads CLOCK_MONOTONIC, which every process on one
 * Linux host shares, so a server's publish stamp and a client's receive stamp can be subtracted.
 *
 * Unit: microseconds, as a JavaScript number with a fractional part (nanosecond digits).
 * Splitting the bigint keeps full precision however long the host has been up.
 */
export function nowUs(): number {
  const ns = process.hrtime.bigint();
  return Number(ns / 1000n) + Number(ns % 1000n) / 1000;
}
