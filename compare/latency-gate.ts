import { comparisonPoint } from '../results/comparison-point.ts';
import type { LatencyMetrics, OkStep, Results } from '../results/schema.ts';
import type { TransportName } from '../protocol/transports.ts';

/**
 * The latency gate, which holds on a noisy machine: each transport's latency is taken relative to the raw TCP
 * floor measured in the same run at the same comparison point (the repeats of a point run interleaved in
 * rounds, so repeat r of a transport and repeat r of raw TCP shared the machine's mood). A slower machine
 * moves both alike and leaves the ratio; one slow transport moves its ratio alone.
 *
 * A transport's ratio regresses when, against the baseline's ratio at the same point,
 * - its median rose by at least the factor floor (default 2×), and
 * - every current repeat's ratio lies above every baseline repeat's ratio (no overlap: a one-sided rank test
 *   at its most extreme, p = 1/C(n+m, n) for n and m repeats). Without per-repeat figures in either file (an
 *   older file, one edited by hand) the factor floor decides alone, on the medians; and
 * - the transport's own latency rose by the factor floor too, best repeat against best repeat (noise on a
 *   shared machine only ever adds time, so the least disturbed repeat is the fairest figure; without per-repeat
 *   figures, the medians). A ratio can also double because the floor fell: a short poll's ~60 ms sits still
 *   while raw TCP's 150-600 µs halves between runs, and that is not the transport's doing.
 * docs/compare.md gives the rule and the false-alarm rate measured on this machine.
 */

export type GatedPercentile = 'p50' | 'p90' | 'p99';

export interface LatencyRatio {
  /** Median of the per-repeat ratios. */
  median: number;
  /** Every ratio the rule compares: one per repeat, or the two ends the spreads allow when repeats are missing. */
  low: number;
  high: number;
  /** How the ratio was taken: paired repeats, or the spreads (older files, or repeats that do not add up). */
  from: 'repeats' | 'spreads';
  /** Paired repeats behind it (0 from the spreads). */
  repeats: number;
}

export interface LatencyRatioFinding {
  kind: 'latency-ratio';
  severity: 'fail' | 'warn' | 'pass';
  stepId: string;
  transport: TransportName;
  percentile: GatedPercentile;
  /** The raw TCP step it was taken against, in the current run. */
  floorStepId: string;
  baseline: LatencyRatio;
  current: LatencyRatio;
  /** current median ratio / baseline median ratio. */
  rise: number;
  /** The transport's own latency, current best repeat / baseline best repeat (medians without repeats). */
  ownRise: number;
  verdict: 'regression' | 'unchanged';
  why: string;
}

export interface LatencyGateOptions {
  /** The median ratio must rise by at least this factor to regress. */
  factorFloor: number;
  /** Percentiles that fail the build; others in `warn` only report. */
  fail: readonly GatedPercentile[];
  warn: readonly GatedPercentile[];
}

/** Repeats a side needed before the gate fails a build: with 2 + 2, all current above all baseline has p = 1/6. */
const MIN_REPEATS_TO_FAIL = 2;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The per-repeat values, when they are there and add up to the spread the step reports. */
function repeats(latency: LatencyMetrics, percentile: GatedPercentile): number[] | undefined {
  const values = latency.perRepeat?.[percentile];
  if (!values || values.length === 0) return undefined;
  return Math.abs(median(values) - latency[percentile].median) <= 1e-6 * Math.max(1, latency[percentile].median) ? values : undefined;
}

/** The transport's latency over the floor's, repeat by repeat (paired by round), else from the spreads. */
export function latencyRatio(step: LatencyMetrics, floor: LatencyMetrics, percentile: GatedPercentile): LatencyRatio | undefined {
  const a = repeats(step, percentile);
  const b = repeats(floor, percentile);
  if (a && b && a.length === b.length && b.every((v) => v > 0)) {
    const ratios = a.map((v, i) => v / b[i]!);
    return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios), from: 'repeats', repeats: ratios.length };
  }
  const s = step[percentile];
  const f = floor[percentile];
  if (f.median <= 0 || f.min <= 0) return undefined;
  return { median: s.median / f.median, low: s.min / f.max, high: s.max / f.min, from: 'spreads', repeats: 0 };
}

