import { basename } from 'node:path';
import type { Results } from '../results/schema.ts';
import { buildCharts, type RunCharts } from './charts.ts';
import { buildHeadline, type Headline } from './headline.ts';
import { buildReliability, type Reliability } from './reliability.ts';
import { conditionsLabel, headlinePoint, reportedConditions, underConditions, type LoadPoint } from './select-steps.ts';

/**
 * The report model of one run: everything the page and the summary show, computed once (the headline load
 * point, the headline table and verdicts, the reliability table, every chart's data). The renderers
 * (html-*.ts, summary-markdown.ts) only draw it.
 */

export interface RunInput {
  /** Where the results came from, as the user named it. */
  file: string;
  results: Results;
}

export interface RunModel {
  /** Place among the runs given; the page's ids are prefixed `r<index>`. */
  index: number;
  file: string;
  /** "latest.json · 2025-01-15 10:00 UTC · 0123456": enough to tell runs apart in the picker. */
  label: string;
  results: Results;
  point: LoadPoint | null;
  headline: Headline;
  /** The headline again under each other condition the run measured push under (a realistic RTT, browser headers). */
  otherHeadlines: Headline[];
  reliability: Reliability | null;
  charts: RunCharts;
}

export function runLabel(run: RunInput): string {
  const started = run.results.startedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const commit = run.results.environment.gitCommit?.slice(0, 7);
  return [basename(run.file), started, commit].filter(Boolean).join(' · ');
}

/** One headline per other condition group that measured push, each at its own load point. */
function otherHeadlines(results: Results): Headline[] {
  const drawn = reportedConditions(results);
  const labels = [...new Set(results.steps.filter((s) => s.scenario === 'push').map(conditionsLabel))].filter((label) => label !== drawn);
  return labels.map((label) => buildHeadline(underConditions(results, label))).filter((h) => h.point !== null);
}

export function buildRunModel(run: RunInput, index: number): RunModel {
  const point = headlinePoint(run.results);
  return {
    index,
    file: run.file,
    label: runLabel(run),
    results: run.results,
    point,
    headline: buildHeadline(run.results, point),
    otherHeadlines: otherHeadlines(run.results),
    reliability: buildReliability(run.results),
    charts: buildCharts(run.results, `r${index}`, point),
  };
}
