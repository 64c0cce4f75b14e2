import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChartSpec } from './chart-spec.ts';
import { CLIENT_SCRIPT } from './client-script.ts';
import { assertInlineScriptSafe } from './escape.ts';
import { comparisonCard } from './html-headline.ts';
import { runSection } from './html-run.ts';
import { renderPage } from './html-template.ts';
import { buildRunModel, type RunInput } from './model.ts';
import { summaryMarkdown } from './summary-markdown.ts';

export type { RunInput } from './model.ts';

/** Results in, the self-contained HTML page and the Markdown summary out. */

export interface BuiltReport {
  html: string;
  markdown: string;
}

/**
 * Chart.js's UMD build, read from the installed package. The package does not export that file, so the
 * package entry is resolved and the file taken from the same folder.
 */
export function loadChartJs(): { code: string; version: string } {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  // The HTML parser turns CR LF into LF before the browser hashes a script for the CSP: do it first.
  const code = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8').replace(/\r\n?/g, '\n');
  const version = /Chart\.js v(\d+\.\d+\.\d+\S*)/.exec(code)?.[1] ?? 'unknown';
  return { code: assertInlineScriptSafe(code, 'chart.umd.min.js'), version };
}

export function buildReport(runs: RunInput[], options: { generatedAt?: Date } = {}): BuiltReport {
  if (runs.length === 0) throw new Error('buildReport needs at least one run');
  const chartJs = loadChartJs();
  // The model of each run, built once: the page and the summary are both drawn from it.
  const models = runs.map(buildRunModel);
  const charts: Record<string, ChartSpec> = {};
  for (const model of models) for (const spec of Object.values(model.charts)) if (spec.missing === undefined) charts[spec.id] = spec;
  const body = [models.length > 1 ? comparisonCard(models) : '', ...models.map((m) => runSection(m, m.index !== 0))].join('\n');
  const html = renderPage({
    title: `transport-bench report: ${models[0]!.label}`,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    runOptions: models.map((m) => ({ value: String(m.index), label: m.label })),
    body,
    charts,
    chartJs: chartJs.code,
    chartJsVersion: chartJs.version,
    clientScript: assertInlineScriptSafe(CLIENT_SCRIPT, 'client script'),
  });
  return { html, markdown: summaryMarkdown(models) };
}

/** Builds and writes both files, creating their folders. */
export function writeReport(runs: RunInput[], out: { html: string; summary: string }): BuiltReport {
  const report = buildReport(runs);
  for (const [file, text] of [[out.html, report.html], [out.summary, report.markdown]] as const) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return report;
}