/** How far the transport's own latency rose: best repeat against best repeat, else median against median. */
function ownLatencyRise(current: LatencyMetrics, baseline: LatencyMetrics, percentile: GatedPercentile): number {
  const now = repeats(current, percentile);
  const before = repeats(baseline, percentile);
  if (now && before && Math.min(...before) > 0) return Math.min(...now) / Math.min(...before);
  return baseline[percentile].median > 0 ? current[percentile].median / baseline[percentile].median : 1;
}

/** Ok, unsaturated steps of a run that carry latency, by comparison point and transport. */
function latencySteps(run: Results): Map<string, OkStep[]> {
  const points = new Map<string, OkStep[]>();
  for (const step of run.steps) {
    if (step.status !== 'ok' || step.flags.generatorSaturated || !step.metrics.latency) continue;
    const key = comparisonPoint(step);
    points.set(key, [...(points.get(key) ?? []), step]);
  }
  return points;
}

export function judgeLatencyRatios(baseline: Results, current: Results, options: LatencyGateOptions): LatencyRatioFinding[] {
  const before = latencySteps(baseline);
  const after = latencySteps(current);
  const findings: LatencyRatioFinding[] = [];
  for (const [point, steps] of after) {
    const floor = steps.find((s) => s.transport === 'tcp');
    const oldFloor = before.get(point)?.find((s) => s.transport === 'tcp');
    if (!floor || !oldFloor) continue;
    for (const step of steps) {
      if (step.transport === 'tcp') continue;
      const old = before.get(point)?.find((s) => s.id === step.id);
      if (!old) continue;
      for (const percentile of [...options.fail, ...options.warn]) {
        const currentRatio = latencyRatio(step.metrics.latency!, floor.metrics.latency!, percentile);
        const baselineRatio = latencyRatio(old.metrics.latency!, oldFloor.metrics.latency!, percentile);
        if (!currentRatio || !baselineRatio) continue;
        const rise = currentRatio.median / baselineRatio.median;
        // The noise test needs each run's repeats; without them (an older file, figures edited by hand) the floor decides alone.
        const paired = currentRatio.from === 'repeats' && baselineRatio.from === 'repeats';
        const separated = !paired || currentRatio.low > baselineRatio.high;
        const ownRise = ownLatencyRise(step.metrics.latency!, old.metrics.latency!, percentile);
        const regressed = rise >= options.factorFloor && separated && ownRise >= options.factorFloor;
        // One repeat against one "lies above" by a coin flip: a regression there (a fault scenario's single
        // repeat) warns, whatever its percentile.
        const tooFewRepeats = paired && Math.min(currentRatio.repeats, baselineRatio.repeats) < MIN_REPEATS_TO_FAIL;
        const why = regressed
          ? `${percentile} over raw TCP's rose ${rise.toFixed(2)}× (≥ ${options.factorFloor}×)${paired ? ', every current repeat lies above every baseline repeat' : ' (judged on the medians: no per-repeat figures to test the noise with)'} and its own ${percentile} rose ${ownRise.toFixed(2)}×${tooFewRepeats ? ` (a warning only: under ${MIN_REPEATS_TO_FAIL} repeats a side, the order of the repeats proves nothing)` : ''}`
          : rise < options.factorFloor
            ? `rose ${rise.toFixed(2)}×, under the ${options.factorFloor}× floor`
            : !separated
              ? `rose ${rise.toFixed(2)}×, but the repeats overlap the baseline's: noise`
              : `rose ${rise.toFixed(2)}×, but the transport's own ${percentile} rose only ${ownRise.toFixed(2)}× (under ${options.factorFloor}×): the raw TCP floor fell`;
        findings.push({
          kind: 'latency-ratio',
          severity: regressed ? (options.fail.includes(percentile) && !tooFewRepeats ? 'fail' : 'warn') : 'pass',
          stepId: step.id,
          transport: step.transport,
          percentile,
          floorStepId: floor.id,
          baseline: baselineRatio,
          current: currentRatio,
          rise,
          ownRise,
          verdict: regressed ? 'regression' : 'unchanged',
          why,
        });
      }
    }
  }
  return findings;
}
