import type { Spread } from '../results/schema.ts';
import type { Comparison, Finding, MetricFinding, StepFinding } from './compare.ts';
import type { LatencyRatio, LatencyRatioFinding } from './latency-gate.ts';
import { METRICS } from '../results/metrics.ts';
import type { RatioOutcome, RatioPair } from './ratio-checks.ts';

/**
 * Renders a Comparison as Markdown (stdout, --markdown, $GITHUB_STEP_SUMMARY). Returns a string and prints
 * nothing. Deterministic: no timestamps, no paths, no locale-dependent formatting.
 */

const ICON: Record<string, string> = { fail: '❌', warn: '⚠️', improvement: '✅', pass: '✔️', info: 'ℹ️', skipped: '➖' };

/** Thousands separators by hand: toLocaleString depends on the machine's locale. */
function group(text: string): string {
  const [whole, fraction] = text.split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** Fewer decimals for bigger numbers: 12,345 · 112.5 · 12.34 · 0.123; integers stay whole, trailing zeros go. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  // Trailing zeros carry no information here: 8.10 reads as 8.1.
  const text = digits === 0 ? value.toFixed(0) : value.toFixed(digits).replace(/\.?0+$/, '');
  return group(text === '-0' ? '0' : text);
}

/** A value in its unit: a plain value, a signed change, or an unsigned band. Shares (0–1) read as % and changes of them as points. */
function withUnit(value: number, unit: string, kind: 'value' | 'change' | 'band' = 'value'): string {
  const shown = unit === 'share' ? value * 100 : value;
  const sign = kind === 'change' && shown > 0 ? '+' : '';
  const suffix = unit === 'share' ? (kind === 'value' ? '%' : ' pp') : unit === '' ? '' : ` ${unit}`;
  return `${sign}${formatNumber(shown)}${suffix}`;
}

function spread(value: Spread, unit: string): string {
  const median = withUnit(value.median, unit);
  if (value.min === value.max) return median;
  const scale = unit === 'share' ? 100 : 1;
  return `${median} (${formatNumber(value.min * scale)}–${formatNumber(value.max * scale)})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function table(header: string[], rows: string[][]): string[] {
  return [row(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(row)];
}

function change(f: MetricFinding): string {
  const relative = f.relativeChange === null ? '' : ` (${f.relativeChange > 0 ? '+' : ''}${(f.relativeChange * 100).toFixed(1)}%)`;
  const word = f.verdict === 'regression' ? ', worse' : f.verdict === 'improvement' ? ', better' : '';
  return `${withUnit(f.difference, f.unit, 'change')}${relative}${word}`;
}

function metricRow(f: MetricFinding): string[] {
  const result = f.verdict === 'regression' ? `${ICON[f.severity]} regression` : f.verdict === 'improvement' ? `${ICON.improvement} improvement` : `${ICON.pass} within tolerance`;
  const tolerance = `±${withUnit(f.tolerance, f.unit, 'band')} (${f.toleranceFrom})`;
  return [result, `\`${f.stepId}\``, `${f.label} (${f.better} is better)`, spread(f.baseline, f.unit), spread(f.current, f.unit), change(f), tolerance];
}

function stepRow(f: StepFinding): string[] {
  return [`${ICON[f.severity]} ${f.verdict}`, `\`${f.stepId}\``, f.message];
}

/** left / right, with a zero right side read as "infinitely far" unless the left is zero too. */
function ratio(pair: RatioPair): number {
  return pair.right === 0 ? (pair.left === 0 ? 0 : Infinity) : pair.left / pair.right;
}

