import { isFlagged } from './chart-spec.ts';
import { escapeMarkdown as md } from './escape.ts';
import { count } from './format.ts';
import { rowLabel, type HeadlineRow } from './headline.ts';
import { HEADLINE_COLUMNS } from './headline-columns.ts';
import type { RunModel } from './model.ts';
import { reliabilityMarkdown } from './reliability-markdown.ts';
import { describeConditions, describePoint, isErrored, isOk } from './select-steps.ts';
import { outcomeOf, outcomesText } from '../results/step-outcome.ts';

/**
 * The headline table, verdicts and reliability table as Markdown, for CI job summaries (written to
 * report/summary.md), drawn from the same report model and column spec as the HTML page.
 */

/** A step id as a code span: literal text, so it needs only its backticks and line breaks removed. */
const code = (text: string) => `\`${text.replace(/[`\r\n\u2028\u2029]/g, ' ')}\``;

function row(r: HeadlineRow): string {
  const name = md(rowLabel(r));
  const empty = HEADLINE_COLUMNS.slice(1).map(() => ' |').join('');
  if (r.status === 'missing') return `| ${name} | not measured at this load |${empty}`;
  if (r.status === 'not run') return `| ${name} | not run: ${md(r.error?.message ?? '')} |${empty}`;
  if (r.status === 'errored') return `| ${name} | ✖ errored: ${md(r.error?.code ?? '')} ${md(r.error?.message ?? '')} |${empty}`;
  const cells = HEADLINE_COLUMNS.map((column) => {
    const cell = column.cell(r);
    return `${md(cell.text)}${cell.taint || cell.badge ? ' ⚠' : ''}`;
  });
  return `| ${name} | ${cells.join(' | ')} |`;
}

/** A headline's table and verdicts, as Markdown lines. */
function headlineTableLines(headline: RunModel['headline']): string[] {
  return [
    `| Transport | ${HEADLINE_COLUMNS.map((c) => c.short).join(' | ')} |`,
    `| --- |${HEADLINE_COLUMNS.map(() => ' ---: |').join('')}`,
    ...headline.rows.map(row),
    '',
    ...headline.verdicts.map((v) => `- ${md(v)}`),
    '',
  ];
}

export function runSummaryMarkdown(run: RunModel): string {
  const { results, headline, label } = run;
  const commit = results.environment.gitCommit ? `, commit ${results.environment.gitCommit.slice(0, 7)}${results.environment.gitDirty ? ' (dirty)' : ''}` : '';
  const lines = [`### ${md(label)}`, '', `Profile ${md(results.profile)}, started ${md(results.startedAt)}${md(commit)}; ${count(results.summary.steps)} steps, ${outcomesText(results.steps)}.`, ''];
  if (results.interrupted) lines.push('⚠ This run was interrupted before it finished; steps it did not reach are errored.', '');
  if (!headline.point) {
    lines.push('No headline: the push scenario was not run.', '');
  } else {
    lines.push(
      `At ${md(describePoint(headline.point))}${headline.conditions ? `, ${md(headline.conditions)}` : ''}:`,
      '',
      ...(headline.otherConditions.length ? [`This run also measured ${md(headline.otherConditions.map(describeConditions).join('; '))}: a table for each follows where push ran, and every step is in the results file; the other tables draw ${md(headline.conditions || 'loopback with minimal request headers')}.`, ''] : []),
      ...headlineTableLines(headline),
    );
  }
  for (const other of run.otherHeadlines) lines.push(`The same ${md(other.conditions)}, at ${md(describePoint(other.point!))}:`, '', ...headlineTableLines(other));
  lines.push(...reliabilityMarkdown(run.reliability));
  const flagged = results.steps.filter(isOk).filter(isFlagged);
  if (flagged.length > 0) {
    const what = (s: (typeof flagged)[number]) => [s.flags.generatorSaturated ? 'generator saturated' : '', s.flags.unexplainedLoss ? 'unexplained loss' : ''].filter(Boolean).join(', ');
    lines.push(`⚠ Flagged steps (${flagged.length}):`, '', ...flagged.map((s) => `- ${code(s.id)}: ${what(s)}`), '');
  }
  const errored = results.steps.filter(isErrored);
  for (const outcome of ['errored', 'not run'] as const) {
    const marked = errored.filter((s) => outcomeOf(s) === outcome);
    if (marked.length === 0) continue;
    lines.push(outcome === 'errored' ? `✖ Errored steps (${marked.length}):` : `Not run here, marked with the reason (${marked.length}):`, '', ...marked.map((s) => `- ${code(s.id)}: ${md(s.error.code)}: ${md(s.error.message)}`), '');
  }
  return lines.join('\n');
}

/** The whole summary: one section per run, in the order given. */
export function summaryMarkdown(runs: readonly RunModel[]): string {
  const body = runs.map(runSummaryMarkdown).join('\n');
  return `## transport-bench results\n\nLatency is one-way (publish to receipt), corrected for coordinated omission, median across repeats. ⚠ marks a flagged figure; the HTML report (report/index.html) has the charts.\n\n${body}`;
}
