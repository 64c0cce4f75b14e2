import type { ChartSpec } from './chart-spec.ts';
import { escapeHtml as e } from './escape.ts';
import { count } from './format.ts';
import { headlineCard } from './html-headline.ts';
import { reliabilityTable } from './html-reliability.ts';
import { bandwidthTable, environmentBlock, erroredTable, httpOverheadTable, pollingTable, stepsTable } from './html-tables.ts';
import type { RunModel } from './model.ts';
import { outcomesText } from '../results/step-outcome.ts';
import { describeConditions } from './select-steps.ts';

/** One run's section: headline, then a card per question, then the run's details. */

export function chartFigure(spec: ChartSpec): string {
  const head = `<h3>${e(spec.title)}</h3>`;
  if (spec.missing !== undefined) return `<figure class="chart missing" id="fig-${e(spec.id)}">${head}<p class="missing-note">${e(spec.missing)}</p></figure>`;
  const notes = spec.notes.length
    ? `<ul class="notes">${spec.notes.map((n) => `<li${/^[⚠✖]/.test(n) ? ' class="flagged"' : ''}>${e(n)}</li>`).join('')}</ul>`
    : '';
  return `<figure class="chart" id="fig-${e(spec.id)}">${head}<p class="how"><strong>How to read:</strong> ${e(spec.howToRead)}</p>
<div class="chart-box"><canvas id="${e(spec.id)}" data-chart role="img" aria-label="${e(spec.title)}"></canvas></div>${notes}</figure>`;
}

function card(id: string, title: string, lead: string, body: string): string {
  return `<section class="card" id="${e(id)}"><h2>${e(title)}</h2><p class="lead">${e(lead)}</p>${body}</section>`;
}

const grid = (...specs: ChartSpec[]) => `<div class="grid">${specs.map(chartFigure).join('')}</div>`;

export function runSection(run: RunModel, hidden: boolean): string {
  const { results, charts, point } = run;
  const p = `r${run.index}`;
  const toc: Array<[string, string]> = [
    ['headline', 'Headline'],
    ['conditions', 'Conditions'],
    ['latency', 'Latency'],
    ['load', 'Load & capacity'],
    ['interactive', 'Chat & round trip'],
    ['bytes', 'Bytes'],
    ['idle', 'Idle cost'],
    ['bandwidth', 'Bandwidth'],
    ['polling', 'Short polling'],
    ['reliability', 'Reliability'],
    ['details', 'Run details'],
  ];
  const s = results.summary;
  return `<section class="run" data-run="${run.index}" id="run-${run.index}"${hidden ? ' hidden' : ''}>
${results.interrupted ? '<p class="missing-note interrupted">⚠ This run was interrupted before it finished: steps it did not reach are errored (BENCH_ERR_INTERRUPTED / BENCH_ERR_NOT_RUN) and their charts have gaps.</p>' : ''}
<div class="run-meta"><strong>${e(run.label)}</strong> · profile ${e(results.profile)} · ${e(count(s.steps))} steps, ${e(outcomesText(results.steps))}${s.errored ? ` (<a href="#${p}-details">see why</a>)` : ''} · file <code>${e(run.file)}</code></div>
<nav class="toc">${toc.map(([id, label]) => `<a href="#${p}-${id}">${e(label)}</a>`).join('')}</nav>
${headlineCard(p, run.headline)}
${run.otherHeadlines.map((headline, i) => headlineCard(`${p}-c${i}`, headline, headline.conditions)).join('\n')}
${card(`${p}-conditions`, 'Which transport, on my network?', conditionsIntro(run), grid(charts['conditions-latency'], charts['conditions-tail'], charts['conditions-setup'], charts['conditions-bytes'], charts['conditions-errors'], charts['latency-vs-rtt'], charts['setup-vs-rtt']))}
${card(`${p}-latency`, 'Latency distribution', 'Every delivered message of every repeat at the headline load, merged into one histogram per transport and plotted HdrHistogram-style: the tail, not just the average.', grid(charts['latency-corrected'], charts['latency-uncorrected']))}
${card(`${p}-load`, 'Latency against load, and capacity', 'How latency grows as the publish rate or the number of clients rises; the most clients each transport served within the latency SLA; and its throughput ceiling, the most messages/s it delivered to a fixed set of clients within the SLA; with several server nodes sharing a feed in Redis, latency and delivered messages/s against the node count.', grid(charts['latency-vs-rate'], charts['latency-vs-clients'], charts.capacity, charts['capacity-steps'], charts.ceiling, charts['ceiling-steps'], charts['latency-vs-nodes'], charts['throughput-vs-nodes']))}
${card(`${p}-interactive`, 'Chat and round trip', 'Clients that send as well as receive: a chat room, and a client timing its own message until the server acknowledged it and until it came back through its subscription.', grid(charts['chat-latency'], charts['rtt-latency']))}
${card(`${p}-bytes`, 'Bytes on the wire', 'What each message costs in bytes, split into the payload, the message envelope and what the transport adds; what opening a connection costs; and how both change with the payload size.', grid(charts['bytes-per-message'], charts['handshake-bytes'], charts['handshake-time'], charts['overhead-vs-payload'], charts['latency-vs-payload']))}
${card(`${p}-idle`, 'Idle cost', 'A connected client that receives nothing still costs traffic (heartbeats, poll timeouts, empty polls) and server memory.', grid(charts['idle-bytes'], charts['idle-memory']))}
${card(`${p}-bandwidth`, 'Bandwidth projection', 'After Lubbers & Greco\'s classic polling-versus-WebSocket table, rebuilt from the bytes measured in this run.', bandwidthTable(results, point) + grid(charts.bandwidth))}
${card(`${p}-polling`, 'The short-polling trade-off', 'Short polling asks on a timer: a shorter interval means fresher messages and more requests.', grid(charts['polling-tradeoff']) + pollingTable(results, point))}
${card(`${p}-http`, 'HTTP overhead', 'Each HTTP route (polls, publishes) driven by our clients and by autocannon against the same server: what plain HTTP request handling costs, apart from the transport.', httpOverheadTable(results))}
${card(`${p}-reliability`, 'Reliability under faults', 'What each transport does when the server cuts every connection, when the server process is killed and restarted, when one client stops reading, and when clients send garbage.', reliabilityTable(run.reliability))}
${card(`${p}-details`, 'Run details', 'Where and how these numbers were taken, and every step that failed with its reason.', `<h3>Errored and not-run steps</h3>${erroredTable(results)}${environmentBlock(results)}${stepsTable(results)}`)}
</section>`;
}

/** The conditions card's introduction: the sets of conditions this run measured, in words. */
function conditionsIntro(run: RunModel): string {
  const { conditions, otherConditions } = run.headline;
  const sets = [conditions || 'loopback with minimal request headers', ...otherConditions.map(describeConditions)];
  return sets.length > 1
    ? `The same transports under every set of conditions this run measured: ${sets.join('; ')} (docs/network.md, docs/browser-runtime.md).`
    : `This run measured one set of conditions, ${sets[0]}: run with --rtt, --loss, --request-headers, --payload-encoding or --client-runtime for more (docs/network.md).`;
}
