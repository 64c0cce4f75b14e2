import type { Spread, StepMetrics } from './schema.ts';

/**
 * The metrics compare judges: where each lives in a step's metrics, its unit, which direction is better,
 * and its default noise floors. A metric a step does not carry is simply not compared for that step.
 *
 * Left out on purpose: `requestsPerSec` (more requests is throughput in http-overhead but cost in a polling
 * push, so it has no direction), p99.9 and max (a single outlier decides them), the uncorrected latency and
 * scheduler lag (they describe the generator, not the transport), and generator resources.
 */

export type Better = 'lower' | 'higher';

export interface MetricDef {
  /** Stable id, used in the thresholds file and ratio checks. */
  readonly id: string;
  /** Words for tables and messages. */
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** Default relative floor: a change smaller than this fraction of the baseline median is never a regression. */
  readonly relativeFloor: number;
  /** Default absolute floor, in `unit`: a change smaller than this is never a regression (guards near-zero baselines). */
  readonly absoluteFloor: number;
  readonly read: (metrics: StepMetrics) => Spread | undefined;
}

const MiB = 1024 * 1024;

/** A single figure (not measured per repeat) seen as a spread with no width. */
function point(value: number): Spread {
  return { median: value, min: value, max: value };
}

export const METRIC_IDS = [
  'latency.p50',
  'latency.p90',
  'latency.p99',
  'setup.time.p50',
  'deliveredPerSec',
  'bytesPerMessage.total',
  'bytesPerMessage.transport',
  'setup.bytes',
  'emptyPollShare',
  'idleBytesPerConnectionPerMin',
  'memoryPerConnectionBytes',
  'server.cpuPercent',
  'server.rssBytes',
  'capacity.lastPassing',
  'capacity.deliveredPerSec',
  'autocannon.requestsPerSec',
  'autocannon.latencyP99Ms',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

// Floors are sized for a shared 2-core machine. Two back-to-back smoke runs of one commit there differed by up
// to 1.8× at p50, 3× at p90, 4× at p99, 7× in set-up time and 3× in server CPU, with tight spreads inside each
// run, while bytes moved 0–12 % (ws set-up bytes 455–503 B): timing floors only catch gross regressions, bytes small ones.
export const METRICS: Readonly<Record<MetricId, MetricDef>> = {
  'latency.p50': { id: 'latency.p50', label: 'latency p50', unit: 'µs', better: 'lower', relativeFloor: 1, absoluteFloor: 200, read: (m) => m.latency?.p50 },
  'latency.p90': { id: 'latency.p90', label: 'latency p90', unit: 'µs', better: 'lower', relativeFloor: 2, absoluteFloor: 500, read: (m) => m.latency?.p90 },
  'latency.p99': { id: 'latency.p99', label: 'latency p99', unit: 'µs', better: 'lower', relativeFloor: 4, absoluteFloor: 1_000, read: (m) => m.latency?.p99 },
  'setup.time.p50': { id: 'setup.time.p50', label: 'connection set-up time p50', unit: 'µs', better: 'lower', relativeFloor: 9, absoluteFloor: 5_000, read: (m) => m.setup?.time?.p50 },
  deliveredPerSec: { id: 'deliveredPerSec', label: 'delivered messages/s', unit: 'msg/s', better: 'higher', relativeFloor: 0.05, absoluteFloor: 1, read: (m) => m.deliveredPerSec },
  'bytesPerMessage.total': { id: 'bytesPerMessage.total', label: 'bytes/message', unit: 'B', better: 'lower', relativeFloor: 0.1, absoluteFloor: 2, read: (m) => m.bytesPerMessage?.total },
  'bytesPerMessage.transport': { id: 'bytesPerMessage.transport', label: 'transport bytes/message', unit: 'B', better: 'lower', relativeFloor: 0.15, absoluteFloor: 2, read: (m) => m.bytesPerMessage?.transport },
  'setup.bytes': { id: 'setup.bytes', label: 'set-up bytes/connection', unit: 'B', better: 'lower', relativeFloor: 0.15, absoluteFloor: 32, read: (m) => m.setup?.bytes },
  emptyPollShare: { id: 'emptyPollShare', label: 'empty poll share', unit: 'share', better: 'lower', relativeFloor: 0.25, absoluteFloor: 0.05, read: (m) => m.emptyPollShare },
  idleBytesPerConnectionPerMin: { id: 'idleBytesPerConnectionPerMin', label: 'idle bytes/connection/min', unit: 'B', better: 'lower', relativeFloor: 0.2, absoluteFloor: 64, read: (m) => m.idleBytesPerConnectionPerMin },
  memoryPerConnectionBytes: { id: 'memoryPerConnectionBytes', label: 'server memory/connection', unit: 'B', better: 'lower', relativeFloor: 1, absoluteFloor: 65_536, read: (m) => m.memoryPerConnectionBytes },
  'server.cpuPercent': { id: 'server.cpuPercent', label: 'server CPU', unit: '%', better: 'lower', relativeFloor: 2.5, absoluteFloor: 15, read: (m) => m.server?.cpuPercent },
  'server.rssBytes': { id: 'server.rssBytes', label: 'server RSS', unit: 'B', better: 'lower', relativeFloor: 0.25, absoluteFloor: 8 * MiB, read: (m) => m.server?.rssBytes },
  // No client count passed the SLA: treat as zero passing, so losing every step reads as a drop.
  'capacity.lastPassing': { id: 'capacity.lastPassing', label: 'capacity (last passing step)', unit: '', better: 'higher', relativeFloor: 0.5, absoluteFloor: 0, read: (m) => (m.capacity ? point(m.capacity.lastPassing ?? 0) : undefined) },
  // ceiling's figure: delivered messages/s at the last rate that passed (a point: the median repeat's search).
  'capacity.deliveredPerSec': { id: 'capacity.deliveredPerSec', label: 'throughput ceiling (delivered/s at the last passing step)', unit: 'msg/s', better: 'higher', relativeFloor: 0.6, absoluteFloor: 0, read: (m) => (m.capacity?.deliveredPerSec !== undefined ? point(m.capacity.deliveredPerSec ?? 0) : undefined) },
  'autocannon.requestsPerSec': { id: 'autocannon.requestsPerSec', label: 'autocannon requests/s', unit: 'req/s', better: 'higher', relativeFloor: 0.5, absoluteFloor: 100, read: (m) => m.autocannon?.requestsPerSec },
  'autocannon.latencyP99Ms': { id: 'autocannon.latencyP99Ms', label: 'autocannon latency p99', unit: 'ms', better: 'lower', relativeFloor: 2, absoluteFloor: 1, read: (m) => m.autocannon?.latencyP99Ms },
};
