import { TRANSPORTS } from '../protocol/transports.ts';
import { escapeHtml as e } from './escape.ts';
import { ms, sig3 } from './format.ts';
import { rowLabel, type Headline, type HeadlineRow } from './headline.ts';
import { HEADLINE_COLUMNS, SATURATED, type HeadlineCell } from './headline-columns.ts';
import type { RunModel } from './model.ts';
import { describeConditions, describePoint } from './select-steps.ts';

/** The headline card (table per transport and verdicts) and, for several runs, the side-by-side table. */

function badge(text: string, title: string): string {
  return `<br><span class="flag" title="${e(title)}">⚠ ${e(text)}</span>`;
}

/** A small marker on a figure a flag taints; the row's badge says which flag. */
const mark = (title: string) => `<sup class="taint" title="${e(title)}">⚠</sup>`;

function cell(c: HeadlineCell): string {
  if (c.noise) return `<td class="noise" title="${e(c.noise)}">${e(c.text)}</td>`;
  const detail = c.detail ? `<span class="range"${c.detailHint ? ` title="${e(c.detailHint)}"` : ''}>${e(c.detail)}</span>` : '';
  return `<td>${e(c.text)}${c.taint ? mark(c.taint) : ''}${detail}${c.badge ? badge(c.badge.text, c.badge.title) : ''}</td>`;
}

function headlineRow(row: HeadlineRow): string {
  const open = `<tr class="transport t-${row.transport}">`;
  const name = `<td><span class="swatch"></span>${e(rowLabel(row))}${row.generatorSaturated ? badge('generator saturated', SATURATED) : ''}</td>`;
  const span = HEADLINE_COLUMNS.length;
  if (row.status === 'missing') return `${open}${name}<td class="missing" colspan="${span}">not measured at this load</td></tr>`;
  if (row.status === 'not run') return `${open}${name}<td class="missing" colspan="${span}">not run: ${e(row.error?.message ?? '')}</td></tr>`;
  if (row.status === 'errored') {
    return `${open}${name}<td class="errored" colspan="${span}">✖ errored${row.error ? `: <code>${e(row.error.code)}</code> ${e(row.error.message)}` : ''}</td></tr>`;
  }
  return `${open}${name}${HEADLINE_COLUMNS.map((c) => cell(c.cell(row))).join('')}</tr>`;
}

export function headlineTable(headline: Headline): string {
  const head = HEADLINE_COLUMNS.map((c) => `<th${c.hint ? ` title="${e(c.hint)}"` : ''}>${e(c.title)}</th>`).join('');
  return `<div class="table-wrap"><table class="headline">
<thead><tr><th>Transport</th>${head}</tr></thead>
<tbody>${headline.rows.map(headlineRow).join('\n')}</tbody></table></div>`;
}

/** The headline card; `conditions` names a second one drawn under other conditions ("over an emulated 50 ms round trip"). */
export function headlineCard(prefix: string, headline: Headline, conditions?: string): string {
  const body = headline.point
    ? `<div class="point">At ${e(describePoint(headline.point))}${headline.conditions ? `, ${e(headline.conditions)}` : ''}</div>${headlineTable(headline)}
${headline.otherConditions.length ? `<p class="missing-note">This run also measured ${e(headline.otherConditions.map(describeConditions).join('; '))}: a headline for each follows where push ran, and every step is in the step table; the charts and the other tables draw ${e(headline.conditions || 'loopback with minimal request headers')}.</p>` : ''}
<ul class="notes"><li>Latency is one-way, publish to receipt, corrected for coordinated omission; each figure is the median across repeats with min – max beneath. Short polling is shown at its shortest poll interval. Memory per connection comes from the idle scenario. ⚠ marks a figure a flag taints (hover for why).</li></ul>
${headline.verdicts.length ? `<ul class="verdicts">${headline.verdicts.map((v) => `<li>${e(v)}</li>`).join('')}</ul>` : '<p class="missing-note">Too few ok rows at this load to compare transports.</p>'}`
    : '<p class="missing-note">No headline: the push scenario was not run, so there is no load point to compare transports at.</p>';
  const title = conditions ? `Headline, ${e(conditions)}` : 'Headline';
  return `<section class="card" id="${prefix}-headline"><h2>${title}</h2><p class="lead">Each transport delivering the same feed at the same load. Lower latency, bytes and memory are better; more delivered messages per second is better.</p>${body}</section>`;
}

/** For several runs: key figures side by side, one column group per run. */
export function comparisonCard(runs: readonly RunModel[]): string {
  const transports = TRANSPORTS.filter((t) => runs.some((r) => r.headline.rows.some((row) => row.transport === t)));
  const groupHead = runs.map((r) => `<th colspan="3" class="text">${e(r.label)}</th>`).join('');
  const subHead = runs.map(() => '<th>p50</th><th>p99</th><th>B/msg</th>').join('');
  const rows = transports.map((t) => {
    const cells = runs.map(({ headline }) => {
      const row = headline.rows.find((r) => r.transport === t);
      if (!row || row.status !== 'ok') return `<td colspan="3" class="missing">${row?.status === 'errored' ? '✖ errored' : 'not measured'}</td>`;
      const flag = row.generatorSaturated || row.unexplainedLoss ? ' ⚠' : '';
      return `<td>${row.p50 ? e(ms(row.p50.median)) : '–'}</td><td>${row.p99 ? e(ms(row.p99.median)) + flag : '–'}</td><td>${row.bytesPerMessage ? e(sig3(row.bytesPerMessage.median)) : '–'}</td>`;
    });
    return `<tr class="transport t-${t}"><td><span class="swatch"></span>${e(rowLabel({ transport: t }))}</td>${cells.join('')}</tr>`;
  });
  const points = runs.map((r) => `<li>${e(r.label)}: ${r.headline.point ? e(describePoint(r.headline.point)) : 'no push scenario'}</li>`).join('');
  return `<section class="card" id="runs-compared"><h2>Runs side by side</h2><p class="lead">The headline figures of every run given, at each run's own headline load (listed below the table): compare like with like. ⚠ marks a flagged figure.</p>
<div class="table-wrap"><table><thead><tr><th rowspan="2">Transport</th>${groupHead}</tr><tr>${subHead}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div><ul class="notes">${points}</ul></section>`;
}
