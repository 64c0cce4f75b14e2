import { describe, expect, it } from 'vitest';
import { compareResults, type Finding } from '../../compare/compare.ts';
import { loadThresholds } from '../../compare/thresholds.ts';
import { comparisonPoint } from '../../results/comparison-point.ts';
import type { LatencyMetrics, OkStep, Results, Spread, StepResult } from '../../results/schema.ts';
import { LONG_POLLING_PUSH, TCP_PUSH, WS_PUSH, makeResults, okStepOf, stepId, PUSH_ID_PARTS, typicalRun, withStep, withoutStep, type Transport } from '../helpers/results-factory.ts';

/**
 * The COMMITTED compare/thresholds.json, judged on edits a broken tool or a broken transport would make to a
 * run: each edit must fail the build (or, for the noise the file is tuned to tolerate, must not), for the
 * reason the row names. The tests of compare.test.ts fix their own floors; these check the file CI uses.
 */

const loaded = loadThresholds();
const thresholds = loaded.thresholds;

const SSE_PUSH = stepId('push', 'sse', PUSH_ID_PARTS);
const pushId = (transport: Transport) => stepId('push', transport, PUSH_ID_PARTS);
const PUSH_TRANSPORTS: readonly Transport[] = ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp'];
/** The push step of short polling carries its poll interval in the id. */
const PUSH_IDS = (transports: readonly Transport[]) => transports.map((t) => (t === 'short-polling' ? `${pushId(t)}/poll=100` : pushId(t)));

const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** Three repeats per percentile whose median is the step's median, as bench/measure/summarise.ts records them. */
function withPerRepeat(latency: LatencyMetrics): LatencyMetrics {
  const three = (s: Spread) => [s.min, s.median, s.max];
  return { ...latency, perRepeat: { p50: three(latency.p50), p90: three(latency.p90), p99: three(latency.p99) } };
}

/** A deep copy of `run` with `change` applied to every ok step (re-validated against the results schema). */
function everyOkStep(run: Results, change: (step: OkStep) => StepResult | void): Results {
  const copy = structuredClone(run);
  copy.steps = copy.steps.map((step) => (step.status === 'ok' ? (change(step) ?? step) : step));
  return makeResults(copy.steps, { environment: copy.environment, profile: copy.profile });
}

/** The typical run of test/fixtures/compare/baseline.json, with per-repeat latency on every latency step. */
function baselineRun(): Results {
  return everyOkStep(typicalRun(), (step) => {
    if (step.metrics.latency) step.metrics.latency = withPerRepeat(step.metrics.latency);
  });
}

const times = (s: Spread, factor: number): Spread => ({ median: s.median * factor, min: s.min * factor, max: s.max * factor });

/** Every latency figure × factor: each percentile's median, min and max, and the per-repeat arrays. */
function scaleLatency(latency: LatencyMetrics, factor: number): LatencyMetrics {
  const perRepeat = latency.perRepeat;
  return {
    ...latency,
    p50: times(latency.p50, factor),
    p90: times(latency.p90, factor),
    p99: times(latency.p99, factor),
    p999: times(latency.p999, factor),
    max: times(latency.max, factor),
    mean: times(latency.mean, factor),
    ...(perRepeat ? { perRepeat: { p50: perRepeat.p50.map((v) => v * factor), p90: perRepeat.p90.map((v) => v * factor), p99: perRepeat.p99.map((v) => v * factor) } } : {}),
  };
}

/** One line per finding, enough to say what it is about: kind, verdict, what was judged, which step. */
function describeFinding(f: Finding): string {
  if (f.kind === 'metric') return `metric ${f.verdict} ${f.metric} ${f.stepId}`;
  if (f.kind === 'latency-ratio') return `latency-ratio ${f.verdict} ${f.percentile} ${f.stepId}`;
  return `step ${f.verdict} ${f.stepId}`;
}

const sorted = (lines: string[]) => [...lines].sort();

interface Row {
  name: string;
  current: (baseline: Results) => Results;
  failed: boolean;
  /** Exactly the findings of severity 'fail'. */
  fails: string[];
  /** Findings of severity 'warn' that must be among the warnings (others may be). */
  warns: string[];
}

