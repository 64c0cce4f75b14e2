import type { OkStep, Results, StepResult } from '../results/schema.ts';
import { NEUTRAL, TRANSPORT_COLOURS, withAlpha } from './palette.ts';
import { type TransportName, byTransportOrder, transportLabel } from '../protocol/transports.ts';
import { erroredNote, flagNote, isFlagged, missingChart, r4, type ChartSpec, type DatasetSpec } from './chart-spec.ts';
import { count } from './format.ts';
import { percentilePoints } from './histogram-points.ts';
import { rowLabel } from './headline.ts';
import { isErrored, isOk, onePerTransport, param, pushAtPoint, stepsOf, type LoadPoint } from './select-steps.ts';

/** Latency charts: the percentile distribution, latency against load, capacity, chat and round trips. */

const LATENCY_AXIS = { title: 'Latency (ms, log scale)', scale: 'logarithmic', unit: 'ms' } as const;

export function percentileChart(id: string, results: Results, point: LoadPoint | null, which: 'latency' | 'latencyUncorrected'): ChartSpec {
  const corrected = which === 'latency';
  const base = {
    id,
    type: 'line' as const,
    title: corrected ? 'Latency distribution, corrected (from intended send time)' : 'Latency distribution, uncorrected (from actual send time)',
    howToRead: corrected
      ? 'One line per transport at the headline load. Read up from a percentile: at 99 %, one message in 100 took at least that long. Lower is better; the right end is the slowest message. Corrected latency counts the publisher\'s own lateness (coordinated omission).'
      : 'As the chart beside it, but timed from when each message was actually sent: the gap between the two is publisher lag, not transport delay.',
    x: { title: 'Percentile (log scale of 1/(1−p))', scale: 'percentile' as const },
    y: LATENCY_AXIS,
  };
  const steps = point ? byTransportOrder([...pushAtPoint(results, point).values()].filter(isOk).filter((s) => s.metrics[which]?.histogram)) : [];
  if (steps.length === 0) return missingChart(base, 'No push latency histograms in this run: the push scenario was not run, or every step of it errored.');
  return {
    ...base,
    datasets: steps.map((s) => ({
      label: rowLabel({ transport: s.transport, pollIntervalMs: param(s, 'pollIntervalMs') }) + (isFlagged(s) ? ' ⚠' : ''),
      colour: TRANSPORT_COLOURS[s.transport],
      dashed: isFlagged(s),
      data: percentilePoints(s.metrics[which]!.histogram),
    })),
    notes: steps.flatMap((s) => flagNote(s)),
  };
}

/** p50 and p99 against the publish rate (at the headline client count) or the client count (at its rate). */
export function loadChart(id: string, results: Results, point: LoadPoint | null, dimension: 'rate' | 'clients'): ChartSpec {
  const other = dimension === 'rate' ? 'clients' : 'rate';
  const base = {
    id,
    type: 'line' as const,
    title: dimension === 'rate' ? 'Latency against publish rate' : 'Latency against client count',
    howToRead: `Solid lines are p99, thin dashed lines p50 (corrected), at ${point ? `${count(point[other])} ${other === 'rate' ? 'messages/s' : 'clients'}` : 'the headline load'}. A line that bends upward is a transport reaching its limit; ▲ marks a flagged figure.`,
    x: dimension === 'rate' ? { title: 'Publish rate (messages/s over all rooms, log scale)', scale: 'logarithmic' as const, unit: 'msg/s' } : { title: 'Clients (log scale)', scale: 'logarithmic' as const, unit: 'clients' },
    y: LATENCY_AXIS,
  };
  if (!point) return missingChart(base, 'Not measured: the push scenario was not run.');
  // Short polling appears at the interval the headline uses, so its line is one configuration.
  const headlinePoll = pushAtPoint(results, point).get('short-polling');
  const interval = headlinePoll ? param(headlinePoll, 'pollIntervalMs') : undefined;
  const sameConfig = (s: StepResult) => s.transport !== 'short-polling' || param(s, 'pollIntervalMs') === interval;
  const sweep = stepsOf(results, 'push').filter((s) => param(s, other) === point[other] && (param(s, 'payloadBytes') ?? 0) === point.payloadBytes && sameConfig(s));
  const values = new Set(sweep.map((s) => param(s, dimension)));
  if (values.size < 2) return missingChart(base, `No ${dimension === 'rate' ? 'rate' : 'client'} sweep in this run: every push step at this load used the same ${dimension === 'rate' ? 'rate' : 'client count'}.`);
  const datasets: DatasetSpec[] = [];
  const notes: string[] = [];
  const unit = dimension === 'rate' ? 'messages/s' : 'clients';
  for (const transport of transportsOf(sweep)) {
    const steps = sweep.filter((s) => s.transport === transport).sort((a, b) => param(a, dimension)! - param(b, dimension)!);
    const label = rowLabel({ transport, pollIntervalMs: param(steps[0], 'pollIntervalMs') });
    const series = (p: 'p50' | 'p99') => steps.map((s) => ({ x: param(s, dimension)!, y: isOk(s) && s.metrics.latency ? r4(s.metrics.latency[p].median / 1000) : null }));
    const flagged = steps.map(isFlagged);
    datasets.push({ label, group: transport, colour: TRANSPORT_COLOURS[transport], data: series('p99'), flagged });
    datasets.push({ label: `${label} p50`, group: transport, colour: TRANSPORT_COLOURS[transport], dashed: true, legendHidden: true, data: series('p50'), flagged });
    for (const s of steps) {
      const where = `${count(param(s, dimension)!)} ${unit}`;
      if (!isOk(s)) notes.push(erroredNote(s, where));
      notes.push(...flagNote(s, where));
    }
  }
  return { ...base, datasets, notes };
}

