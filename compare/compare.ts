import type { ErroredStep, Results, Spread, StepResult } from '../results/schema.ts';
import { environmentWarning } from './environment.ts';
import { METRIC_IDS, METRICS, type Better, type MetricId } from '../results/metrics.ts';
import { judgeLatencyRatios, type LatencyRatioFinding } from './latency-gate.ts';
import { judgeOutcomes } from './outcome-gate.ts';
import { evaluateRatioChecks, type RatioOutcome } from './ratio-checks.ts';
import { floorsFor, type MetricFloors, type Thresholds } from './thresholds.ts';
import { notRunHere } from '../protocol/tool-errors.ts';
import { polls } from '../protocol/transports.ts';

/**
 * The comparison itself, pure: baseline + current + thresholds → sorted findings and ratio-check outcomes.
 * Nothing here reads files or prints; markdown.ts renders the result and bin/commands/compare.ts runs it.
 */

/** fail: exit 1. warn: reported, does not fail. pass: a metric within tolerance or better. info: worth a line. */
export type Severity = 'fail' | 'warn' | 'pass' | 'info';

export interface MetricFinding {
  kind: 'metric';
  severity: Severity;
  verdict: 'regression' | 'improvement' | 'unchanged';
  stepId: string;
  metric: MetricId;
  label: string;
  unit: string;
  better: Better;
  baseline: Spread;
  current: Spread;
  /** current median − baseline median, in `unit` (sign as measured, not direction-adjusted). */
  difference: number;
  /** difference / |baseline median|; null when the baseline median is 0. */
  relativeChange: number | null;
  /** The largest of the noise band and the two floors, in `unit`. */
  tolerance: number;
  toleranceFrom: 'noise' | 'relative floor' | 'absolute floor';
}

export interface StepFinding {
  kind: 'step';
  severity: Severity;
  verdict:
    | 'newly errored'
    | 'still errored'
    | 'fixed'
    | 'missing'
    | 'new'
    | 'newly saturated'
    | 'generator saturated'
    | 'duplicate id'
    | 'unexplained loss'
    | 'doubled or reordered'
    | 'lost after a drop'
    | 'lost after a restart'
    | 'lost after a node kill'
    | 'slow consumer kept'
    | 'hostile input not handled';
  stepId: string;
  message: string;
}

export type Finding = MetricFinding | StepFinding | LatencyRatioFinding;

export interface RunLabel {
  profile: string;
  commit: string | null;
  node: string;
  cpu: string;
}

export interface Comparison {
  /** Non-null when the two runs come from different machines. */
  environmentWarning: string | null;
  baseline: RunLabel;
  current: RunLabel;
  /** Sorted: failures first (errored steps, then regressions by size), then warnings, improvements, the rest. */
  findings: Finding[];
  ratioChecks: RatioOutcome[];
  failed: boolean;
}

/** Metrics that count bytes: what the transport puts on the wire does not depend on a saturated generator. */
const BYTE_METRICS: ReadonlySet<MetricId> = new Set(['bytesPerMessage.total', 'bytesPerMessage.transport', 'setup.bytes']);
/**
 * Closed-loop steps drive the server as fast as the load process can (a connection storm, HTTP requests
 * back to back): their generator runs near a full core by design, so its saturation flips from run to run
 * and only warns.
 */
const CLOSED_LOOP: ReadonlySet<string> = new Set(['connect', 'http-overhead']);
/** The figures of a capacity or ceiling search. */
const SEARCH_METRICS: ReadonlySet<MetricId> = new Set(['capacity.lastPassing', 'capacity.deliveredPerSec']);

/** Judges one metric of one step: a regression only when the current median is worse by more than the tolerance. */
export function judgeMetric(better: Better, floors: MetricFloors, spreadFactor: number, baseline: Spread, current: Spread) {
  const difference = current.median - baseline.median;
  const worseBy = better === 'lower' ? difference : -difference;
  const bands = [
    { from: 'noise', size: spreadFactor * (baseline.max - baseline.min + (current.max - current.min)) },
    { from: 'relative floor', size: floors.relativeFloor * Math.abs(baseline.median) },
    { from: 'absolute floor', size: floors.absoluteFloor },
  ] as const;
  const widest = bands.reduce((a, b) => (b.size > a.size ? b : a));
  // A change exactly as large as the tolerance is inside it; the margin keeps float rounding (31.6 vs 31.600000000000023) from deciding.
  const limit = widest.size * (1 + 1e-9) + 1e-12;
  const verdict: MetricFinding['verdict'] = worseBy > limit ? 'regression' : -worseBy > limit ? 'improvement' : 'unchanged';
  return {
    verdict,
    difference,
    relativeChange: baseline.median === 0 ? null : difference / Math.abs(baseline.median),
    tolerance: widest.size,
    toleranceFrom: widest.from,
  };
}