const ROWS: Row[] = [
  { name: 'an identical copy', current: (b) => structuredClone(b), failed: false, fails: [], warns: [] },
  {
    name: 'every step with bytes/message (total and transport) × 2',
    current: (b) =>
      everyOkStep(b, (step) => {
        const bytes = step.metrics.bytesPerMessage;
        if (bytes) step.metrics.bytesPerMessage = { ...bytes, total: times(bytes.total, 2), transport: times(bytes.transport, 2) };
      }),
    failed: true,
    // Raw TCP's transport share is 1 B/message: doubled it moves 1 B, under the 2 B absolute floor.
    fails: [
      ...PUSH_IDS(PUSH_TRANSPORTS).map((id) => `metric regression bytesPerMessage.total ${id}`),
      ...PUSH_IDS(PUSH_TRANSPORTS.filter((t) => t !== 'tcp')).map((id) => `metric regression bytesPerMessage.transport ${id}`),
    ],
    warns: [],
  },
  {
    name: 'ws with every latency figure × 3',
    current: (b) => withStep(b, WS_PUSH, (step) => void (step.metrics.latency = scaleLatency(step.metrics.latency!, 3))),
    failed: true,
    fails: [`latency-ratio regression p50 ${WS_PUSH}`],
    warns: [`latency-ratio regression p99 ${WS_PUSH}`],
  },
  {
    name: 'every transport, raw TCP included, with every latency figure × 4 (a slower machine)',
    current: (b) => everyOkStep(b, (step) => void (step.metrics.latency &&= scaleLatency(step.metrics.latency, 4))),
    failed: false,
    fails: [],
    // Absolute latency regressed (warnOnly in the committed file); the ratios to raw TCP did not move.
    warns: PUSH_IDS(['ws', 'long-polling', 'short-polling']).map((id) => `metric regression latency.p50 ${id}`),
  },
  {
    name: 'raw TCP alone with every latency figure × 0.4 (the floor fell; no transport got slower)',
    current: (b) => withStep(b, TCP_PUSH, (step) => void (step.metrics.latency = scaleLatency(step.metrics.latency!, 0.4))),
    failed: false,
    // Every ratio to raw TCP rose 2.5×, but no transport's own latency rose: nothing to blame on them.
    fails: [],
    warns: [],
  },
  {
    name: 'short polling × 1.11 while raw TCP × 0.4 (a poll-bound latency drifted; the floor fell)',
    current: (b) => {
      const drifted = withStep(b, PUSH_IDS(['short-polling'])[0]!, (step) => void (step.metrics.latency = scaleLatency(step.metrics.latency!, 1.11)));
      return withStep(drifted, TCP_PUSH, (step) => void (step.metrics.latency = scaleLatency(step.metrics.latency!, 0.4)));
    },
    failed: false,
    // Its ratio rose 2.8× with no overlap, and every repeat of its own latency lies above the baseline's, but
    // its own best repeat rose 1.11×, under the 2× floor: a real run showed this (59.4 → 60.4 ms, raw TCP halved).
    fails: [],
    warns: [],
  },
  {
    name: 'ws × 3 in a run of one repeat (as the fault scenarios run)',
    current: (b) => {
      const oneRepeat = (latency: LatencyMetrics): LatencyMetrics => ({ ...latency, perRepeat: { p50: [latency.p50.median], p90: [latency.p90.median], p99: [latency.p99.median] } });
      const slower = withStep(b, WS_PUSH, (step) => void (step.metrics.latency = oneRepeat(scaleLatency(step.metrics.latency!, 3))));
      return withStep(slower, TCP_PUSH, (step) => void (step.metrics.latency = oneRepeat(step.metrics.latency!)));
    },
    failed: false,
    // One repeat lies above the baseline's by a coin flip: the rise is reported, as a warning.
    fails: [],
    warns: [`latency-ratio regression p50 ${WS_PUSH}`, `latency-ratio regression p99 ${WS_PUSH}`],
  },
  {
    name: 'one message lost in a push step',
    current: (b) =>
      withStep(b, WS_PUSH, (step) => {
        const d = step.metrics.delivery!;
        step.metrics.delivery = { ...d, delivered: d.delivered - 1, lost: 1 };
        step.flags.unexplainedLoss = true;
      }),
    failed: true,
    fails: [`step unexplained loss ${WS_PUSH}`],
    warns: [],
  },
  {
    name: 'delivered messages/s halved in a push step',
    current: (b) => withStep(b, LONG_POLLING_PUSH, (step) => void (step.metrics.deliveredPerSec = times(step.metrics.deliveredPerSec!, 0.5))),
    failed: true,
    fails: [`metric regression deliveredPerSec ${LONG_POLLING_PUSH}`],
    warns: [],
  },
  {
    name: 'one delivery doubled',
    current: (b) => withStep(b, WS_PUSH, (step) => void (step.metrics.delivery = { ...step.metrics.delivery!, duplicated: 1 })),
    failed: true,
    fails: [`step doubled or reordered ${WS_PUSH}`],
    warns: [],
  },
  {
    name: 'a step missing from the current run',
    current: (b) => withoutStep(b, SSE_PUSH),
    failed: true,
    fails: [`step missing ${SSE_PUSH}`],
    warns: [],
  },
];

