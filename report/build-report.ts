import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Results } from '../results/schema.ts';
import { buildCharts } from './charts.ts';
import type { ChartSpec } from './chart-spec.ts';
import { CLIENT_SCRIPT } from './client-script.ts';
import { assertInlineScriptSafe } from './escape.ts';
import { comparisonCard } from './html-headline.ts';
import { runSection, type RunView } from './html-run.ts';
import { renderPage } from './html-template.ts';
import { summaryMarkdown } from './summary-markdown.ts';

/** Results in, the self-contained HTML page and the Markdown summary out. */

export interface RunInput {
  /** Where the results came from, as the user named it. */
  file: string;
  results: Results;
}

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

/** "latest.json · 2025-01-15 10:00 UTC · 0123456": enough to tell runs apart in the picker. */
export function runLabel(run: RunInput): string {
  const started = run.results.startedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const commit = run.results.environment.gitCommit?.slice(0, 7);
  return [basename(run.file), started, commit].filter(Boolean).join(' · ');
}

export function buildReport(runs: RunInput[], options: { generatedAt?: Date } = {}): BuiltReport {
  if (runs.length === 0) throw new Error('buildReport needs at least one run');
  const chartJs = loadChartJs();
  const views: RunView[] = runs.map((run, index) => ({ index, file: run.file, label: runLabel(run), results: run.results, charts: buildCharts(run.results, `r${index}`) }));
  const charts: Record<string, ChartSpec> = {};
  for (const view of views) for (const spec of Object.values(view.charts)) if (spec.missing === undefined) charts[spec.id] = spec;
  const labelled = views.map((v) => ({ label: v.label, results: v.results }));
  const body = [views.length > 1 ? comparisonCard(labelled) : '', ...views.map((v) => runSection(v, v.index !== 0))].join('\n');
  const html = renderPage({
    title: `transport-bench report: ${views[0].label}`,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    runOptions: views.map((v) => ({ value: String(v.index), label: v.label })),
    body,
    charts,
    chartJs: chartJs.code,
    chartJsVersion: chartJs.version,
    clientScript: assertInlineScriptSafe(CLIENT_SCRIPT, 'client script'),
  });
  return { html, markdown: summaryMarkdown(labelled) };
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
