import type { Results, StepResult } from '../results/schema.ts';
import { bandwidthProjection, LUBBERS_GRECO, PROJECTION_CLIENTS } from './bandwidth-projection.ts';
import { polls, transportLabel } from '../protocol/transports.ts';
import { escapeHtml as e } from './escape.ts';
import { bytes, count, mbps, ms, sig3 } from './format.ts';
import { conditionsLabel, isErrored, isOk, param, shortPollingSweep, stepsOf, underConditions, type LoadPoint } from './select-steps.ts';
import { outcomeOf, outcomesText } from '../results/step-outcome.ts';

/** The report's tables: bandwidth projection, short-polling sweep, HTTP overhead, errored steps, every step, environment. */

export function bandwidthTable(results: Results, point: LoadPoint | null): string {
  const columns = point ? bandwidthProjection(results, point) : [];
  if (columns.length === 0) return '<p class="missing-note">No projection: the push scenario recorded no bytes per message.</p>';
  const head = columns.map((c) => `<th class="t-${c.transport}"><span class="swatch"></span>${e(c.label)}${c.flagged ? ' ⚠' : ''}</th>`).join('');
  const group = (title: string, pick: (c: (typeof columns)[number]) => number[], perClient: (c: (typeof columns)[number]) => number) => [
    `<tr class="group"><th colspan="${columns.length + 2}" class="text">${e(title)}</th></tr>`,
    ...PROJECTION_CLIENTS.map((n, i) => `<tr><td>${'ABC'[i] ?? ''}</td><td>${e(count(n))}</td>${columns.map((c) => `<td>${e(mbps(pick(c)[i]))}</td>`).join('')}</tr>`),
    `<tr><td colspan="2" class="text">Bytes per client per second</td>${columns.map((c) => `<td>${e(bytes(perClient(c)))}</td>`).join('')}</tr>`,
  ].join('');
  const overhead = group('Transport overhead only: headers, framing, polls (what Lubbers & Greco counted)', (c) => c.overheadMbps, (c) => c.overheadBytesPerClientPerSec);
  const total = group('Everything on the wire: payload and envelope included', (c) => c.mbps, (c) => c.bytesPerClientPerSec);
  const basis = `<tr><td colspan="2" class="text">Made from</td>${columns.map((c) => `<td class="text"><small>${e(c.basis)}</small></td>`).join('')}</tr>`;
  return `<div class="table-wrap"><table class="projection"><thead><tr><th>Use case</th><th>Clients</th>${head}</tr></thead><tbody>${overhead}${total}${basis}</tbody></table></div>
<ul class="notes"><li>Mbps means 10^6 bit/s; both directions are counted (requests and responses, frames each way). Each client receives one message per second; polling clients also poll at their interval whether or not there is a message.</li>
<li>Lubbers &amp; Greco's original table (871 B of HTTP headers per poll, 2-byte WebSocket frames, Mbps = 2^20 bit/s): polling ${LUBBERS_GRECO.polling.join(' / ')} Mbps and WebSocket ${LUBBERS_GRECO.websocket.join(' / ')} Mbps for 1,000 / 10,000 / 100,000 clients.</li>${browserProjectionNote(results, point!)}</ul>`;
}

/**
 * The polling columns again from this run's steps with a browser's request headers (run --request-headers
 * browser: what Debian's chromium sends, clients/browser-headers.json), when it measured push with them.
 */
function browserProjectionNote(results: Results, point: LoadPoint): string {
  if (!results.steps.some((s) => s.scenario === 'push' && conditionsLabel(s) === 'headers=browser')) return '';
  const columns = bandwidthProjection(underConditions(results, 'headers=browser'), point).filter((c) => polls(c.transport));
  if (columns.length === 0) return '';
  const say = (c: (typeof columns)[number]) => `${c.label} ${c.overheadMbps.map(mbps).join(' / ')} of overhead (${c.basis})`;
  return `<li>With the request headers a browser sends (Debian's chromium, measured in this run with --request-headers browser): ${e(columns.map(say).join('; '))}, for 1,000 / 10,000 / 100,000 clients.</li>`;
}

