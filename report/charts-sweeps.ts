import type { Results, StepResult } from '../results/schema.ts';
import { erroredNote, flagNote, isFlagged, missingChart, r4, type ChartSpec, type DatasetSpec } from './chart-spec.ts';
import { count } from './format.ts';
import { rowLabel } from './headline.ts';
import { NEUTRAL, TRANSPORT_COLOURS } from './palette.ts';
import { TRANSPORTS, type TransportName } from '../protocol/transports.ts';
import { groupsAlong, headlinePoint, isOk, onePerTransport, param, pushAtPoint, stepsOf, underConditions } from './select-steps.ts';

/**
 * Line charts along a swept quantity the other charts hold fixed: the emulated round trip (push latency and
 * set-up time against RTT, with the arithmetic of docs/network.md drawn beside them), the payload size
 * (latency, and the transport's share of the bytes, against payload) and the server nodes (push latency and
 * delivered messages/s against nodes, run --nodes 1,2,4).
 */

/** Push latency against RTT, or connection set-up time against RTT. */
export type RttFigure = 'latency' | 'setup';

const RTT_TEXT: Record<RttFigure, { title: string; how: string; axis: string; reference: string; expected: (rttMs: number) => number }> = {
  latency: {
    title: 'Push latency against round-trip time',
    how: 'One-way p50 at the headline load, one line per transport, at each emulated round trip the run measured (0: loopback). The grey dashed line is RTT/2, the least a pushed message can take; long polling pays a re-poll on top, short polling half its interval.',
    axis: 'Latency p50 (ms)',
    reference: 'RTT/2 (one way)',
    expected: (r) => r / 2,
  },
  setup: {
    title: 'Connection set-up against round-trip time',
    how: 'Time until ready, p50, during the connect storm, one line per transport at each emulated round trip. The grey dashed line is 2 RTT: TCP\'s handshake and one request (a WebSocket upgrade, a first poll). Socket.IO\'s handshake needs more.',
    axis: 'Set-up time p50 (ms)',
    reference: '2 RTT (TCP + one request)',
    expected: (r) => 2 * r,
  },
};

/** Condition groups that differ from the drawn conditions by their round trip only, with that round trip (0 for loopback). */
function roundTripGroups(results: Results, scenario: 'push' | 'connect'): { label: string; rttMs: number }[] {
  return groupsAlong(results, scenario, 'rtt', 0).map((g) => ({ label: g.label, rttMs: g.value }));
}

export function rttChart(id: string, results: Results, figure: RttFigure): ChartSpec {
  const text = RTT_TEXT[figure];
  const base = {
    id,
    type: 'line' as const,
    title: text.title,
    howToRead: text.how,
    x: { title: 'Round-trip time (ms)', scale: 'linear' as const, unit: 'ms', min: 0 },
    y: { title: text.axis, scale: 'linear' as const, unit: 'ms', min: 0 },
  };
  const groups = roundTripGroups(results, figure === 'setup' ? 'connect' : 'push');
  if (groups.length < 2) return missingChart(base, 'Not measured: this run has one round trip only. `run --rtt 0,20,50,100` draws this chart.');
  const byTransport = new Map<TransportName, { rttMs: number; step: StepResult }[]>();
  for (const group of groups) {
    const view = underConditions(results, group.label);
    const point = headlinePoint(view);
    const steps = figure === 'setup' ? onePerTransport(stepsOf(view, 'connect')) : point ? pushAtPoint(view, point) : new Map<TransportName, StepResult>();
    for (const [transport, step] of steps) byTransport.set(transport, [...(byTransport.get(transport) ?? []), { rttMs: group.rttMs, step }]);
  }
  const read = (step: StepResult): number | null => {
    if (!isOk(step)) return null;
    const figures = figure === 'setup' ? step.metrics.setup?.time : step.metrics.latency;
    return figures ? r4(figures.p50.median / 1000) : null;
  };
  const datasets: DatasetSpec[] = [];
  const notes: string[] = [];
  for (const transport of TRANSPORTS.filter((t) => byTransport.has(t))) {
    const points = byTransport.get(transport)!;
    const first = points[0]!.step;
    datasets.push({ label: rowLabel({ transport, pollIntervalMs: param(first, 'pollIntervalMs') }), colour: TRANSPORT_COLOURS[transport], data: points.map((p) => ({ x: p.rttMs, y: read(p.step) })), flagged: points.map((p) => isFlagged(p.step)) });
    for (const { rttMs, step } of points) {
      if (!isOk(step)) notes.push(erroredNote(step, `${count(rttMs)} ms`));
      notes.push(...flagNote(step, `${count(rttMs)} ms`));
    }
  }
  datasets.push({ label: text.reference, colour: NEUTRAL.envelope, dashed: true, data: groups.map((g) => ({ x: g.rttMs, y: r4(text.expected(g.rttMs)) })) });
  return { ...base, datasets, notes };
}