/** One row per check: how many pairs pass, and the pair closest to failing (or failing worst). */
function ratioRow(outcome: RatioOutcome): string[] {
  const { check } = outcome;
  if (outcome.verdict === 'skipped') {
    return [`${ICON.skipped} skipped`, outcome.text, '0', `no ok, unsaturated ${check.left} and ${check.right} steps of ${check.scenario} with this metric`, '—', '—'];
  }
  const unit = METRICS[check.metric].unit;
  const worst = outcome.pairs.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
  const result = outcome.verdict === 'pass' ? `${ICON.pass} pass` : `${check.severity === 'fail' ? ICON.fail : ICON.warn} fail`;
  const passing = outcome.pairs.filter((pair) => pair.passed).length;
  // Three decimals: a ratio check often fails by a hair (112.5 B against 112 B).
  const shown = Number.isFinite(ratio(worst)) ? ratio(worst).toFixed(3) : '—';
  return [result, outcome.text, `${passing} of ${outcome.pairs.length}`, `\`${worst.leftStep}\`: ${withUnit(worst.left, unit)}`, `\`${worst.rightStep}\`: ${withUnit(worst.right, unit)}`, shown];
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function headline(c: Comparison): string {
  const metrics = c.findings.filter((f): f is MetricFinding => f.kind === 'metric');
  const regressions = metrics.filter((f) => f.verdict === 'regression').length;
  const improvements = metrics.filter((f) => f.verdict === 'improvement').length;
  const steady = metrics.length - regressions - improvements;
  const stepProblems = c.findings.filter((f) => f.kind === 'step' && (f.severity === 'fail' || f.severity === 'warn')).length;
  const checks = (verdict: RatioOutcome['verdict'], severity?: 'fail' | 'warn') =>
    c.ratioChecks.filter((r) => r.verdict === verdict && (severity === undefined || r.check.severity === severity)).length;
  const latencyRegressions = c.findings.filter((f) => f.kind === 'latency-ratio' && f.verdict === 'regression').length;
  return [
    plural(regressions, 'regression'),
    plural(latencyRegressions, 'latency ratio regression'),
    plural(improvements, 'improvement'),
    `${steady} within tolerance`,
    plural(stepProblems, 'step finding'),
    `ratio checks: ${checks('pass')} passed, ${checks('fail', 'fail')} failed, ${checks('fail', 'warn')} warned, ${checks('skipped')} skipped`,
  ].join(', ');
}

function runLine(name: string, run: Comparison['baseline']): string {
  return `${name}: profile ${run.profile}, commit ${run.commit ?? 'unknown'}, Node ${run.node}, ${run.cpu}`;
}

export function renderMarkdown(c: Comparison): string {
  const lines: string[] = [];
  if (c.environmentWarning) lines.push(`> ${ICON.warn} ${c.environmentWarning}`, '');
  lines.push(`## transport-bench compare: ${c.failed ? `${ICON.fail} FAIL` : `${ICON.pass} PASS`}`, '');
  lines.push(`${runLine('Baseline', c.baseline)}.  `, `${runLine('Current', c.current)}.`, '');
  lines.push(`**${headline(c)}.**`, '');
  lines.push(
    'A metric regresses only when its current median is worse than the baseline median by more than its tolerance: ' +
      'the largest of the noise band (both runs’ min–max spreads added), the relative floor and the absolute floor.',
    '',
  );

  const steps = c.findings.filter((f): f is StepFinding => f.kind === 'step');
  if (steps.length > 0) {
    lines.push('### Steps', '', ...table(['result', 'step', 'detail'], steps.map(stepRow)), '');
  }

  const header = ['result', 'step', 'metric', 'baseline (min–max)', 'current (min–max)', 'change', 'tolerance'];
  const metrics = c.findings.filter((f): f is MetricFinding => f.kind === 'metric');
  const notable = metrics.filter((f) => f.verdict !== 'unchanged');
  const steady = metrics.filter((f) => f.verdict === 'unchanged');
  lines.push('### Against the baseline', '');
  if (metrics.length === 0) lines.push('No step carries a metric in both runs.', '');
  if (notable.length > 0) lines.push(...table(header, notable.map(metricRow)), '');
  if (steady.length > 0) {
    lines.push(`<details><summary>${steady.length} within tolerance</summary>`, '', ...table(header, steady.map(metricRow)), '', '</details>', '');
  }

  const latency = c.findings.filter((f): f is LatencyRatioFinding => f.kind === 'latency-ratio');
  lines.push('### Latency against the raw TCP floor', '');
  lines.push('Each transport’s latency over raw TCP’s at the same point of the same run, against the baseline’s ratio: a slower machine moves both, one slow transport its own ratio (docs/compare.md).', '');
  if (latency.length === 0) lines.push('No point has raw TCP and another transport in both runs.', '');
  else {
    const latencyHeader = ['result', 'step', 'metric', 'baseline ratio (repeats)', 'current ratio (repeats)', 'rise', 'why'];
    const moved = latency.filter((f) => f.verdict === 'regression');
    const held = latency.filter((f) => f.verdict !== 'regression');
    if (moved.length > 0) lines.push(...table(latencyHeader, moved.map(latencyRow)), '');
    if (held.length > 0) lines.push(`<details><summary>${held.length} within noise or under the floor</summary>`, '', ...table(latencyHeader, held.map(latencyRow)), '', '</details>', '');
  }

  lines.push('### Ratio checks (current run)', '');
  if (c.ratioChecks.length === 0) lines.push('None configured.', '');
  else lines.push(...table(['result', 'check', 'pairs passing', 'worst pair: left', 'right', 'left / right'], c.ratioChecks.map(ratioRow)), '');
  return lines.join('\n');
}

/** A ratio with its range: "×1.21 (1.05–1.40)". */
function ratioText(r: LatencyRatio): string {
  const range = r.low === r.high ? '' : ` (${formatNumber(r.low)}–${formatNumber(r.high)})`;
  return `×${formatNumber(r.median)}${range}`;
}

function findingLine(f: Finding): string {
  if (f.kind === 'metric') return `regression: ${f.label} of ${f.stepId}: ${spread(f.baseline, f.unit)} → ${spread(f.current, f.unit)}, ${change(f)}; tolerance ±${withUnit(f.tolerance, f.unit, 'band')} (${f.toleranceFrom})`;
  if (f.kind === 'latency-ratio') return `latency regression: ${f.transport} latency ${f.percentile} of ${f.stepId} over the raw TCP floor: ${ratioText(f.baseline)} → ${ratioText(f.current)}; ${f.why}`;
  return `${f.verdict}: ${f.stepId}: ${f.message}`;
}

function latencyRow(f: LatencyRatioFinding): string[] {
  const result = f.verdict === 'regression' ? `${ICON[f.severity]} regression` : `${ICON.pass} within noise`;
  return [result, `\`${f.stepId}\``, `latency ${f.percentile} / raw TCP's`, ratioText(f.baseline), ratioText(f.current), `×${formatNumber(f.rise)}`, f.why];
}

function ratioLines(c: Comparison, severity: 'fail' | 'warn'): string[] {
  return c.ratioChecks
    .filter((outcome) => outcome.verdict === 'fail' && outcome.check.severity === severity)
    .flatMap((outcome) => {
      const unit = METRICS[outcome.check.metric].unit;
      return outcome.pairs
        .filter((pair) => !pair.passed)
        .map((pair) => `ratio check failed: ${outcome.text}: ${pair.leftStep} ${withUnit(pair.left, unit)} vs ${pair.rightStep} ${withUnit(pair.right, unit)}`);
    });
}

/** One line per failing finding, for stderr and CI annotations: names the metric and the step. */
export function failureLines(c: Comparison): string[] {
  return [...c.findings.filter((f) => f.severity === 'fail').map(findingLine), ...ratioLines(c, 'fail')];
}

/** One line per warning (saturated generator, missing step, a warn-only ratio check …). */
export function warningLines(c: Comparison): string[] {
  return [...c.findings.filter((f) => f.severity === 'warn').map(findingLine), ...ratioLines(c, 'warn')];
}
