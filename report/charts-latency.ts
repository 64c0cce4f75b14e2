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

export function capacityChart(id: string, results: Results): ChartSpec {
  const steps = capacitySteps(results);
  const sla = steps[0]?.metrics.capacity?.slaP95Ms;
  const unit = steps[0]?.metrics.capacity?.dimension === 'rate' ? 'messages/s' : 'clients';
  const base = {
    id,
    type: 'bar' as const,
    title: `Capacity: the most ${unit} that met the SLA`,
    howToRead: `Each bar is the largest ${unit === 'clients' ? 'client count' : 'rate'} at which p95 latency stayed within ${sla === undefined ? 'the SLA' : `${count(sla)} ms`} and nothing was lost. Higher is better; a transport marked (≥) passed every step tried, so its limit lies beyond.`,
    x: { title: 'Transport', scale: 'category' as const },
    y: { title: `${unit === 'clients' ? 'Clients' : 'Messages/s'} (most under the SLA)`, scale: 'linear' as const, unit, min: 0 },
  };
  if (steps.length === 0) return missingChart(base, 'Not measured: the capacity scenario was not run, or every step of it errored.');
  const notes: string[] = [];
  const passedAll = new Map<number, string[]>();
  for (const s of steps) {
    const c = s.metrics.capacity!;
    if (c.lastPassing === null) notes.push(`${transportLabel(s.transport)}: met the SLA at no step tried (first step: ${count(c.steps[0]?.value ?? 0)} ${c.dimension}).`);
    else if (c.steps.every((st) => st.passed)) passedAll.set(c.lastPassing, [...(passedAll.get(c.lastPassing) ?? []), transportLabel(s.transport)]);
  }
  // One line per limit reached, not one per transport: often every transport passes every step.
  for (const [value, names] of passedAll) notes.push(`(≥) passed every step tried, up to ${count(value)} ${unit}: ${names.join(', ')}. Try more ${unit} to find the limit.`);
  return {
    ...base,
    labels: steps.map((s) => transportLabel(s.transport) + (s.metrics.capacity!.steps.every((st) => st.passed) ? ' (≥)' : '')),
    datasets: [{ label: `Most ${steps[0].metrics.capacity!.dimension} under the SLA`, colour: steps.map((s) => TRANSPORT_COLOURS[s.transport]), legendColour: NEUTRAL.envelope, data: steps.map((s) => s.metrics.capacity!.lastPassing ?? 0) }],
    notes,
  };
}

export function capacityStepsChart(id: string, results: Results): ChartSpec {
  const steps = capacitySteps(results);
  const sla = steps[0]?.metrics.capacity?.slaP95Ms;
  const base = {
    id,
    type: 'line' as const,
    title: 'Capacity search: p95 latency at each step',
    howToRead: 'Load was added in steps until p95 latency passed the SLA (the red dashed line). Each line ends at the first step that failed (▲).',
    x: { title: steps[0]?.metrics.capacity?.dimension === 'rate' ? 'Messages/s (log scale)' : 'Clients (log scale)', scale: 'logarithmic' as const },
    y: { title: 'p95 latency (ms, log scale)', scale: 'logarithmic' as const, unit: 'ms' },
  };
  if (steps.length === 0) return missingChart(base, 'Not measured: the capacity scenario was not run, or every step of it errored.');
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

/** p50 and p99 bars per transport for a scenario with one step per transport (chat, rtt). */
export function scenarioLatencyChart(id: string, results: Results, scenario: 'chat' | 'rtt'): ChartSpec {
  const chat = scenario === 'chat';
  const base = {
    id,
    type: 'bar' as const,
    title: chat ? 'Chat: one client sends, the others receive' : 'Round trip: client → server → same client',
    howToRead: chat
      ? 'Latency from a client\'s send to each other client\'s receipt; solid bars p50, pale bars p99. Publishing is client-side here, so polling and SSE pay for an HTTP POST.'
      : 'Round-trip time of a client\'s own message; solid bars p50, pale bars p99. Lower is better.',
    x: { title: 'Transport', scale: 'category' as const },
    y: LATENCY_AXIS,
  };
  const steps = byTransportOrder([...onePerTransport(stepsOf(results, scenario)).values()]);
  const timed = steps.filter(isOk).filter((s) => s.metrics.latency);
  if (timed.length === 0) return missingChart(base, `Not measured: the ${scenario} scenario was not run, or every step of it errored.`);
  const labels = timed.map((s) => rowLabel({ transport: s.transport, pollIntervalMs: param(s, 'pollIntervalMs') }));
  const colours = timed.map((s) => TRANSPORT_COLOURS[s.transport]);
  return {
    ...base,
    labels,
    datasets: [
      { label: 'p50', colour: colours, legendColour: '#555', data: timed.map((s) => r4(s.metrics.latency!.p50.median / 1000)), flagged: timed.map(isFlagged) },
      { label: 'p99', colour: colours.map((c) => withAlpha(c, 0.4)), legendColour: '#bbb', data: timed.map((s) => r4(s.metrics.latency!.p99.median / 1000)), flagged: timed.map(isFlagged) },
    ],
    notes: [...steps.filter(isErrored).map((s) => erroredNote(s)), ...timed.flatMap((s) => flagNote(s))],
  };
}

function capacitySteps(results: Results): OkStep[] {
  return byTransportOrder([...onePerTransport(stepsOf(results, 'capacity')).values()].filter(isOk).filter((s) => s.metrics.capacity));
}

function transportsOf(steps: StepResult[]): TransportName[] {
  return byTransportOrder(steps).map((s) => s.transport).filter((t, i, all) => all.indexOf(t) === i);
}