function label(run: Results): RunLabel {
  const env = run.environment;
  return { profile: run.profile, commit: env.gitCommit ? env.gitCommit.slice(0, 7) : null, node: env.node, cpu: `${env.cpuModel.trim()} × ${env.cpuCount}` };
}

function errorOf(step: ErroredStep): string {
  return `${step.error.code}: ${step.error.message}`;
}

function compareSteps(before: StepResult, after: StepResult, thresholds: Thresholds, machinesDiffer: boolean): Finding[] {
  const id = after.id;
  if (after.status === 'errored') {
    const why = errorOf(after);
    // Marked, not run (raw TCP in a browser; a profile's browser step without chromium): no failure of the transport.
    if (notRunHere(after.error.code)) {
      return before.status === 'ok'
        ? [{ kind: 'step', severity: 'warn', verdict: 'newly errored', stepId: id, message: `ok in the baseline, not run now (${why})` }]
        : [{ kind: 'step', severity: 'info', verdict: 'still errored', stepId: id, message: `not run in either run (${why})` }];
    }
    return before.status === 'ok'
      ? [{ kind: 'step', severity: thresholds.failOn.newlyErrored ? 'fail' : 'warn', verdict: 'newly errored', stepId: id, message: `ok in the baseline, errored now (${why})` }]
      : [{ kind: 'step', severity: 'warn', verdict: 'still errored', stepId: id, message: `errored in both runs (${why})` }];
  }
  if (before.status === 'errored') {
    return [{ kind: 'step', severity: 'info', verdict: 'fixed', stepId: id, message: 'errored in the baseline, ok now: no baseline figures to compare' }];
  }
  const findings: Finding[] = [];
  // A saturated generator measured itself: a change in such a step is no evidence about the transport.
  const saturated = after.flags.generatorSaturated || before.flags.generatorSaturated;
  if (after.flags.generatorSaturated && !before.flags.generatorSaturated && !CLOSED_LOOP.has(after.scenario)) {
    findings.push({ kind: 'step', severity: thresholds.failOn.newlySaturated ? 'fail' : 'warn', verdict: 'newly saturated', stepId: id, message: 'the load generator was saturated in the current run and not in the baseline: it hides every timing of the step, so the step itself regressed' });
  } else if (saturated) {
    const which = after.flags.generatorSaturated ? 'in both runs' : 'in the baseline';
    findings.push({ kind: 'step', severity: 'warn', verdict: 'generator saturated', stepId: id, message: `the load generator was saturated ${which}: its timings describe the generator, not the transport (bytes are still judged)` });
  }
  // A capacity or ceiling search that stopped on the generator's saturation found the generator's limit, not the transport's.
  const searchHitGenerator = before.metrics.capacity?.stoppedBy === 'generator' || after.metrics.capacity?.stoppedBy === 'generator';
  if (searchHitGenerator) {
    findings.push({ kind: 'step', severity: 'warn', verdict: 'generator saturated', stepId: id, message: 'the search stopped where the load generator saturated (in one run or both): its limit is the generator\'s, so a change of it only warns' });
  }
  // Polling clients in Chromium batch as many messages into an answer as arrived during its slower poll cycle,
  // so their bytes per message follow Chromium's timing (366-488 B a message for long polling in ten smoke runs
  // here) and only warn; a Node client's poll takes one message, and its bytes stay gated.
  const browserBatchesPolls = after.params.clientRuntime === 'browser' && polls(after.transport);
  for (const metricId of METRIC_IDS) {
    const metric = METRICS[metricId];
    const floors = floorsFor(thresholds, metricId);
    const baseline = metric.read(before.metrics);
    const current = metric.read(after.metrics);
    if (!floors.enabled || baseline === undefined || current === undefined) continue;
    const judged = judgeMetric(metric.better, floors, thresholds.spreadFactor, baseline, current);
    const timingOfSaturatedStep = (saturated && !BYTE_METRICS.has(metricId)) || (SEARCH_METRICS.has(metricId) && searchHitGenerator);
    const batchedByBrowser = browserBatchesPolls && (metricId === 'bytesPerMessage.total' || metricId === 'bytesPerMessage.transport');
    const severity: Severity = judged.verdict !== 'regression' ? 'pass' : timingOfSaturatedStep || batchedByBrowser || floors.warnOnly || (machinesDiffer && thresholds.environmentMismatch === 'ratio-only') ? 'warn' : 'fail';
    findings.push({ kind: 'metric', severity, stepId: id, metric: metricId, label: metric.label, unit: metric.unit, better: metric.better, baseline, current, ...judged });
  }
  return findings;
}

