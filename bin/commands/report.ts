import { TOOL_ERRORS } from '../../protocol/tool-errors.ts';
import { readResults } from '../../results/read-results.ts';
import { writeReport, type RunInput } from '../../report/build-report.ts';
import { isInputError, parseCommandArgs, processIo, usageError, type CommandIo } from '../cli-support.ts';
import { EXIT } from '../exit-codes.ts';
import { outcomeOf } from '../../results/step-outcome.ts';

export type { CommandIo } from '../cli-support.ts';

/** `transport-bench report`: results JSON in, report/index.html and report/summary.md out. */

const DEFAULTS = { input: 'results/latest.json', out: 'report/index.html', summary: 'report/summary.md' };

export const USAGE = `Usage: transport-bench report [results.json ...] [--out FILE] [--summary FILE]

Builds a self-contained HTML report (Chart.js and the data inlined: it opens offline, from disk) and a
Markdown summary of the headline table and verdicts, for CI job summaries.

Arguments:
  results.json ...   results files to show; the first is shown first, the others can be picked on
                     the page and are compared side by side (default: ${DEFAULTS.input})

Options:
  --out FILE         where to write the HTML page (default: ${DEFAULTS.out})
  --summary FILE     where to write the Markdown summary (default: ${DEFAULTS.summary})
  -h, --help         show this help

Exit codes: 0 written; 2 bad usage, or a results file missing, corrupt or of another schema version.`;

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandArgs(io, 'report', USAGE, argv, { out: { type: 'string' }, summary: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (typeof parsed === 'number') return parsed;
  const files = parsed.positionals.length > 0 ? parsed.positionals : [DEFAULTS.input];
  const out = { html: parsed.values.out ?? DEFAULTS.out, summary: parsed.values.summary ?? DEFAULTS.summary };
  for (const [flag, value] of [['--out', out.html], ['--summary', out.summary]] as const) {
    if (value === '') return usageError(io, 'report', `${flag} needs a file name`);
  }

  const runs: RunInput[] = [];
  for (const file of files) {
    try {
      runs.push({ file, results: readResults(file) });
    } catch (error) {
      if (!isInputError(error)) throw error;
      const hint = error.code === TOOL_ERRORS.RESULTS_MISSING && parsed.positionals.length === 0 ? ' (run `transport-bench run` first, or name a results file)' : '';
      return usageError(io, 'report', `${error.message}${hint}`);
    }
  }

  try {
    writeReport(runs, out);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return usageError(io, 'report', `cannot write the report: ${(error as Error).message}`);
  }
  const outcomes = runs.flatMap((r) => r.results.steps.map(outcomeOf));
  const errored = outcomes.filter((o) => o === 'errored').length;
  const notRun = outcomes.filter((o) => o === 'not run').length;
  const marked = [errored ? `${errored} errored step${errored === 1 ? '' : 's'}` : '', notRun ? `${notRun} not run here` : ''].filter(Boolean).join(', ');
  io.stdout(`Wrote ${out.html} and ${out.summary} from ${files.join(', ')}${marked ? ` (${marked}, shown with ${errored + notRun === 1 ? 'its reason' : 'their reasons'})` : ''}.\n`);
  return EXIT.OK;
}
