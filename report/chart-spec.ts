import type { ErroredStep, StepResult } from '../results/schema.ts';
import { transportLabel } from '../protocol/transports.ts';
import { count } from './format.ts';
import { notRunHere } from '../protocol/tool-errors.ts';

/**
 * What the build step hands the page for one chart: data and words only, no functions, so it travels as
 * JSON. The inline client script (client-script.ts) turns a spec into a Chart.js configuration.
 */

export interface AxisSpec {
  /** Axis title, with its unit. */
  title: string;
  /** 'percentile' is a logarithmic axis of 1/(1−p) labelled 50 %, 90 %, 99 % … */
  scale: 'linear' | 'logarithmic' | 'category' | 'percentile';
  /** Unit appended to values in tooltips. */
  unit?: string;
  min?: number;
  stacked?: boolean;
}

export interface DatasetSpec {
  label: string;
  /** Legend entries of one group (a transport's p50 and p99) are shown and hidden together. */
  group?: string;
  /** Line or bar colour; an array gives one colour per bar (transports along the x axis). */
  colour: string | string[];
  /** Legend swatch when `colour` is per bar. */
  legendColour?: string;
  dashed?: boolean;
  /** Kept out of the legend (its group's main entry stands for it). */
  legendHidden?: boolean;
  axis?: 'y' | 'y2';
  type?: 'line' | 'bar';
  stack?: string;
  data: Array<number | null> | Array<{ x: number; y: number | null }>;
  /** Per point, true where a flag taints the figure: drawn as a warning marker. */
  flagged?: boolean[];
}

export interface ChartSpec {
  id: string;
  type: 'line' | 'bar';
  title: string;
  /** One line telling a reader how to read the chart. */
  howToRead: string;
  x: AxisSpec;
  y: AxisSpec;
  y2?: AxisSpec;
  /** Category labels (bar charts). */
  labels?: string[];
  datasets: DatasetSpec[];
  /** Shown under the chart: flagged figures, errored points, zeros a log axis cannot draw. */
  notes: string[];
  /** Set when there is nothing to draw: the page shows this sentence instead of a chart. */
  missing?: string;
}

/** A chart with nothing to draw: the page shows `why` in its place. */
export function missingChart(base: Omit<ChartSpec, 'datasets' | 'notes' | 'missing'>, why: string): ChartSpec {
  return { ...base, datasets: [], notes: [], missing: why };
}

/** An ok step whose figures a flag taints (an errored one has no figures to taint). */
export function isFlagged(step: StepResult): boolean {
  return step.status === 'ok' && (step.flags.generatorSaturated || step.flags.unexplainedLoss);
}

/** "⚠ WebSocket (ws) at 200 clients: generator saturated (this figure measures the load generator)". */
export function flagNote(step: StepResult, where = ''): string[] {
  if (step.status !== 'ok') return [];
  const at = `${transportLabel(step.transport)}${where ? ` at ${where}` : ''}`;
  const notes: string[] = [];
  if (step.flags.generatorSaturated) notes.push(`⚠ ${at}: generator saturated (this figure measures the load generator more than the transport)`);
  if (step.flags.unexplainedLoss) notes.push(`⚠ ${at}: unexplained loss (${count(step.metrics.delivery?.lost ?? 0)} messages lost with no fault injected)`);
  return notes;
}

export function erroredNote(step: ErroredStep, where = ''): string {
  const at = `${transportLabel(step.transport)}${where ? ` at ${where}` : ''}`;
  if (notRunHere(step.error.code)) return `${at}: not run here (${step.error.message})`;
  return `✖ ${at}: errored (${step.error.code}), no figures; see Errored steps`;
}

/** Rounds chart values so the inlined JSON stays small. */
export function r4(value: number): number {
  return Number(value.toPrecision(4));
}