function rank(finding: Finding): number {
  if (finding.severity === 'fail') return finding.kind === 'step' ? 0 : 1;
  if (finding.severity === 'warn') return finding.kind === 'step' ? 3 : 2;
  if (finding.kind === 'metric') return finding.verdict === 'improvement' ? 4 : 6;
  return 5;
}

function size(finding: Finding): number {
  if (finding.kind === 'step') return 0;
  if (finding.kind === 'latency-ratio') return finding.rise;
  return finding.relativeChange === null ? (finding.difference === 0 ? 0 : Infinity) : Math.abs(finding.relativeChange);
}

/** Across machines with `ratio-only`, baseline judgements only warn; the latency gate is one (it compares with the baseline's ratio). */
function machinesDifferFail(warning: string | null, thresholds: Thresholds): boolean {
  return warning !== null && thresholds.environmentMismatch === 'ratio-only';
}

// Code-unit order, not locale order: the table must read the same on every machine.
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byImportance(a: Finding, b: Finding): number {
  const metricOrder = (f: Finding) => (f.kind === 'metric' ? METRIC_IDS.indexOf(f.metric) : f.kind === 'latency-ratio' ? METRIC_IDS.length : -1);
  return rank(a) - rank(b) || size(b) - size(a) || byText(a.stepId, b.stepId) || metricOrder(a) - metricOrder(b);
}

/** Ids are meant to be unique; a repeated one would silently hide a step, so say so. */
function duplicates(run: Results, which: string): StepFinding[] {
  const counts = new Map<string, number>();
  for (const step of run.steps) counts.set(step.id, (counts.get(step.id) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([id, count]) => ({ kind: 'step', severity: 'warn', verdict: 'duplicate id', stepId: id, message: `appears ${count} times in the ${which}; the last one is compared` }));
}

export function compareResults(baseline: Results, current: Results, thresholds: Thresholds): Comparison {
  const warning = environmentWarning(baseline, current);
  const kept = (step: StepResult) => !thresholds.ignoreSteps.some((prefix) => step.id.startsWith(prefix));
  const before = new Map(baseline.steps.filter(kept).map((step) => [step.id, step]));
  const after = new Map(current.steps.filter(kept).map((step) => [step.id, step]));

  const findings: Finding[] = [...duplicates(baseline, 'baseline'), ...duplicates(current, 'current run')];
  for (const [id, step] of after) {
    const old = before.get(id);
    if (old) {
      findings.push(...compareSteps(old, step, thresholds, warning !== null));
    } else {
      const errored = step.status === 'errored' && !notRunHere(step.error.code);
      findings.push({ kind: 'step', severity: errored ? 'warn' : 'info', verdict: 'new', stepId: id, message: step.status === 'errored' ? `not in the baseline, and errored now (${errorOf(step)})` : 'not in the baseline: nothing to compare' });
    }
  }
  for (const id of before.keys()) {
    if (!after.has(id)) {
      findings.push({ kind: 'step', severity: thresholds.failOn.missingStep ? 'fail' : 'warn', verdict: 'missing', stepId: id, message: 'in the baseline, not in the current run' });
    }
  }
  findings.push(...judgeOutcomes(current, thresholds));
  // Latency against the raw TCP floor of the same run: a slower machine moves both, one slow transport its ratio alone.
  const gate = thresholds.latencyRatio;
  if (gate.enabled) findings.push(...judgeLatencyRatios(baseline, current, gate).map((f) => (f.severity === 'fail' && machinesDifferFail(warning, thresholds) ? { ...f, severity: 'warn' as const } : f)));
  findings.sort(byImportance);

  const ratioChecks = evaluateRatioChecks(current, thresholds.ratioChecks);
  const failed = findings.some((f) => f.severity === 'fail') || ratioChecks.some((r) => r.verdict === 'fail' && r.check.severity === 'fail');
  return { environmentWarning: warning, baseline: label(baseline), current: label(current), findings, ratioChecks, failed };
}
