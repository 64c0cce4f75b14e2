import type { OkStep, Results, StepResult } from '../results/schema.ts';
import { missingChart, r4, type ChartSpec } from './chart-spec.ts';
import { TRANSPORT_COLOURS, withAlpha } from './palette.ts';
import { TRANSPORTS, transportLabel, type TransportName } from '../protocol/transports.ts';
import { conditionsLabel, describeConditions, headlinePoint, isOk, onePerTransport, pushAtPoint, reportedConditions, stepsOf, underConditions } from './select-steps.ts';

/**
 * "Which transport, on my network?": each transport's push latency, set-up time and bytes per message under
 * every set of conditions the run measured (loopback, an emulated round trip, loss, a browser's headers),
 * side by side. One bar group per transport, one bar per condition, darker to lighter in the run's order.
 */

export type ConditionFigure = 'latency' | 'tail' | 'setup' | 'bytes' | 'errors';

interface ConditionGroup {
  label: string;
  name: string;
  steps: Map<TransportName, StepResult>;
}

/** The run's condition groups that measured the figure's scenario, the drawn one first. */
function groups(results: Results, figure: ConditionFigure): ConditionGroup[] {
  const scenario = figure === 'setup' ? 'connect' : 'push';
  const drawn = reportedConditions(results);
  const labels = [...new Set(results.steps.filter((s) => s.scenario === scenario).map(conditionsLabel))].sort((a, b) => (a === drawn ? -1 : b === drawn ? 1 : 0));
  return labels.map((label) => {
    const view = underConditions(results, label);
    const point = headlinePoint(view);
    const steps = scenario === 'connect' ? onePerTransport(stepsOf(view, 'connect')) : point ? pushAtPoint(view, point) : new Map<TransportName, StepResult>();
    return { label, name: describeConditions(label) || 'loopback', steps };
  });
}

const VALUE: Record<ConditionFigure, (step: OkStep) => number | undefined> = {
  latency: (s) => (s.metrics.latency ? s.metrics.latency.p50.median / 1000 : undefined),
  tail: (s) => (s.metrics.latency ? s.metrics.latency.p99.median / 1000 : undefined),
  setup: (s) => (s.metrics.setup?.time ? s.metrics.setup.time.p50.median / 1000 : undefined),
  bytes: (s) => s.metrics.bytesPerMessage?.total.median,
  errors: (s) => s.metrics.clientErrors?.median,
};

const TEXT: Record<ConditionFigure, { title: string; how: string; axis: string; unit: string; log: boolean }> = {
  latency: {
    title: 'Push latency under each condition',
    how: 'One-way p50 at each condition\'s headline load, a bar per condition the run measured (darkest: the one the other charts draw). Log scale: each gridline is ten times the one below.',
    axis: 'Latency p50 (ms, log)',
    unit: 'ms',
    log: true,
  },
  tail: {
    title: 'Push latency tail under each condition',
    how: 'One-way p99 at each condition\'s headline load, a bar per condition: packet loss shows here first, as TCP retransmits (an idle polling connection waits out the retransmission timeout). Under loss the push transports\' tails are a lower bound: TCP repairs a loss at the namespace\'s own round trip, not the emulated one (docs/network.md). Log scale.',
    axis: 'Latency p99 (ms, log)',
    unit: 'ms',
    log: true,
  },
  setup: {
    title: 'Connection set-up under each condition',
    how: 'Time until ready, p50, during the connect storm, a bar per condition. A round trip costs each handshake it needs: ws two, Socket.IO with its upgrade more (docs/network.md).',
    axis: 'Set-up time p50 (ms, log)',
    unit: 'ms',
    log: true,
  },
  bytes: {
    title: 'Bytes per message under each condition',
    how: 'Everything on the wire per delivered message at each condition\'s headline load, a bar per condition: a browser\'s request headers weigh on every poll, a round trip batches more messages into one.',
    axis: 'Bytes per message',
    unit: 'B',
    log: false,
  },
  errors: {
    title: 'Reconnects and retried requests under each condition',
    how: 'Errors the push clients reported per repeat, all clients together, a bar per condition: each ended a connection or a request that the client reconnected or retried. Packet loss that TCP cannot hide shows here; no bar at all means the figure was not recorded.',
    axis: 'Client errors per repeat',
    unit: 'errors',
    log: false,
  },
};

export function conditionsChart(id: string, results: Results, figure: ConditionFigure): ChartSpec {
  const text = TEXT[figure];
  const base = {
    id,
    type: 'bar' as const,
    title: text.title,
    howToRead: text.how,
    x: { title: 'Transport', scale: 'category' as const },
    y: text.log ? { title: text.axis, scale: 'logarithmic' as const, unit: text.unit } : { title: text.axis, scale: 'linear' as const, unit: text.unit, min: 0 },
  };
  const measured = groups(results, figure);
  if (measured.length < 2) {
    return missingChart(base, 'Not measured: this run has one set of conditions only. `run --rtt 0,50 --request-headers minimal,browser` (the quick profile does) adds others.');
  }
  const transports = TRANSPORTS.filter((t) => measured.some((g) => g.steps.has(t)));
  const notes: string[] = [];
  const datasets = measured.map((group, i) => {
    const alpha = 1 - (0.6 * i) / Math.max(1, measured.length - 1);
    const data = transports.map((t) => {
      const step = group.steps.get(t);
      const value = step && isOk(step) ? VALUE[figure](step) : undefined;
      // A log axis cannot draw zero (raw TCP's set-up bytes): left out and said.
      if (value === undefined || (text.log && value <= 0)) return null;
      return r4(value);
    });
    return { label: group.name, colour: transports.map((t) => withAlpha(TRANSPORT_COLOURS[t], alpha)), legendColour: withAlpha('#555555', alpha), data };
  });
  const gaps = measured.flatMap((g) =>
    transports
      .filter((t) => !g.steps.has(t))
      .map((t) => (t === 'tcp' && g.label.includes('headers=') ? `Raw TCP sends no HTTP headers: it has no bar ${g.name}.` : `${transportLabel(t)} was not measured ${g.name}.`)),
  );
  if (gaps.length) notes.push(...gaps);
  for (const g of measured) for (const s of g.steps.values()) if (s.status === 'errored') notes.push(`${transportLabel(s.transport)} has no bar ${g.name}: ${s.error.message}.`);
  if (figure === 'errors' && datasets.every((d) => d.data.every((v) => v === 0))) notes.push('No client reported an error under any condition: every connection and request lasted, whatever was lost on the way was retransmitted by TCP.');
  return { ...base, labels: transports.map(transportLabel), datasets, notes };
}
