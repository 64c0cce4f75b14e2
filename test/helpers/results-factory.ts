import * as hdr from 'hdr-histogram-js';
import { RESULTS_SCHEMA_VERSION, resultsSchema, type Environment, type ErroredStep, type LatencyMetrics, type OkStep, type Results, type Spread, type StepFlags, type StepMetrics, type StepResult } from '../../results/schema.ts';

/**
 * Builds valid Results objects for tests: a typical run with plausible figures per transport, and small
 * helpers to change one step. Everything is fixed (timestamps, commit), so tables built from it are stable.
 * makeResults validates against results/schema.ts, so a fixture cannot drift from the format unnoticed.
 */

export type Transport = StepResult['transport'];
export type Scenario = StepResult['scenario'];

/** A spread around `median`, ± `relativeWidth` of it (rounded to 0.01 so tables read cleanly). */
export function spread(median: number, relativeWidth = 0.05): Spread {
  const round = (value: number) => Math.round(value * 100) / 100;
  return { median, min: round(median * (1 - relativeWidth)), max: round(median * (1 + relativeWidth)) };
}

/** Latency figures in µs shaped from p50 and p99, with a real (decodable) histogram of 2,400 samples. */
export function latency(p50: number, p99: number, relativeWidth = 0.05): LatencyMetrics {
  const p90 = Math.round((p50 + p99) / 2);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  histogram.recordValueWithCount(p50, 2_160);
  histogram.recordValueWithCount(p90, 216);
  histogram.recordValueWithCount(p99, 24);
  return {
    unit: 'us',
    count: 2_400,
    p50: spread(p50, relativeWidth),
    p90: spread(p90, relativeWidth),
    p99: spread(p99, relativeWidth),
    p999: spread(p99 * 2, relativeWidth),
    max: spread(p99 * 3, relativeWidth),
    mean: spread(Math.round(p50 * 1.2), relativeWidth),
    histogram: hdr.encodeIntoCompressedBase64(histogram),
  };
}

export function makeEnvironment(overrides: Partial<Environment> = {}): Environment {
  return {
    node: 'v20.19.0',
    v8: '11.3.244.8-node.29',
    platform: 'linux',
    arch: 'x64',
    osRelease: '6.8.0',
    cpuModel: 'Reference CPU @ 3.00GHz',
    cpuCount: 2,
    totalMemoryBytes: 8 * 1024 ** 3,
    packages: { ws: '8.23.0', 'socket.io': '4.8.4', fastify: '5.12.8' },
    gitCommit: '0123456789abcdef0123456789abcdef01234567',
    gitDirty: false,
    ci: false,
    ...overrides,
  };
}

export interface StepInit {
  scenario: Scenario;
  transport: Transport;
  params?: StepResult['params'];
  /** The parts of the id after scenario/transport, as the scenarios spell them; default: the params. */
  idParts?: Record<string, number | string>;
  status?: StepResult['status'];
  error?: ErroredStep['error'];
  metrics?: StepMetrics;
  flags?: Partial<StepFlags>;
}

/** The id the way the harness spells it (bench/scenarios/common.ts): scenario/transport/key=value/… */
export function stepId(scenario: Scenario, transport: Transport, parts: Record<string, number | string | boolean>): string {
  return [scenario, transport, ...Object.entries(parts).map(([key, value]) => `${key}=${value}`)].join('/');
}

export function makeStep(init: StepInit): StepResult {
  const params = init.params ?? {};
  const base = { id: stepId(init.scenario, init.transport, init.idParts ?? params), scenario: init.scenario, transport: init.transport, params, notes: [] };
  if (init.status === 'errored') return { ...base, status: 'errored', error: init.error ?? { code: 'BENCH_ERR_SERVER_CRASHED', message: 'server exited with code 1' }, repeats: 0 };
  return { ...base, status: 'ok', repeats: 2, metrics: init.metrics ?? {}, flags: { generatorSaturated: false, unexplainedLoss: false, ...init.flags } };
}

export function makeResults(steps: StepResult[], options: { environment?: Partial<Environment>; profile?: string } = {}): Results {
  const ok = steps.filter((step) => step.status === 'ok').length;
  return resultsSchema.parse({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'transport-bench', version: '0.1.0' },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:45.000Z',
    profile: options.profile ?? 'smoke',
    config: { profile: options.profile ?? 'smoke', repeats: 2 },
    environment: makeEnvironment(options.environment),
    method: { clock: 'process.hrtime.bigint (CLOCK_MONOTONIC), shared by server and load processes' },
    steps,
    summary: { steps: steps.length, ok, errored: steps.length - ok, durationMs: 45_000 },
  });
}

/** Plausible push figures per transport on a 2-core machine: latency µs, bytes per delivered message. */
const PUSH: Record<Transport, { p50: number; p99: number; bytes: number; cpu: number }> = {
  tcp: { p50: 60, p99: 400, bytes: 110, cpu: 8 },
  ws: { p50: 90, p99: 600, bytes: 112, cpu: 10 },
  'socket-io': { p50: 150, p99: 900, bytes: 126, cpu: 14 },
  sse: { p50: 120, p99: 800, bytes: 131, cpu: 12 },
  'long-polling': { p50: 900, p99: 4_000, bytes: 260, cpu: 25 },
  'short-polling': { p50: 50_000, p99: 99_000, bytes: 190, cpu: 20 },
};

/** Id parts and params of a push step, as bench/scenarios/push.ts spells them (short polling adds its interval). */
export const PUSH_ID_PARTS = { rate: 200, clients: 4, payload: 64 } as const;
const PUSH_PARAMS = { rate: 200, clients: 4, payloadBytes: 64, rooms: 2 } as const;
const POLL_MS = 100;

