import type { LatencyMetrics, ResourceMetrics, Spread, StepMetrics } from '../../results/schema.ts';
import { encodeHistogram, mergeHistograms, percentiles, type Histogram } from './histogram.ts';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import type { BrowserCpuSample } from '../browser/browser-cpu.ts';
import type { RepeatMeasurement, SpreadMetricName } from './repeat-measurement.ts';
import { sumDelivery } from './sequence-tracker.ts';
import { summariseReliability } from './summarise-reliability.ts';

/**
 * Turns the repeats of one step into its StepMetrics: one number per repeat becomes a median with
 * min–max; latency percentiles are taken per repeat and summarised the same way, while the stored
 * histogram merges every repeat (exact); delivery counts are summed.
 */

/**
 * The load generator counts as saturated when, in any repeat, its CPU reached 90 % of one core or its
 * event-loop delay p90 reached 20 ms: past either, receive stamps wait on the generator itself and the
 * figures describe the load process rather than the transport. p90, not p99: in a window of a few hundred
 * ms the p99 is in effect the maximum, so one 25 ms GC pause would flag an otherwise idle generator; lag in
 * a tenth of the samples is sustained. With --busy-poll the CPU bound is not used:
 * the spin keeps the CPU at ~100 % whatever the load, and a loaded generator shows as loop delay instead.
 */
export const GENERATOR_CPU_BOUND_PERCENT = 90;
export const GENERATOR_LOOP_DELAY_BOUND_MS = 20;

