import { describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, percentiles, recordUs } from '../../bench/measure/histogram.ts';
import type { RepeatMeasurement } from '../../bench/measure/repeat-measurement.ts';
import type { StepPlan } from '../../bench/scenarios/scenario.ts';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { GENERATOR_CPU_BOUND_PERCENT, GENERATOR_LOOP_DELAY_BOUND_MS, spread, summariseStep } from '../../bench/measure/summarise.ts';
import { metricsSchema } from '../../results/schema.ts';

const plan: StepPlan = {
  id: 'push/ws/rate=100/clients=2/payload=64',
  scenario: 'push',
  transport: 'ws',
  params: { rate: 100, clients: 2, payload: 64 },
  server: { transport: 'ws' },
};

const calm: ResourceSample = { cpuPercent: 20, publisherWaitPercent: 0, rssBytes: 50e6, heapUsedBytes: 10e6, eventLoopUtilisation: 10, eventLoopDelayP99Ms: 1, eventLoopDelayP90Ms: 0.5 };

const histogramOf = (from: number, to: number) => {
  const h = createHistogram();
  for (let v = from; v <= to; v++) recordUs(h, v);
  return h;
};

const repeat = (scale: number, generator: ResourceSample = calm): RepeatMeasurement => ({
  values: { deliveredPerSec: 100 * scale, publishedPerSec: 50, bytesPerMessage: 200 * scale, transportBytesPerMessage: 200 * scale - 134 },
  histograms: { latency: histogramOf(scale, 1000 * scale), latencyUncorrected: histogramOf(1, 500) },
  delivery: { expected: 100, delivered: 100, lost: 0, duplicated: 0, outOfOrder: 0 },
  bytes: { payload: 64, envelope: 70 },
  server: { ...calm, cpuPercent: 30 * scale },
  generator,
});

describe('#spread', () => {
  it('takes the median, min and max, averaging the middle pair for an even count', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });
});

