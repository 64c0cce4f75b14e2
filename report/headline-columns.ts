import type { Spread } from '../results/schema.ts';
import { bytes, count, ms, ratio, withRange } from './format.ts';
import type { HeadlineRow } from './headline.ts';

/**
 * The headline table's columns, once for both renderers: each column's titles and how a row's cell reads.
 * The HTML (html-headline.ts) draws every part of a cell; the Markdown (summary-markdown.ts) the figure and
 * its ⚠ only.
 */

/** One cell of the headline table. */
export interface HeadlineCell {
  /** The figure: the median across repeats. */
  text: string;
  /** Small print under the figure: its min – max across repeats, or what it is out of; and what that is, on hover. */
  detail?: string;
  detailHint?: string;
  /** Why a flag taints the figure, when one does: drawn as ⚠ beside it. */
  taint?: string;
  /** Why the figure is only noise, when it is: drawn greyed, with the reason on hover. */
  noise?: string;
  /** A flag of the whole row, shown under the figure it concerns most. */
  badge?: { text: string; title: string };
}

export interface HeadlineColumn {
  /** The HTML's column title, and the Markdown's shorter one. */
  title: string;
  short: string;
  /** What the column holds, on hover. */
  hint?: string;
  cell(row: HeadlineRow): HeadlineCell;
}

export const SATURATED = 'The load generator, not the server, was the bottleneck: these figures describe the generator.';
export const UNEXPLAINED_LOSS = 'Messages were lost with no fault injected.';

function spreadCell(spread: Spread | undefined, format: (n: number) => string, taint?: string): HeadlineCell {
  if (!spread) return { text: '–', ...(taint ? { taint } : {}) };
  const { median, range } = withRange(spread, format);
  return { text: median, ...(range ? { detail: range, detailHint: 'min – max across repeats' } : {}), ...(taint ? { taint } : {}) };
}

const saturated = (row: HeadlineRow) => (row.generatorSaturated ? SATURATED : undefined);

export const HEADLINE_COLUMNS: readonly HeadlineColumn[] = [
  { title: 'Latency p50', short: 'Latency p50', hint: 'Corrected one-way latency, median across repeats', cell: (r) => spreadCell(r.p50, ms, saturated(r)) },
  { title: 'Latency p99', short: 'Latency p99', cell: (r) => spreadCell(r.p99, ms, saturated(r)) },
  { title: 'Delivered messages/s', short: 'Delivered msg/s', cell: (r) => spreadCell(r.deliveredPerSec, count, saturated(r)) },
  { title: 'Bytes per message', short: 'Bytes/msg', cell: (r) => spreadCell(r.bytesPerMessage, bytes) },
  { title: 'vs raw TCP', short: 'vs raw TCP', hint: "Total wire bytes per message divided by raw TCP's", cell: (r) => ({ text: r.vsTcp === undefined ? '–' : ratio(r.vsTcp) }) },
  {
    title: 'Server memory per connection',
    short: 'Server memory/conn',
    hint: 'From the idle scenario',
    // RSS growth per connection at or below zero is noise (too few connections to see), not a figure.
    cell: (r) =>
      r.memoryPerConnection && r.memoryPerConnection.median <= 0
        ? { text: 'below noise', noise: `RSS did not grow measurably with the connections held (median ${bytes(r.memoryPerConnection.median)})` }
        : spreadCell(r.memoryPerConnection, bytes),
  },
  {
    title: 'Messages lost',
    short: 'Lost',
    cell: (r) => ({
      text: r.lost === undefined ? '–' : count(r.lost),
      ...(r.expected ? { detail: `of ${count(r.expected)}` } : {}),
      ...(r.unexplainedLoss ? { badge: { text: 'unexplained loss', title: UNEXPLAINED_LOSS } } : {}),
    }),
  },
];
