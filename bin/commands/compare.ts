import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compareResults } from '../../compare/compare.ts';
import { failureLines, renderMarkdown, warningLines } from '../../compare/markdown.ts';
import { loadThresholds } from '../../compare/thresholds.ts';
import { readResults } from '../../results/read-results.ts';
import { isInputError, parseCommandArgs, processIo, usageError, type CommandIo } from '../cli-support.ts';
import { EXIT } from '../exit-codes.ts';

/** `transport-bench compare <baseline.json> <current.json>`: judges a run against a baseline for CI. */

const USAGE = `Usage: transport-bench compare <baseline.json> <current.json> [options]

Compares every step and metric of <current.json> with <baseline.json> (direction-aware, with a tolerance
taken from the spread across repeats and the thresholds' floors), and runs the ratio checks between
transports within <current.json>. Prints a Markdown table.

Options:
  --thresholds FILE  thresholds config (JSON); default compare/thresholds.json when present,
                     else built-in defaults (docs/compare.md lists every field)
  --markdown FILE    also write the Markdown table to FILE
  -h, --help         show this help

The table is also appended to $GITHUB_STEP_SUMMARY when that variable is set.
Exit codes: 0 within thresholds, 1 a regression, a newly errored step or a failed ratio check,
2 bad usage or input (missing file, corrupt JSON, incompatible results, bad thresholds file).`;

/** GitHub workflow commands end at a newline; % and line breaks must be escaped to stay one annotation. */
function annotation(kind: 'warning' | 'error', message: string): string {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return `::${kind} title=transport-bench compare::${data}\n`;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandArgs(io, 'compare', USAGE, argv, { thresholds: { type: 'string' }, markdown: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) {
    return usageError(io, 'compare', `expected <baseline.json> <current.json>, got ${positionals.length} file argument(s)`, USAGE);
  }
  const [baselineFile, currentFile] = positionals as [string, string];

  let comparison;
  try {
    const { thresholds, source } = loadThresholds(values.thresholds);
    const baseline = readResults(baselineFile);
    const current = readResults(currentFile);
    io.stderr(`compare: ${currentFile} against ${baselineFile}, thresholds from ${source}\n`);
    comparison = compareResults(baseline, current, thresholds);
  } catch (error) {
    if (isInputError(error)) return usageError(io, 'compare', error.message);
    throw error;
  }

  const markdown = renderMarkdown(comparison);
  io.stdout(markdown + '\n');
  if (values.markdown) {
    mkdirSync(dirname(values.markdown), { recursive: true });
    writeFileSync(values.markdown, markdown + '\n');
  }
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) appendFileSync(summary, markdown + '\n');

  const annotate = process.env.GITHUB_ACTIONS === 'true';
  if (annotate && comparison.environmentWarning) io.stdout(annotation('warning', comparison.environmentWarning));
  for (const line of warningLines(comparison)) {
    io.stderr(`compare: warning: ${line}\n`);
    if (annotate) io.stdout(annotation('warning', line));
  }
  const failures = failureLines(comparison);
  for (const line of failures) {
    io.stderr(`compare: ${line}\n`);
    if (annotate) io.stdout(annotation('error', line));
  }
  if (comparison.failed) {
    io.stderr(`compare: FAIL (${failures.length} finding(s) beyond thresholds)\n`);
    return EXIT.FAILURE;
  }
  io.stderr('compare: PASS (within thresholds)\n');
  return EXIT.OK;
}
