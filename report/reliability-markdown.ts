import { escapeMarkdown as md } from './escape.ts';
import { type Reliability, type ReliabilityCell } from './reliability.ts';

/** The reliability table as Markdown lines for report/summary.md (none when no fault scenario ran). */

function cell(c: ReliabilityCell): string {
  if (c.state === 'missing') return '–';
  const text = c.state === 'errored' ? `${c.text}: ${c.detail ?? ''}` : c.detail && c.state === 'value' ? `${c.text} (${c.detail})` : c.text;
  return md(c.flag ? `${text} ⚠ ${c.flag}${c.flagDetail ? `: ${c.flagDetail}` : ''}` : text);
}

export function reliabilityMarkdown(reliability: Reliability | null): string[] {
  if (!reliability) return [];
  return [
    'Reliability under faults:',
    '',
    `| Transport | ${reliability.columns.map((c) => md(c.title)).join(' | ')} |`,
    `| --- |${reliability.columns.map(() => ' --- |').join('')}`,
    ...reliability.rows.map((row) => `| ${md(row.label)} | ${reliability.columns.map((c) => cell(row.cells[c.id])).join(' | ')} |`),
    '',
    ...reliability.notes.map((n) => `- ${md(n)}`),
    '',
  ];
}
