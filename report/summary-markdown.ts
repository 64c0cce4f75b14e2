import type { Results } from '../results/schema.ts';
import { isFlagged } from './chart-spec.ts';
import { escapeMarkdown as md } from './escape.ts';
import { bytes, count, ms, ratio, withRange } from './format.ts';
import { buildHeadline, rowLabel, type HeadlineRow } from './headline.ts';
import { reliabilityMarkdown } from './reliability-markdown.ts';
import { describePoint } from './select-steps.ts';
import type { Spread } from '../results/schema.ts';

/**
 * The headline table and verdicts as Markdown, for CI job summaries (written to report/summary.md; the
 * compare command reads that file rather than importing this module).
 */

/** A step id as a code span: literal text, so it needs only its backticks and line breaks removed. */
const code = (text: string) => `\`${text.replace(/[`\r\n\u2028\u2029]/g, ' ')}\``;

const fig = (spread: Spread | undefined, format: (n: number) => string) => (spread ? withRange(spread, format).median : '–');

function row(r: HeadlineRow): string {
  const name = md(rowLabel(r));
  if (r.status === 'missing') return `| ${name} | not measured at this load | | | | | | |`;
  if (r.status === 'errored') return `| ${name} | ✖ errored: ${md(r.step?.error?.code ?? '')} ${md(r.step?.error?.message ?? '')} | | | | | | |`;
  const sat = r.generatorSaturated ? ' ⚠' : '';
  const lost = r.lost === undefined ? '–' : `${count(r.lost)}${r.unexplainedLoss ? ' ⚠' : ''}`;
  return `| ${name} | ${fig(r.p50, ms)}${sat} | ${fig(r.p99, ms)}${sat} | ${fig(r.deliveredPerSec, count)}${sat} | ${fig(r.bytesPerMessage, bytes)} | ${r.vsTcp === undefined ? '–' : ratio(r.vsTcp)} | ${r.memoryPerConnection && r.memoryPerConnection.median <= 0 ? 'below noise' : fig(r.memoryPerConnection, bytes)} | ${lost} |`;
}

export function runSummaryMarkdown(results: Results, label: string): string {
  const headline = buildHeadline(results);
  const commit = results.environment.gitCommit ? `, commit ${results.environment.gitCommit.slice(0, 7)}${results.environment.gitDirty ? ' (dirty)' : ''}` : '';
  const lines = [`### ${md(label)}`, '', `Profile ${md(results.profile)}, started ${md(results.startedAt)}${md(commit)}; ${count(results.summary.steps)} steps, ${count(results.summary.ok)} ok, ${count(results.summary.errored)} errored.`, ''];
  if (results.interrupted) lines.push('⚠ This run was interrupted before it finished; steps it did not reach are errored.', '');
  if (!headline.point) {
    lines.push('No headline: the push scenario was not run.', '');
  } else {
    lines.push(
      `At ${md(describePoint(headline.point))}:`,
      '',
      '| Transport | Latency p50 | Latency p99 | Delivered msg/s | Bytes/msg | vs raw TCP | Server memory/conn | Lost |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...headline.rows.map(row),
      '',
      ...headline.verdicts.map((v) => `- ${md(v)}`),
      '',
    );
  }
  lines.push(...reliabilityMarkdown(results));
  const flagged = results.steps.filter(isFlagged);
  if (flagged.length > 0) {
    const what = (s: (typeof flagged)[number]) => [s.flags.generatorSaturated ? 'generator saturated' : '', s.flags.unexplainedLoss ? 'unexplained loss' : ''].filter(Boolean).join(', ');
    lines.push(`⚠ Flagged steps (${flagged.length}):`, '', ...flagged.map((s) => `- ${code(s.id)}: ${what(s)}`), '');
  }
  const errored = results.steps.filter((s) => s.status === 'errored');
  if (errored.length > 0) {
    lines.push(`✖ Errored steps (${errored.length}):`, '', ...errored.map((s) => `- ${code(s.id)}: ${md(s.error?.code ?? 'no code')}: ${md(s.error?.message ?? 'no reason recorded')}`), '');
  }
  return lines.join('\n');
}

/** The whole summary: one section per run, in the order given. */
export function summaryMarkdown(runs: Array<{ label: string; results: Results }>): string {
  const body = runs.map((r) => runSummaryMarkdown(r.results, r.label)).join('\n');
  return `## transport-bench results\n\nLatency is one-way (publish to receipt), corrected for coordinated omission, median across repeats. ⚠ marks a flagged figure; the HTML report (report/index.html) has the charts.\n\n${body}`;
}