describe('committed compare/thresholds.json', () => {
  it('is the file loadThresholds reads', () => {
    expect(loaded.source).toBe('compare/thresholds.json');
  });

  it('has a baseline the latency gate can judge: per-repeat figures that add up, raw TCP at the same point', () => {
    const baseline = baselineRun();
    const ws = okStepOf(baseline, WS_PUSH);
    const tcp = okStepOf(baseline, TCP_PUSH);
    expect(comparisonPoint(ws)).toBe(comparisonPoint(tcp));
    for (const step of [ws, tcp]) {
      const latency = step.metrics.latency!;
      for (const p of PERCENTILES) {
        expect(latency.perRepeat![p]).toHaveLength(3);
        expect([...latency.perRepeat![p]].sort((a, b) => a - b)[1]).toBe(latency[p].median);
      }
    }
    // Identical runs: every latency ratio is judged on paired repeats (the gate is not skipped), all pass, nothing warns.
    const result = compareResults(baseline, structuredClone(baseline), thresholds);
    const ratios = result.findings.filter((f) => f.kind === 'latency-ratio');
    expect(ratios.map((f) => f.stepId)).toEqual(expect.arrayContaining([WS_PUSH, LONG_POLLING_PUSH, SSE_PUSH]));
    expect(ratios.every((f) => f.severity === 'pass' && f.current.from === 'repeats' && f.baseline.from === 'repeats')).toBe(true);
    expect(result.findings.filter((f) => f.severity === 'warn' || f.severity === 'fail').map(describeFinding)).toEqual([]);
    expect(result.environmentWarning).toBeNull();
  });

  it.each(ROWS)('$name → failed $failed', ({ current, failed, fails, warns }) => {
    const baseline = baselineRun();
    const result = compareResults(baseline, current(baseline), thresholds);
    expect(result.failed).toBe(failed);
    expect(sorted(result.findings.filter((f) => f.severity === 'fail').map(describeFinding))).toEqual(sorted(fails));
    expect(result.findings.filter((f) => f.severity === 'warn').map(describeFinding)).toEqual(expect.arrayContaining(warns));
    // Every case keeps the checks within the run passing: a failure above comes from the findings alone.
    expect(result.ratioChecks.filter((r) => r.verdict !== 'pass').map((r) => r.check.id)).toEqual([]);
  });

  it('names the ws step, p50, against raw TCP when one transport slows down', () => {
    const baseline = baselineRun();
    const current = withStep(baseline, WS_PUSH, (step) => void (step.metrics.latency = scaleLatency(step.metrics.latency!, 3)));
    const result = compareResults(baseline, current, thresholds);
    const finding = result.findings.find((f) => f.kind === 'latency-ratio' && f.stepId === WS_PUSH && f.percentile === 'p50');
    expect(finding).toMatchObject({ kind: 'latency-ratio', severity: 'fail', verdict: 'regression', transport: 'ws', floorStepId: TCP_PUSH, current: { from: 'repeats' }, baseline: { from: 'repeats' } });
    expect(finding!.kind === 'latency-ratio' && finding!.rise).toBeCloseTo(3, 6);
    // The failure leads the sorted findings.
    expect(result.findings[0]).toBe(finding);
  });

  it('keeps every latency ratio unchanged when every transport slows down alike', () => {
    const baseline = baselineRun();
    const current = everyOkStep(baseline, (step) => void (step.metrics.latency &&= scaleLatency(step.metrics.latency, 4)));
    const result = compareResults(baseline, current, thresholds);
    const ratios = result.findings.filter((f) => f.kind === 'latency-ratio');
    // Five transports over raw TCP, each at p50 (fails) and p99 (warns).
    expect(ratios.length).toBe((PUSH_TRANSPORTS.length - 1) * 2);
    for (const f of ratios) expect(f).toMatchObject({ severity: 'pass', verdict: 'unchanged' });
    expect(result.findings.filter((f) => f.severity === 'warn').every((f) => f.kind === 'metric' && f.metric.startsWith('latency.'))).toBe(true);
  });
});
