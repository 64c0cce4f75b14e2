import type { StepResult } from '../../results/schema.ts';
import { outcomeOf } from '../../results/step-outcome.ts';

/** The compact table printed at the end of a run, and the one-line step summary. Both return strings. */

/** µs as a short human figure: 87 µs, 1.24 ms, 3.1 s. */
export function formatUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '–';
  if (us < 1_000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(1)} s`;
}

function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** The step's parameters in short: the id after `scenario/transport/`. */
export function stepParams(step: Pick<StepResult, 'id' | 'scenario' | 'transport'>): string {
  const prefix = `${step.scenario}/${step.transport}`;
  const rest = step.id.startsWith(prefix) ? step.id.slice(prefix.length).replace(/^\//, '') : step.id;
  return rest.split('/').join(' ');
}

export function stepStatus(step: StepResult): string {
  if (step.status === 'errored') return `${outcomeOf(step)} ${step.error?.code ?? ''}`.trim();
  const flags = [step.flags.generatorSaturated ? 'generator saturated' : '', step.flags.unexplainedLoss ? 'unexplained loss' : ''].filter(Boolean);
  return flags.length > 0 ? `ok (${flags.join(', ')})` : 'ok';
}

interface Row {
  transport: string;
  scenario: string;
  params: string;
  p50: string;
  p99: string;
  rate: string;
  bytes: string;
  lost: string;
  status: string;
}

function rowOf(step: StepResult): Row {
  const m = step.status === 'ok' ? step.metrics : {};
  // connect has no message latency: its time to ready stands in.
  const latency = m.latency ?? m.latencyUncorrected ?? m.setup?.time;
  return {
    transport: step.transport,
    scenario: step.scenario,
    params: stepParams(step),
    p50: formatUs(latency?.p50.median),
    p99: formatUs(latency?.p99.median),
    rate: formatNumber(m.deliveredPerSec?.median ?? m.requestsPerSec?.median),
    bytes: formatNumber(m.bytesPerMessage?.total.median, 1),
    lost: m.delivery ? formatNumber(m.delivery.lost) : '–',
    status: stepStatus(step),
  };
}

const HEADER: Row = { transport: 'transport', scenario: 'scenario', params: 'params', p50: 'p50', p99: 'p99', rate: 'msgs/s', bytes: 'bytes/msg', lost: 'lost', status: 'status' };
const RIGHT: ReadonlySet<keyof Row> = new Set(['p50', 'p99', 'rate', 'bytes', 'lost']);

/** The end-of-run table: one row per step, then the reason of each errored step. */
export function formatResultTable(steps: readonly StepResult[]): string {
  if (steps.length === 0) return 'No steps were run.';
  const rows = [HEADER, ...steps.map(rowOf)];
  const columns = Object.keys(HEADER) as (keyof Row)[];
  const widths = Object.fromEntries(columns.map((c) => [c, Math.max(...rows.map((r) => r[c].length))])) as Record<keyof Row, number>;
  const line = (row: Row): string =>
    columns
      .map((c) => (RIGHT.has(c) ? row[c].padStart(widths[c]) : row[c].padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), columns.map((c) => '─'.repeat(widths[c])).join('  '), ...rows.slice(1).map(line)];
  for (const outcome of ['errored', 'not run'] as const) {
    const marked = steps.filter((s) => outcomeOf(s) === outcome);
    if (marked.length === 0) continue;
    out.push('', outcome === 'errored' ? `${marked.length} errored step${marked.length > 1 ? 's' : ''}:` : `${marked.length} step${marked.length > 1 ? 's' : ''} not run here (marked, not failed):`);
    for (const s of marked) if (s.status === 'errored') out.push(`  ${s.id}: ${s.error.code}: ${s.error.message}`);
  }
  const latencyNote = steps.some((s) => s.status === 'ok' && s.metrics.latency) ? 'Latency: coordinated-omission corrected (from the intended send time), median of repeats.' : '';
  if (latencyNote) out.push('', latencyNote);
  return out.join('\n');
}

/** One line for a finished step (plain output and the line left behind a progress bar). */
export function formatStepLine(step: StepResult, index: number, total: number, elapsedMs: number): string {
  const position = `[${String(index + 1).padStart(String(total).length)}/${total}]`;
  const seconds = `${(elapsedMs / 1000).toFixed(1)} s`;
  if (step.status === 'errored') return `${position} ${outcomeOf(step)}  ${step.id}  ${seconds}  ${step.error?.code ?? ''}: ${step.error?.message ?? ''}`;
  const row = rowOf(step);
  const figures = [row.p50 !== '–' ? `p50 ${row.p50}` : '', row.p99 !== '–' ? `p99 ${row.p99}` : '', row.rate !== '–' ? `${row.rate} msgs/s` : '', row.lost !== '–' && row.lost !== '0' ? `lost ${row.lost}` : '']
    .filter(Boolean)
    .join('  ');
  return `${position} ${stepStatus(step)}  ${step.id}  ${seconds}${figures ? '  ' + figures : ''}`;
}