export function pollingTable(results: Results, point: LoadPoint | null): string {
  const sweep = point ? shortPollingSweep(results, point) : [];
  if (sweep.length === 0) return '';
  const rows = sweep.map((s) => {
    if (!isOk(s)) return `<tr><td>${e(count(param(s, 'pollIntervalMs')!))} ms</td><td class="errored" colspan="5">✖ errored: ${e(s.error.message)}</td></tr>`;
    const m = s.metrics;
    return `<tr><td>${e(count(param(s, 'pollIntervalMs')!))} ms</td><td>${m.latency ? e(ms(m.latency.p50.median)) : '–'}</td><td>${m.latency ? e(ms(m.latency.p99.median)) : '–'}</td><td>${m.bytesPerMessage ? e(bytes(m.bytesPerMessage.total.median)) : '–'}</td><td>${m.requestsPerSec ? e(count(m.requestsPerSec.median)) : '–'}</td><td>${m.emptyPollShare ? e(`${sig3(m.emptyPollShare.median * 100)} %`) : '–'}</td></tr>`;
  });
  return `<div class="table-wrap"><table><thead><tr><th>Poll interval</th><th>Latency p50</th><th>Latency p99</th><th>Bytes per message (measured)</th><th>Requests/s</th><th>Empty polls</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function httpOverheadTable(results: Results): string {
  const steps = stepsOf(results, 'http-overhead');
  if (steps.length === 0) return '<p class="missing-note">Not measured: the http-overhead scenario was not run.</p>';
  const rows = steps.map((s) => {
    const label = `<td><span class="swatch"></span>${e(transportLabel(s.transport))}</td>`;
    if (!isOk(s)) return `<tr class="transport t-${s.transport}">${label}<td class="errored" colspan="6">✖ errored: ${e(s.error?.message ?? '')}</td></tr>`;
    const a = s.metrics.autocannon;
    return `<tr class="transport t-${s.transport}">${label}<td>${s.metrics.requestsPerSec ? e(count(s.metrics.requestsPerSec.median)) : '–'}</td><td>${a ? e(count(a.requestsPerSec.median)) : '–'}</td><td>${a ? e(bytes(a.bytesPerRequest.median)) : '–'}</td><td>${a ? e(`${sig3(a.latencyP50Ms.median)} / ${sig3(a.latencyP99Ms.median)} ms`) : '–'}</td><td>${a ? e(count(a.errors)) : '–'}</td><td class="text">${a ? `<code>${e(a.route)}</code>` : ''}</td></tr>`;
  });
  return `<div class="table-wrap"><table><thead><tr><th>Transport</th><th>Requests/s (our clients)</th><th>Requests/s (autocannon)</th><th>Bytes per request</th><th>autocannon p50 / p99</th><th>Errors</th><th class="text">Route</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function params(step: StepResult): string {
  return Object.entries(step.params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

export function erroredTable(results: Results): string {
  const errored = results.steps.filter(isErrored);
  if (errored.length === 0) return '<p>No step errored.</p>';
  const rows = errored.map((s) => `<tr><td class="text"><code>${e(s.id)}</code>${outcomeOf(s) === 'not run' ? ' <small>(not run here: marked, not failed)</small>' : ''}</td><td class="text"><code>${e(s.error?.code ?? '–')}</code></td><td class="text">${e(s.error?.message ?? 'no reason recorded')}</td><td class="text"><small>${e(params(s))}</small></td></tr>`);
  return `<div class="table-wrap"><table><thead><tr><th class="text">Step</th><th class="text">Code</th><th class="text">Reason</th><th class="text">Parameters</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function stepsTable(results: Results): string {
  const rows = results.steps.map((s) => {
    const flags = isOk(s) ? [s.flags.generatorSaturated ? '<span class="flag">⚠ generator saturated</span>' : '', s.flags.unexplainedLoss ? '<span class="flag">⚠ unexplained loss</span>' : ''].join(' ') : '';
    return `<tr><td class="text"><code>${e(s.id)}</code></td><td class="text">${s.status === 'ok' ? 'ok' : outcomeOf(s) === 'not run' ? 'not run here' : '<span class="flag">✖ errored</span>'} ${flags}</td><td>${e(s.repeats)}</td><td class="text"><small>${e(params(s))}</small></td><td class="text"><small>${s.notes.map((n) => e(n)).join('<br>')}</small></td></tr>`;
  });
  return `<details><summary>Every step of this run (${e(count(results.steps.length))})</summary><div class="table-wrap"><table><thead><tr><th class="text">Step</th><th class="text">Status</th><th>Repeats</th><th class="text">Parameters</th><th class="text">Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></details>`;
}

function kv(entries: Array<[string, unknown]>): string {
  return `<dl class="kv">${entries.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v === null || v === undefined ? '–' : String(v))}</dd>`).join('')}</dl>`;
}

export function environmentBlock(results: Results): string {
  const env = results.environment;
  const environment = kv([
    ['Node', `${env.node} (V8 ${env.v8})`],
    ['Platform', `${env.platform} ${env.arch}, ${env.osRelease}`],
    ['CPU', `${env.cpuModel} × ${env.cpuCount}`],
    ['Memory', bytes(env.totalMemoryBytes)],
    ['Packages', Object.entries(env.packages).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['Commit', env.gitCommit === null ? 'unknown' : `${env.gitCommit}${env.gitDirty ? ' (with uncommitted changes)' : ''}`],
    ['CI', env.ci ? 'yes' : 'no'],
    ['Tool', `${results.tool.name} ${results.tool.version}, profile ${results.profile}`],
    ['Run', `${results.startedAt} → ${results.finishedAt} (${sig3(results.summary.durationMs / 1000)} s)`],
    ['Steps', `${count(results.summary.steps)}: ${outcomesText(results.steps)}`],
  ]);
  const method = kv(Object.entries(results.method));
  return `<div class="two"><div><h3>Environment</h3>${environment}</div><div><h3>Method</h3>${method}</div></div>
<details><summary>Full configuration of this run</summary><pre>${e(JSON.stringify(results.config, null, 2))}</pre></details>`;
}
