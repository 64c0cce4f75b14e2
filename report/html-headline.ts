import type { Results, Spread } from '../results/schema.ts';
import { escapeHtml as e } from './escape.ts';
import { bytes, count, ms, ratio, sig3, withRange } from './format.ts';
import { buildHeadline, rowLabel, type Headline, type HeadlineRow } from './headline.ts';
import { describePoint } from './select-steps.ts';
import { TRANSPORT_ORDER } from './colours.ts';

/** The headline card (table per transport and verdicts) and, for several runs, the side-by-side table. */

function cell(spread: Spread | undefined, format: (n: number) => string, flag = ''): string {
  if (!spread) return `<td>–${flag}</td>`;
  const { median, range } = withRange(spread, format);
  return `<td>${e(median)}${flag}${range ? `<span class="range" title="min – max across repeats">${e(range)}</span>` : ''}</td>`;
}

function badge(text: string, title: string): string {
  return `<br><span class="flag" title="${e(title)}">⚠ ${e(text)}</span>`;
}

/** A small marker on each figure a flag taints; the row's badge says which flag. */
const mark = (title: string) => `<sup class="taint" title="${e(title)}">⚠</sup>`;

/** RSS growth per connection at or below zero is noise (too few connections to see), not a figure. */
function memoryCell(spread: Spread | undefined): string {
  if (spread && spread.median <= 0) return `<td class="noise" title="RSS did not grow measurably with the connections held (median ${e(bytes(spread.median))})">below noise</td>`;
  return cell(spread, bytes);
}

const SATURATED = 'The load generator, not the server, was the bottleneck: these figures describe the generator.';
const LOSS = 'Messages were lost with no fault injected.';

function headlineRow(row: HeadlineRow): string {
  const name = `<td><span class="swatch"></span>${e(rowLabel(row))}</td>`;
  if (row.status === 'missing') return `<tr class="transport t-${row.transport}">${name}<td class="missing" colspan="7">not measured at this load</td></tr>`;
  if (row.status === 'errored') {
    const error = row.step?.error;
    return `<tr class="transport t-${row.transport}">${name}<td class="errored" colspan="7">✖ errored${error ? `: <code>${e(error.code)}</code> ${e(error.message)}` : ''}</td></tr>`;
  }
  const sat = row.generatorSaturated ? mark(SATURATED) : '';
  const flaggedName = row.generatorSaturated ? `<td><span class="swatch"></span>${e(rowLabel(row))}${badge('generator saturated', SATURATED)}</td>` : name;
  const lost = row.lost === undefined ? '–' : `${e(count(row.lost))}${row.expected ? `<span class="range">of ${e(count(row.expected))}</span>` : ''}`;
  return [
    `<tr class="transport t-${row.transport}">`,
    flaggedName,
    cell(row.p50, (n) => ms(n), sat),
    cell(row.p99, (n) => ms(n), sat),
    cell(row.deliveredPerSec, count, sat),
    cell(row.bytesPerMessage, bytes),
    `<td>${row.vsTcp === undefined ? '–' : e(ratio(row.vsTcp))}</td>`,
    memoryCell(row.memoryPerConnection),
    `<td>${lost}${row.unexplainedLoss ? badge('unexplained loss', LOSS) : ''}</td>`,
    '</tr>',
  ].join('');
}

export function headlineTable(headline: Headline): string {
  return `<div class="table-wrap"><table class="headline">
<thead><tr><th>Transport</th><th title="Corrected one-way latency, median across repeats">Latency p50</th><th>Latency p99</th><th>Delivered messages/s</th><th>Bytes per message</th><th title="Total wire bytes per message divided by raw TCP's">vs raw TCP</th><th title="From the idle scenario">Server memory per connection</th><th>Messages lost</th></tr></thead>
<tbody>${headline.rows.map(headlineRow).join('\n')}</tbody></table></div>`;
}

export function headlineCard(prefix: string, headline: Headline): string {
  const body = headline.point
    ? `<div class="point">At ${e(describePoint(headline.point))}</div>${headlineTable(headline)}
<ul class="notes"><li>Latency is one-way, publish to receipt, corrected for coordinated omission; each figure is the median across repeats with min – max beneath. Short polling is shown at its shortest poll interval. Memory per connection comes from the idle scenario. ⚠ marks a figure a flag taints (hover for why).</li></ul>
${headline.verdicts.length ? `<ul class="verdicts">${headline.verdicts.map((v) => `<li>${e(v)}</li>`).join('')}</ul>` : '<p class="missing-note">Too few ok rows at this load to compare transports.</p>'}`
    : '<p class="missing-note">No headline: the push scenario was not run, so there is no load point to compare transports at.</p>';
  return `<section class="card" id="${prefix}-headline"><h2>Headline</h2><p class="lead">Each transport delivering the same feed at the same load. Lower latency, bytes and memory are better; more delivered messages per second is better.</p>${body}</section>`;
}

/** For several runs: key figures side by side, one column group per run. */
export function comparisonCard(runs: Array<{ label: string; results: Results }>): string {
  const headlines = runs.map((r) => buildHeadline(r.results));
  const transports = TRANSPORT_ORDER.filter((t) => headlines.some((h) => h.rows.some((r) => r.transport === t)));
  const groupHead = runs.map((r) => `<th colspan="3" class="text">${e(r.label)}</th>`).join('');
  const subHead = runs.map(() => '<th>p50</th><th>p99</th><th>B/msg</th>').join('');
  const rows = transports.map((t) => {
    const cells = headlines.map((h) => {
      const row = h.rows.find((r) => r.transport === t);
      if (!row || row.status !== 'ok') return `<td colspan="3" class="missing">${row?.status === 'errored' ? '✖ errored' : 'not measured'}</td>`;
      const flag = row.generatorSaturated || row.unexplainedLoss ? ' ⚠' : '';
      return `<td>${row.p50 ? e(ms(row.p50.median)) : '–'}</td><td>${row.p99 ? e(ms(row.p99.median)) + flag : '–'}</td><td>${row.bytesPerMessage ? e(sig3(row.bytesPerMessage.median)) : '–'}</td>`;
    });
    return `<tr class="transport t-${t}"><td><span class="swatch"></span>${e(rowLabel({ transport: t }))}</td>${cells.join('')}</tr>`;
  });
  const points = headlines.map((h, i) => `<li>${e(runs[i].label)}: ${h.point ? e(describePoint(h.point)) : 'no push scenario'}</li>`).join('');
  return `<section class="card" id="runs-compared"><h2>Runs side by side</h2><p class="lead">The headline figures of every run given, at each run's own headline load (listed below the table): compare like with like. ⚠ marks a flagged figure.</p>
<div class="table-wrap"><table><thead><tr><th rowspan="2">Transport</th>${groupHead}</tr><tr>${subHead}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div><ul class="notes">${points}</ul></section>`;
}