/** What the bar chart shows of a search: capacity's most clients, ceiling's most delivered messages/s. */
const SEARCH_TEXT = {
  capacity: {
    title: 'Capacity: the most clients that met the SLA',
    bar: 'Most clients under the SLA',
    axis: 'Clients (most under the SLA)',
    unit: 'clients',
    value: (c: SearchFigures) => c.lastPassing ?? 0,
    howToRead: (sla: string) => `Each bar is the largest client count at which p95 latency stayed within ${sla} and nothing was lost. Higher is better; a transport marked (≥) passed every step tried, so its limit lies beyond.`,
  },
  ceiling: {
    title: 'Throughput ceiling: delivered messages/s within the SLA',
    bar: 'Delivered messages/s at the last passing rate',
    axis: 'Delivered messages/s',
    unit: 'msg/s',
    value: (c: SearchFigures) => c.deliveredPerSec ?? 0,
    howToRead: (sla: string) => `A fixed set of clients, and the publish rate raised step by step: each bar is the messages/s delivered at the highest rate where p95 latency stayed within ${sla} and nothing was lost. Open-loop publishing keeps delivering while a server slows, until it cannot keep up; this is where. (≥) passed every rate tried; (gen) stopped where the load generator saturated, so the ceiling is at least that.`,
  },
} as const;

type SearchScenario = keyof typeof SEARCH_TEXT;
type SearchFigures = NonNullable<OkStep['metrics']['capacity']>;

const mark = (c: SearchFigures) => (c.steps.every((st) => st.passed) ? ' (≥)' : c.stoppedBy === 'generator' ? ' (gen)' : '');

export function capacityChart(id: string, results: Results, scenario: SearchScenario = 'capacity'): ChartSpec {
  const text = SEARCH_TEXT[scenario];
  const steps = searchSteps(results, scenario);
  const sla = steps[0]?.metrics.capacity?.slaP95Ms;
  const base = {
    id,
    type: 'bar' as const,
    title: text.title,
    howToRead: text.howToRead(sla === undefined ? 'the SLA' : `${count(sla)} ms`),
    x: { title: 'Transport', scale: 'category' as const },
    y: { title: text.axis, scale: 'linear' as const, unit: text.unit, min: 0 },
  };
  if (steps.length === 0) return missingChart(base, `Not measured: the ${scenario} scenario was not run, or every step of it errored.`);
  const notes: string[] = [];
  const passedAll = new Map<number, string[]>();
  const unit = steps[0]!.metrics.capacity!.dimension === 'rate' ? 'messages/s' : 'clients';
  for (const s of steps) {
    const c = s.metrics.capacity!;
    if (c.lastPassing === null) notes.push(`${transportLabel(s.transport)}: met the SLA at no step tried (first step: ${count(c.steps[0]?.value ?? 0)} ${unit}).`);
    else if (c.steps.every((st) => st.passed)) passedAll.set(c.lastPassing, [...(passedAll.get(c.lastPassing) ?? []), transportLabel(s.transport)]);
    else if (c.stoppedBy === 'generator') notes.push(`${transportLabel(s.transport)}: the load generator saturated at ${count(c.steps[c.steps.length - 1]!.value)} ${unit}, before the transport failed: its limit is at least the bar.`);
  }
  // One line per limit reached, not one per transport: often every transport passes every step.
  for (const [value, names] of passedAll) notes.push(`(≥) passed every step tried, up to ${count(value)} ${unit}: ${names.join(', ')}. Try more ${unit} to find the limit.`);
  return {
    ...base,
    labels: steps.map((s) => transportLabel(s.transport) + mark(s.metrics.capacity!)),
    datasets: [{ label: text.bar, colour: steps.map((s) => TRANSPORT_COLOURS[s.transport]), legendColour: NEUTRAL.envelope, data: steps.map((s) => r4(text.value(s.metrics.capacity!))) }],
    notes,
  };
}