describe('#summariseStep', () => {
  it('turns per-repeat numbers into median with min and max', () => {
    const { metrics } = summariseStep(plan, [repeat(1), repeat(3), repeat(2)]);
    expect(metrics.deliveredPerSec).toEqual({ median: 200, min: 100, max: 300 });
    expect(metrics.bytesPerMessage).toEqual({ total: { median: 400, min: 200, max: 600 }, payload: 64, envelope: 70, transport: { median: 266, min: 66, max: 466 } });
    expect(metrics.server?.cpuPercent).toEqual({ median: 60, min: 30, max: 90 });
  });

  it('merges the histograms of every repeat and summarises per-repeat percentiles', () => {
    const { metrics } = summariseStep(plan, [repeat(1), repeat(2)]);
    const latency = metrics.latency!;
    expect(latency.count).toBe(1000 + 1999);
    expect(decodeHistogram(latency.histogram).totalCount).toBe(latency.count);
    expect(latency.p50.min).toBe(percentiles(histogramOf(1, 1000)).p50);
    expect(latency.p50.max).toBe(percentiles(histogramOf(2, 2000)).p50);
  });

  it('keeps p50 ≤ p99 ≤ max', () => {
    const { metrics } = summariseStep(plan, [repeat(1), repeat(5), repeat(2)]);
    for (const l of [metrics.latency!, metrics.latencyUncorrected!]) {
      expect(l.p50.median).toBeLessThanOrEqual(l.p99.median);
      expect(l.p99.median).toBeLessThanOrEqual(l.max.median);
    }
  });

  it('produces metrics the results schema accepts', () => {
    const { metrics } = summariseStep(plan, [repeat(1), repeat(2)]);
    expect(metricsSchema.safeParse(metrics).success).toBe(true);
  });

  it('sums delivery counts and flags loss', () => {
    const lossy = { ...repeat(1), delivery: { expected: 100, delivered: 97, lost: 3, duplicated: 1, outOfOrder: 0 } };
    const { metrics, flags, notes } = summariseStep(plan, [repeat(1), lossy]);
    expect(metrics.delivery).toEqual({ expected: 200, delivered: 197, lost: 3, duplicated: 1, outOfOrder: 0 });
    expect(flags.unexplainedLoss).toBe(true);
    expect(notes.join(' ')).toMatch(/3 of 200/);
  });

  it('does not flag a clean step', () => {
    expect(summariseStep(plan, [repeat(1), repeat(2)]).flags).toEqual({ generatorSaturated: false, unexplainedLoss: false });
  });

  it('flags a generator whose CPU reached the bound', () => {
    const busy = repeat(1, { ...calm, cpuPercent: GENERATOR_CPU_BOUND_PERCENT });
    const { flags, notes } = summariseStep(plan, [repeat(1), busy]);
    expect(flags.generatorSaturated).toBe(true);
    expect(notes.some((n) => n.startsWith('repeat 2: load generator saturated'))).toBe(true);
  });

  it('does not judge a busy-polling generator by its CPU, only by its event-loop delay', () => {
    const spinning = repeat(1, { ...calm, cpuPercent: 100 });
    expect(summariseStep(plan, [spinning], { busyPoll: true }).flags.generatorSaturated).toBe(false);
    const laggy = repeat(1, { ...calm, cpuPercent: 100, eventLoopDelayP99Ms: 40, eventLoopDelayP90Ms: GENERATOR_LOOP_DELAY_BOUND_MS });
    expect(summariseStep(plan, [laggy], { busyPoll: true }).flags.generatorSaturated).toBe(true);
  });

  it('flags a generator whose event-loop delay p99 reached the bound', () => {
    const laggy = repeat(1, { ...calm, eventLoopDelayP99Ms: 40, eventLoopDelayP90Ms: GENERATOR_LOOP_DELAY_BOUND_MS + 5 });
    const { flags, notes } = summariseStep(plan, [laggy]);
    expect(flags.generatorSaturated).toBe(true);
    expect(notes.join(' ')).toMatch(/event-loop delay p90 25.0 ms/);
  });

  it('does not flag one pause: a high loop-delay p99 with a calm p90 (a GC pause in a short window)', () => {
    const paused = repeat(1, { ...calm, eventLoopDelayP99Ms: 30, eventLoopDelayP90Ms: 1 });
    expect(summariseStep(plan, [paused]).flags.generatorSaturated).toBe(false);
  });

  it('stays unflagged just under both bounds', () => {
    const near = repeat(1, { ...calm, cpuPercent: GENERATOR_CPU_BOUND_PERCENT - 1, eventLoopDelayP99Ms: GENERATOR_LOOP_DELAY_BOUND_MS - 1, eventLoopDelayP90Ms: GENERATOR_LOOP_DELAY_BOUND_MS - 1 });
    expect(summariseStep(plan, [near]).flags.generatorSaturated).toBe(false);
  });

  it('omits a latency metric when no repeat recorded a value', () => {
    const empty = { ...repeat(1), histograms: { latency: createHistogram() } };
    expect(summariseStep(plan, [empty]).metrics.latency).toBeUndefined();
  });

  it('builds set-up figures from set-up bytes and times', () => {
    const r: RepeatMeasurement = { values: { setupBytes: 500 }, histograms: { setupTime: histogramOf(100, 200) } };
    const { metrics } = summariseStep({ ...plan, scenario: 'connect' }, [r, { ...r, values: { setupBytes: 700 } }]);
    expect(metrics.setup?.bytes).toEqual({ median: 600, min: 500, max: 700 });
    expect(metrics.setup?.time?.count).toBe(202);
  });

  it('keeps the capacity of the median repeat whole', () => {
    const cap = (lastPassing: number | null): RepeatMeasurement => ({
      values: {},
      histograms: {},
      extra: { capacity: { dimension: 'clients', lastPassing, slaP95Ms: 500, steps: [] } },
    });
    const { metrics } = summariseStep({ ...plan, scenario: 'capacity' }, [cap(50), cap(null), cap(100)]);
    expect(metrics.capacity?.lastPassing).toBe(50);
  });

  it('turns autocannon figures per repeat into spreads', () => {
    const one = (rps: number): RepeatMeasurement => {
      const s = { median: rps, min: rps, max: rps };
      return { values: {}, histograms: {}, extra: { autocannon: { route: 'GET /poll', requestsPerSec: s, bytesPerRequest: s, latencyP50Ms: s, latencyP99Ms: s, errors: 1 } } };
    };
    const { metrics } = summariseStep({ ...plan, scenario: 'http-overhead' }, [one(10), one(30), one(20)]);
    expect(metrics.autocannon?.requestsPerSec).toEqual({ median: 20, min: 10, max: 30 });
    expect(metrics.autocannon?.errors).toBe(3);
  });
});