export interface StepSummary {
  metrics: StepMetrics;
  flags: { generatorSaturated: boolean; unexplainedLoss: boolean };
  notes: string[];
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

const SPREAD_METRICS = [
  'deliveredPerSec',
  'publishedPerSec',
  'emptyPollShare',
  'requestsPerSec',
  'idleBytesPerConnectionPerMin',
  'memoryPerConnectionBytes',
  'proxyCpuPercent',
  'browserCpuPercent',
  'browserBusiestThreadPercent',
  'browserPollInFlightMs',
  'browserPollTurnMs',
  'clientErrors',
] as const satisfies readonly SpreadMetricName[];

export interface SummariseOptions {
  /** The load process was busy-polling (bench/run/busy-poll.ts): its CPU reads ~100 % by design, so only loop delay counts. */
  busyPoll?: boolean;
}

export function summariseStep(plan: { id: string; scenario: string }, repeats: RepeatMeasurement[], options: SummariseOptions = {}): StepSummary {
  const metrics: StepMetrics = {};
  const notes: string[] = [];
  const valuesOf = (name: SpreadMetricName): number[] =>
    repeats.map((r) => r.values[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

  for (const name of SPREAD_METRICS) {
    const values = valuesOf(name);
    if (values.length > 0) metrics[name] = spread(values);
  }

  for (const name of ['latency', 'latencyUncorrected', 'schedulerLag', 'echo'] as const) {
    const latency = summariseLatency(repeats.map((r) => r.histograms[name]));
    if (latency) metrics[name] = latency;
  }

  const setupBytes = valuesOf('setupBytes');
  const setupTime = summariseLatency(repeats.map((r) => r.histograms.setupTime));
  if (setupBytes.length > 0) metrics.setup = { bytes: spread(setupBytes), ...(setupTime ? { time: setupTime } : {}) };
  else if (setupTime) notes.push('set-up time measured without set-up bytes');

  const withDelivery = repeats.flatMap((r) => (r.delivery ? [r.delivery] : []));
  if (withDelivery.length > 0) metrics.delivery = sumDelivery(withDelivery);

  const totals = valuesOf('bytesPerMessage');
  const transports = valuesOf('transportBytesPerMessage');
  const splits = repeats.flatMap((r) => (r.bytes ? [r.bytes] : []));
  if (totals.length > 0 && transports.length > 0 && splits.length > 0) {
    metrics.bytesPerMessage = {
      total: spread(totals),
      payload: spread(splits.map((s) => s.payload)).median,
      envelope: spread(splits.map((s) => s.envelope)).median,
      transport: spread(transports),
    };
  }

  const server = summariseResources(repeats.map((r) => r.server));
  if (server) metrics.server = server;
  const generator = summariseResources(repeats.map((r) => r.generator));
  if (generator) metrics.generator = generator;

  Object.assign(metrics, pickExtra(repeats, notes));

  const reliability = summariseReliability(
    repeats.flatMap((r) => (r.reliability ? [r.reliability] : [])),
    repeats.map((r) => r.histograms.reconnect),
    { spread, latency: summariseLatency },
  );
  if (reliability) metrics.reliability = reliability;

  const saturated = repeats.map((r, i) => ({ i, why: [saturation(r.generator, options), browserSaturation(r.browser)].filter(Boolean).join(', ') || undefined })).filter((s) => s.why !== undefined);
  for (const s of saturated) notes.push(`repeat ${s.i + 1}: load generator saturated (${s.why})`);

  const lost = metrics.delivery?.lost ?? 0;
  // drop and crash lose messages because of the fault they inject: reported, not flagged as unexplained.
  // (slow-consumer's delivery covers the clients that kept reading: a loss there is unexplained.)
  const injected = lost > 0 && (plan.scenario === 'drop' || plan.scenario === 'crash' || plan.scenario === 'node-kill' || plan.scenario === 'redis-restart');
  if (injected) notes.push(`${lost} of ${metrics.delivery!.expected} expected deliveries lost after the injected ${plan.scenario}`);
  else if (lost > 0) notes.push(`${lost} of ${metrics.delivery!.expected} expected deliveries lost with no fault injected`);

  for (const r of repeats) for (const note of r.notes ?? []) if (!notes.includes(note)) notes.push(note);
  if (repeats.length === 0) notes.push(`${plan.id}: no repeat measured`);

  return { metrics, flags: { generatorSaturated: saturated.length > 0, unexplainedLoss: lost > 0 && !injected }, notes };
}

/** Per-repeat percentiles summarised across repeats, plus the merged histogram; undefined when nothing was recorded. */
export function summariseLatency(histograms: readonly (Histogram | undefined)[]): LatencyMetrics | undefined {
  const present = histograms.filter((h): h is Histogram => h !== undefined && h.totalCount > 0);
  if (present.length === 0) return undefined;
  const each = present.map(percentiles);
  const merged = mergeHistograms(present);
  // Per repeat only when every repeat has figures, so index r is repeat r (the round it ran in).
  const aligned = present.length === histograms.length;
  return {
    unit: 'us',
    count: merged.totalCount,
    p50: spread(each.map((p) => p.p50)),
    p90: spread(each.map((p) => p.p90)),
    p99: spread(each.map((p) => p.p99)),
    p999: spread(each.map((p) => p.p999)),
    max: spread(each.map((p) => p.max)),
    mean: spread(each.map((p) => p.mean)),
    histogram: encodeHistogram(merged),
    ...(aligned ? { perRepeat: { p50: each.map((p) => p.p50), p90: each.map((p) => p.p90), p99: each.map((p) => p.p99) } } : {}),
  };
}

function summariseResources(samples: readonly (ResourceSample | undefined)[]): ResourceMetrics | undefined {
  const present = samples.filter((s): s is ResourceSample => s !== undefined);
  if (present.length === 0) return undefined;
  return {
    cpuPercent: spread(present.map((s) => s.cpuPercent)),
    rssBytes: spread(present.map((s) => s.rssBytes)),
    heapUsedBytes: spread(present.map((s) => s.heapUsedBytes)),
    eventLoopUtilisation: spread(present.map((s) => s.eventLoopUtilisation)),
    eventLoopDelayP99Ms: spread(present.map((s) => s.eventLoopDelayP99Ms)),
    publisherWaitPercent: spread(present.map((s) => s.publisherWaitPercent ?? 0)),
  };
}

/** Why the browser the clients ran in counts as saturated: its busiest thread (a page's JavaScript runs on one) at the CPU bound. */
export function browserSaturation(sample: BrowserCpuSample | undefined): string | undefined {
  if (!sample || sample.busiestThreadPercent < GENERATOR_CPU_BOUND_PERCENT) return undefined;
  return `Chromium's busiest thread (${sample.busiestThread}) at ${sample.busiestThreadPercent.toFixed(0)} % of a core ≥ ${GENERATOR_CPU_BOUND_PERCENT} %`;
}

/** Why a generator sample counts as saturated, or undefined when it does not. */
export function saturation(sample: ResourceSample | undefined, options: SummariseOptions = {}): string | undefined {
  if (!sample) return undefined;
  const reasons: string[] = [];
  if (!options.busyPoll && sample.cpuPercent >= GENERATOR_CPU_BOUND_PERCENT) reasons.push(`CPU ${sample.cpuPercent.toFixed(0)} % ≥ ${GENERATOR_CPU_BOUND_PERCENT} %`);
  const lag = sample.eventLoopDelayP90Ms;
  if (lag >= GENERATOR_LOOP_DELAY_BOUND_MS) reasons.push(`event-loop delay p90 ${lag.toFixed(1)} ms ≥ ${GENERATOR_LOOP_DELAY_BOUND_MS} ms`);
  return reasons.length > 0 ? reasons.join(', ') : undefined;
}

/**
 * Whole metrics a scenario built itself. Capacity: the repeat with the median lastPassing is kept whole
 * (its steps belong together). Autocannon: each repeat's single figures become spreads across repeats.
 */
function pickExtra(repeats: readonly RepeatMeasurement[], notes: string[]): Pick<StepMetrics, 'capacity' | 'autocannon'> {
  const out: Pick<StepMetrics, 'capacity' | 'autocannon'> = {};
  const capacities = repeats.flatMap((r) => (r.extra?.capacity ? [r.extra.capacity] : []));
  if (capacities.length > 0) {
    const ranked = [...capacities].sort((a, b) => (a.lastPassing ?? -1) - (b.lastPassing ?? -1));
    out.capacity = ranked[(ranked.length - 1) >> 1];
    if (capacities.length > 1) notes.push(`capacity per repeat: ${capacities.map((c) => c.lastPassing ?? 'none').join(', ')} (the median repeat is shown)`);
  }
  const cannons = repeats.flatMap((r) => (r.extra?.autocannon ? [r.extra.autocannon] : []));
  if (cannons.length > 0) {
    const first = cannons[0];
    const join = (get: (a: typeof first) => Spread): Spread => spread(cannons.map((a) => get(a).median));
    out.autocannon = {
      route: first.route,
      requestsPerSec: join((a) => a.requestsPerSec),
      bytesPerRequest: join((a) => a.bytesPerRequest),
      latencyP50Ms: join((a) => a.latencyP50Ms),
      latencyP99Ms: join((a) => a.latencyP99Ms),
      errors: cannons.reduce((n, a) => n + a.errors, 0),
    };
  }
  return out;
}
