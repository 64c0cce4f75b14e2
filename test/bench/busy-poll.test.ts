import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { busyPolling, startBusyPoll } from '../../bench/run/busy-poll.ts';

/** Loop turns in `ms`: setImmediate callbacks run once per turn, so count a chain of them. */
async function turnsIn(ms: number): Promise<number> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  await new Promise((resolve) => setTimeout(resolve, ms));
  counting = false;
  return turns;
}

const immediates = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Immediate').length;

describe('#startBusyPoll', () => {
  it('is on from the first start to the last stop, and a stop is idempotent', () => {
    expect(busyPolling()).toBe(false);
    const stopA = startBusyPoll();
    const stopB = startBusyPoll();
    expect(busyPolling()).toBe(true);
    stopA();
    stopA();
    expect(busyPolling()).toBe(true);
    stopB();
    expect(busyPolling()).toBe(false);
  });

  it('keeps an immediate queued on every loop turn while on, so the loop never waits in the poll phase', async () => {
    const stop = startBusyPoll();
    let queued = 0;
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        queued += immediates() > 0 ? 1 : 0;
      }
    } finally {
      stop();
    }
    expect(queued).toBe(5);
    // And the loop still serves other work: an immediate chain of our own keeps turning meanwhile. Counted over
    // 200 ms with a bound far below the thousands of turns an idle machine makes, so a loaded 2-core machine that
    // deschedules the process for a while still meets it; a spin that blocked the loop would leave it near 0.
    const again = startBusyPoll();
    try {
      expect(await turnsIn(200)).toBeGreaterThan(10);
    } finally {
      again();
    }
    // Busy polling alone keeps the loop from waiting: with nothing else to do, it is busy for nearly all of a
    // timer's wait (event-loop utilisation 1 here, about 0.01 without busy polling; libuv counts a descheduled
    // process as idle only inside a blocking poll, which busy polling never makes).
    const spinning = startBusyPoll();
    try {
      const before = performance.eventLoopUtilization();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(performance.eventLoopUtilization(before).utilization).toBeGreaterThan(0.8);
    } finally {
      spinning();
    }
    // Off, a timer callback finds nothing queued: the loop would sleep until the next event.
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(immediates()).toBe(0);
  });

  it('lets the process exit: nothing is left scheduled after the last stop', async () => {
    const stop = startBusyPoll();
    stop();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(busyPolling()).toBe(false);
    expect(immediates()).toBe(0);
  });
});
