import { escapeHtml as e } from './escape.ts';
import { type Reliability, type ReliabilityCell } from './reliability.ts';

/** The reliability card's table: one row per transport, a cell per fault question, flags beside their figure. */

function cell(c: ReliabilityCell): string {
  const detail = c.detail ? `<span class="range">${e(c.detail)}</span>` : '';
  const flag = c.flag ? `<br><span class="flag" title="${e(c.flagDetail ?? c.flag)}">⚠ ${e(c.flag)}</span>` : '';
  if (c.state === 'errored') return `<td class="errored" title="${e(c.detail ?? '')}">${e(c.text)}</td>`;
  if (c.state === 'missing') return '<td class="missing" title="not measured in this run">–</td>';
  if (c.state === 'not-applicable') return `<td class="missing">${e(c.text)}${detail}</td>`;
  return `<td>${e(c.text)}${detail}${flag}</td>`;
}

export function reliabilityTable(reliability: Reliability | null): string {
  if (!reliability) return '<p class="missing-note">Not measured: the fault scenarios (drop, crash, slow-consumer, hostile) were not run.</p>';
  const head = reliability.columns.map((c) => `<th title="${e(c.hint)}">${e(c.title)}</th>`).join('');
  const rows = reliability.rows.map(
    (row) => `<tr class="transport t-${e(row.transport)}"><td><span class="swatch"></span>${e(row.label)}</td>${reliability.columns.map((c) => cell(row.cells[c.id])).join('')}</tr>`,
  );
  return `<div class="table-wrap"><table class="reliability"><thead><tr><th>Transport</th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>
<ul class="notes">${reliability.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`;
}