/** Push latency against payload size, or the transport's share of the bytes against payload size. */
export type PayloadFigure = 'latency' | 'overhead';

const PAYLOAD_TEXT: Record<PayloadFigure, { title: string; how: string; y: ChartSpec['y'] }> = {
  latency: {
    title: 'Latency against payload size',
    how: 'Solid lines are p99, thin dashed lines p50 (corrected), at one rate and client count, for each payload size the run swept. Bigger messages take longer to write, frame and parse; a line that bends up early is a transport that copies or re-encodes them.',
    y: { title: 'Latency (ms, log scale)', scale: 'logarithmic', unit: 'ms' },
  },
  overhead: {
    title: 'What the transport adds, against payload size',
    how: 'The bytes a transport adds (headers, framing, polls, heartbeats) as a share of everything on the wire per message: large for small messages, vanishing for large ones. Payload and JSON envelope are the rest.',
    y: { title: 'Transport share of the bytes (%)', scale: 'linear', unit: '%', min: 0 },
  },
};

/** The push steps of the run's payload sweep: the rate and client count measured at the most payload sizes. */
function payloadSweep(results: Results): StepResult[] {
  const push = stepsOf(results, 'push').filter((s) => param(s, 'payloadBytes') !== undefined);
  const byLoad = new Map<string, StepResult[]>();
  for (const step of push) {
    const key = `${param(step, 'rate')}/${param(step, 'clients')}`;
    byLoad.set(key, [...(byLoad.get(key) ?? []), step]);
  }
  const sizes = (steps: StepResult[]) => new Set(steps.map((s) => param(s, 'payloadBytes'))).size;
  return [...byLoad.values()].sort((a, b) => sizes(b) - sizes(a))[0] ?? [];
}

export function payloadChart(id: string, results: Results, figure: PayloadFigure): ChartSpec {
  const text = PAYLOAD_TEXT[figure];
  const sweep = payloadSweep(results);
  const at = sweep[0] ? `${count(param(sweep[0], 'rate')!)} messages/s to ${count(param(sweep[0], 'clients')!)} clients` : '';
  const base = {
    id,
    type: 'line' as const,
    title: text.title,
    howToRead: `${text.how}${at ? ` Measured at ${at}.` : ''}`,
    x: { title: 'Payload (bytes, log scale)', scale: 'logarithmic' as const, unit: 'B' },
    y: text.y,
  };
  if (new Set(sweep.map((s) => param(s, 'payloadBytes'))).size < 2) return missingChart(base, 'Not measured: every push step of this run used one payload size. `run --payload 64,1024,16384,65536` (the full profile does) draws this chart.');
  const datasets: DatasetSpec[] = [];
  const notes: string[] = [];
  for (const transport of TRANSPORTS.filter((t) => sweep.some((s) => s.transport === t))) {
    const own = sweep.filter((s) => s.transport === transport);
    // Short polling at the interval its largest payload was measured at: one configuration per line.
    const largest = own.reduce((a, b) => (param(b, 'payloadBytes')! > param(a, 'payloadBytes')! ? b : a));
    const steps = own.filter((s) => param(s, 'pollIntervalMs') === param(largest, 'pollIntervalMs')).sort((a, b) => param(a, 'payloadBytes')! - param(b, 'payloadBytes')!);
    const label = rowLabel({ transport, pollIntervalMs: param(largest, 'pollIntervalMs') });
    const flagged = steps.map(isFlagged);
    const xy = (value: (s: StepResult) => number | undefined) => steps.map((s) => ({ x: param(s, 'payloadBytes')!, y: isOk(s) && value(s) !== undefined ? r4(value(s)!) : null }));
    if (figure === 'latency') {
      const latency = (p: 'p50' | 'p99') => (s: StepResult) => (isOk(s) && s.metrics.latency ? s.metrics.latency[p].median / 1000 : undefined);
      datasets.push({ label, group: transport, colour: TRANSPORT_COLOURS[transport], data: xy(latency('p99')), flagged });
      datasets.push({ label: `${label} p50`, group: transport, colour: TRANSPORT_COLOURS[transport], dashed: true, legendHidden: true, data: xy(latency('p50')), flagged });
    } else {
      const share = (s: StepResult) => {
        const bytes = isOk(s) ? s.metrics.bytesPerMessage : undefined;
        return bytes && bytes.total.median > 0 ? (100 * bytes.transport.median) / bytes.total.median : undefined;
      };
      datasets.push({ label, colour: TRANSPORT_COLOURS[transport], data: xy(share), flagged });
    }
    for (const s of steps) {
      const where = `${count(param(s, 'payloadBytes')!)} B`;
      if (!isOk(s)) notes.push(erroredNote(s, where));
      notes.push(...flagNote(s, where));
    }
  }
  return { ...base, datasets, notes };
}