export function pushStep(transport: Transport): StepResult {
  const figures = PUSH[transport];
  const polls = transport === 'short-polling';
  return makeStep({
    scenario: 'push',
    transport,
    idParts: polls ? { ...PUSH_ID_PARTS, poll: POLL_MS } : { ...PUSH_ID_PARTS },
    params: polls ? { ...PUSH_PARAMS, pollIntervalMs: POLL_MS } : { ...PUSH_PARAMS },
    metrics: {
      latency: latency(figures.p50, figures.p99),
      deliveredPerSec: spread(400, 0.01),
      delivery: { expected: 480, delivered: 480, lost: 0, duplicated: 0, outOfOrder: 0 },
      bytesPerMessage: { total: spread(figures.bytes, 0.01), payload: 64, envelope: 45, transport: spread(figures.bytes - 109, 0.01) },
      ...(transport.endsWith('polling') ? { emptyPollShare: spread(polls ? 0.1 : 0.02, 0.2) } : {}),
    },
  });
}

/** An idle step as bench/scenarios/idle.ts spells it. */
export function idleStep(transport: Transport, bytesPerMin: number): StepResult {
  const polls = transport === 'short-polling';
  return makeStep({
    scenario: 'idle',
    transport,
    idParts: { clients: 10, ms: 1_000, ...(polls ? { poll: POLL_MS } : {}) },
    params: { clients: 10, idleMs: 1_000, rooms: 2, ...(polls ? { pollIntervalMs: POLL_MS } : {}) },
    metrics: { idleBytesPerConnectionPerMin: spread(bytesPerMin, 0.02) },
  });
}

/** Set-up bytes per connection: no handshake for raw TCP, an HTTP upgrade for ws, Engine.IO + Socket.IO handshakes on top. */
const SETUP_BYTES: Record<Transport, number> = { tcp: 0, ws: 334, 'socket-io': 1_540, sse: 262, 'long-polling': 351, 'short-polling': 348 };

/** A connect step as bench/scenarios/connect.ts spells it. */
export function connectStep(transport: Transport): StepResult {
  const polls = transport === 'short-polling';
  return makeStep({
    scenario: 'connect',
    transport,
    idParts: { clients: 10, ...(polls ? { poll: POLL_MS } : {}) },
    params: { clients: 10, rooms: 2, ...(polls ? { pollIntervalMs: POLL_MS } : {}) },
    metrics: { setup: { bytes: spread(SETUP_BYTES[transport], 0.02), time: latency(transport === 'socket-io' ? 6_000 : 900, 3_000) } },
  });
}

export const ALL_TRANSPORTS: readonly Transport[] = ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp'];

/** A run with a push and a connect step per transport and idle steps for ws and short polling: every default ratio check passes. */
export function typicalRun(options: { transports?: readonly Transport[]; environment?: Partial<Environment> } = {}): Results {
  const transports = options.transports ?? ALL_TRANSPORTS;
  const steps = [...transports.map(pushStep), ...transports.map(connectStep)];
  if (transports.includes('ws')) steps.push(idleStep('ws', 0));
  if (transports.includes('short-polling')) steps.push(idleStep('short-polling', 180_000));
  return makeResults(steps, { environment: options.environment });
}

/** A deep copy of `run` with the step `id` changed by `change`; throws when no step has that id. */
export function withStep(run: Results, id: string, change: (step: OkStep) => StepResult | void): Results {
  const copy = structuredClone(run);
  const index = copy.steps.findIndex((step) => step.id === id);
  if (index < 0) throw new Error(`no step ${id} in the run (have ${copy.steps.map((s) => s.id).join(', ')})`);
  const step = copy.steps[index]!;
  if (step.status !== 'ok') throw new Error(`step ${id} is errored: withStep changes ok steps`);
  copy.steps[index] = change(step) ?? step;
  return makeResults(copy.steps, { environment: copy.environment, profile: copy.profile });
}

/** The errored row an ok step would have been: same id and params, the error, no figures. */
export function erroredVersion(step: StepResult, error: ErroredStep['error']): ErroredStep {
  return { id: step.id, scenario: step.scenario, transport: step.transport, params: step.params, status: 'errored', error, repeats: 0, notes: step.notes };
}

/** The step `id` of `run` as an ok row (a test fixture's own step: throws when it is errored). */
export function okStepOf(run: Results, id: string): OkStep {
  const step = run.steps.find((s) => s.id === id);
  if (!step || step.status !== 'ok') throw new Error(`no ok step ${id} in the run`);
  return step;
}

/** A deep copy of `run` without the step `id`. */
export function withoutStep(run: Results, id: string): Results {
  return makeResults(
    run.steps.filter((step) => step.id !== id).map((step) => structuredClone(step)),
    { environment: run.environment, profile: run.profile },
  );
}

export const WS_PUSH = stepId('push', 'ws', PUSH_ID_PARTS);
export const TCP_PUSH = stepId('push', 'tcp', PUSH_ID_PARTS);
export const LONG_POLLING_PUSH = stepId('push', 'long-polling', PUSH_ID_PARTS);

/** `results` with the ok step `id` replaced by what `change` makes of it (a shallow copy, not re-validated). */
export function mapStep(results: Results, id: string, change: (step: OkStep) => StepResult): Results {
  return { ...results, steps: results.steps.map((s) => (s.id === id && s.status === 'ok' ? change(s) : s)) };
}