export function capacityStepsChart(id: string, results: Results, scenario: SearchScenario = 'capacity'): ChartSpec {
  const steps = searchSteps(results, scenario);
  const sla = steps[0]?.metrics.capacity?.slaP95Ms;
  const byRate = scenario === 'ceiling';
  const base = {
    id,
    type: 'line' as const,
    title: byRate ? 'Ceiling search: p95 latency at each publish rate' : 'Capacity search: p95 latency at each step',
    howToRead: `${byRate ? 'The publish rate' : 'Load'} was raised in steps until p95 latency passed the SLA (the red dashed line) or a message was lost. Each line ends at the first step that failed (▲).`,
    x: byRate ? { title: 'Publish rate (messages/s over all rooms, log scale)', scale: 'logarithmic' as const } : { title: 'Clients (log scale)', scale: 'logarithmic' as const },
    y: { title: 'p95 latency (ms, log scale)', scale: 'logarithmic' as const, unit: 'ms' },
  };
  if (steps.length === 0) return missingChart(base, `Not measured: the ${scenario} scenario was not run, or every step of it errored.`);
  const datasets: DatasetSpec[] = steps.map((s) => ({
    label: transportLabel(s.transport),
    colour: TRANSPORT_COLOURS[s.transport],
    data: s.metrics.capacity!.steps.map((st) => ({ x: st.value, y: st.p95Ms })),
    flagged: s.metrics.capacity!.steps.map((st) => !st.passed),
  }));
  const xs = steps.flatMap((s) => s.metrics.capacity!.steps.map((st) => st.value));
  if (sla !== undefined) datasets.push({ label: `SLA: p95 ≤ ${count(sla)} ms`, colour: NEUTRAL.reference, dashed: true, data: [{ x: Math.min(...xs), y: sla }, { x: Math.max(...xs), y: sla }] });
  const notes = steps.flatMap((s) => s.metrics.capacity!.steps.filter((st) => !st.passed).map((st) => `${transportLabel(s.transport)} failed at ${count(st.value)}: ${st.reason ?? 'no reason given'}`));
  return { ...base, datasets, notes };
}

/** p50 and p99 bars per transport for a scenario with one step per transport (chat; rtt adds its echo). */
export function scenarioLatencyChart(id: string, results: Results, scenario: 'chat' | 'rtt'): ChartSpec {
  const chat = scenario === 'chat';
  const base = {
    id,
    type: 'bar' as const,
    title: chat ? 'Chat: one client sends, the others receive' : 'Round trip: publish → ack, and publish → own message back',
    howToRead: chat
      ? 'Latency from a client\'s send to each other client\'s receipt; solid bars p50, pale bars p99. Publishing is client-side here, so polling and SSE pay for an HTTP POST.'
      : 'Two figures per transport, from the intended send time. "ack": until the server acknowledged the publish (for polling and SSE, the answer to the POST; for ws, Socket.IO and raw TCP, a frame on the same connection). "echo": until the client received its own message through its subscription (for short polling, that waits for the next poll). Solid bars p50, pale bars p99. Lower is better.',
    x: { title: 'Transport', scale: 'category' as const },
    y: LATENCY_AXIS,
  };
  const steps = byTransportOrder([...onePerTransport(stepsOf(results, scenario)).values()]);
  const timed = steps.filter(isOk).filter((s) => s.metrics.latency);
  if (timed.length === 0) return missingChart(base, `Not measured: the ${scenario} scenario was not run, or every step of it errored.`);
  const labels = timed.map((s) => rowLabel({ transport: s.transport, pollIntervalMs: param(s, 'pollIntervalMs') }));
  const colours = timed.map((s) => TRANSPORT_COLOURS[s.transport]);
  const ms = (value: number | undefined) => (value === undefined ? null : r4(value / 1000));
  const bars = (label: string, pick: (s: OkStep) => number | undefined, alpha: number, legend: string): DatasetSpec => ({
    label,
    colour: alpha === 1 ? colours : colours.map((c) => withAlpha(c, alpha)),
    legendColour: legend,
    data: timed.map((s) => ms(pick(s))),
    flagged: timed.map(isFlagged),
  });
  const datasets = chat
    ? [bars('p50', (s) => s.metrics.latency!.p50.median, 1, '#555'), bars('p99', (s) => s.metrics.latency!.p99.median, 0.4, '#bbb')]
    : [
        bars('ack p50', (s) => s.metrics.latency!.p50.median, 1, '#555'),
        bars('ack p99', (s) => s.metrics.latency!.p99.median, 0.4, '#bbb'),
        bars('echo p50', (s) => s.metrics.echo?.p50.median, 0.75, '#777'),
        bars('echo p99', (s) => s.metrics.echo?.p99.median, 0.2, '#ddd'),
      ];
  return {
    ...base,
    labels,
    datasets,
    notes: [...steps.filter(isErrored).map((s) => erroredNote(s)), ...timed.flatMap((s) => flagNote(s))],
  };
}

function searchSteps(results: Results, scenario: SearchScenario): OkStep[] {
  return byTransportOrder([...onePerTransport(stepsOf(results, scenario)).values()].filter(isOk).filter((s) => s.metrics.capacity));
}

function transportsOf(steps: StepResult[]): TransportName[] {
  return byTransportOrder(steps).map((s) => s.transport).filter((t, i, all) => all.indexOf(t) === i);
}