/** Push latency against server nodes, or delivered messages/s against server nodes. */
export type NodesFigure = 'latency' | 'throughput';

const NODES_TEXT: Record<NodesFigure, { title: string; how: string; y: ChartSpec['y'] }> = {
  latency: {
    title: 'Push latency against server nodes',
    how: 'One-way p50 (solid) and p99 (dashed) at the headline load, one line per transport, at each node count the run measured (run --nodes 1,2,4 --feed redis). Every node delivers every message: what more nodes cost is the fan-out through Redis and the share of the server CPU each node takes.',
    y: { title: 'Latency (ms)', scale: 'linear', unit: 'ms', min: 0 },
  },
  throughput: {
    title: 'Delivered messages/s against server nodes',
    how: 'Messages delivered per second to all clients at the headline load, one line per transport, at each node count. A flat line is a transport that kept up on every count; a drop is one that fell behind.',
    y: { title: 'Delivered messages/s', scale: 'linear', min: 0 },
  },
};

export function nodesChart(id: string, results: Results, figure: NodesFigure): ChartSpec {
  const text = NODES_TEXT[figure];
  const base = { id, type: 'line' as const, title: text.title, howToRead: text.how, x: { title: 'Server nodes per transport', scale: 'linear' as const, min: 1 }, y: text.y };
  const groups = groupsAlong(results, 'push', 'nodes', 1);
  if (groups.length < 2) return missingChart(base, 'Not measured: this run has one node count only. `run --nodes 1,2,4 --feed redis` draws this chart (docs/scale.md).');
  const byTransport = new Map<TransportName, { nodes: number; step: StepResult }[]>();
  for (const group of groups) {
    const view = underConditions(results, group.label);
    const point = headlinePoint(view);
    if (!point) continue;
    for (const [transport, step] of pushAtPoint(view, point)) byTransport.set(transport, [...(byTransport.get(transport) ?? []), { nodes: group.value, step }]);
  }
  const datasets: DatasetSpec[] = [];
  const notes: string[] = [];
  for (const transport of TRANSPORTS.filter((t) => byTransport.has(t))) {
    const points = byTransport.get(transport)!;
    const label = rowLabel({ transport, pollIntervalMs: param(points[0]!.step, 'pollIntervalMs') });
    const flagged = points.map((p) => isFlagged(p.step));
    const read = (pick: (step: Extract<StepResult, { status: 'ok' }>) => number | undefined) => points.map((p) => ({ x: p.nodes, y: isOk(p.step) && pick(p.step) !== undefined ? r4(pick(p.step)!) : null }));
    if (figure === 'latency') {
      datasets.push({ label: `${label} p50`, colour: TRANSPORT_COLOURS[transport], data: read((s) => (s.metrics.latency ? s.metrics.latency.p50.median / 1000 : undefined)), flagged });
      datasets.push({ label: `${label} p99`, colour: TRANSPORT_COLOURS[transport], dashed: true, data: read((s) => (s.metrics.latency ? s.metrics.latency.p99.median / 1000 : undefined)), flagged });
    } else {
      datasets.push({ label, colour: TRANSPORT_COLOURS[transport], data: read((s) => s.metrics.deliveredPerSec?.median), flagged });
    }
    for (const { nodes, step } of points) {
      if (!isOk(step)) notes.push(erroredNote(step, `${count(nodes)} nodes`));
      notes.push(...flagNote(step, `${count(nodes)} nodes`));
    }
  }
  return { ...base, datasets, notes };
}
