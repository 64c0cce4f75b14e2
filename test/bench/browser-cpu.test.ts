import { describe, expect, it } from 'vitest';
import { browserCpuBetween, browserProcesses, snapshotBrowserCpu, type BrowserCpuSnapshot } from '../../bench/browser/browser-cpu.ts';
import { browserSaturation } from '../../bench/measure/summarise.ts';

const snapshot = (at: number, threads: Record<string, [number, string]>): BrowserCpuSnapshot => ({
  at,
  threads: new Map(Object.entries(threads).map(([key, [ns, name]]) => [key, { ns, name }])),
});

describe('the browser\'s CPU', () => {
  it('adds every thread\'s time over the window and names the busiest; a thread born in between counts from zero', () => {
    const before = snapshot(1_000, { '10/10': [5e6, 'chromium'], '10/11': [1e6, 'Chrome_IOThread'] });
    // 200 ms later: the main thread used 150 ms, the IO thread 20 ms, a new thread 10 ms.
    const after = snapshot(1_200, { '10/10': [155e6, 'chromium'], '10/11': [21e6, 'Chrome_IOThread'], '11/11': [10e6, 'chromium'] });
    const sample = browserCpuBetween(before, after);
    expect(sample.totalPercent).toBeCloseTo(90, 6);
    expect(sample.busiestThreadPercent).toBeCloseTo(75, 6);
    expect(sample.busiestThread).toBe('chromium');
    expect(browserSaturation(sample)).toBeUndefined();
    expect(browserSaturation({ ...sample, busiestThreadPercent: 95 })).toMatch(/Chromium's busiest thread \(chromium\) at 95 % of a core ≥ 90 %/);
  });

  it('reads every thread of the processes it is given, and nothing of one that is gone', () => {
    const own = snapshotBrowserCpu([process.pid]);
    expect(own.threads.size).toBeGreaterThan(0);
    expect([...own.threads.values()].every((t) => t.ns > 0)).toBe(true);
    expect(snapshotBrowserCpu([2 ** 22 + 1]).threads.size).toBe(0);
    expect(Array.isArray(browserProcesses())).toBe(true);
  });
});
