import type { Results } from '../results/schema.ts';
import { bandwidthProjection, PROJECTION_CLIENTS, type ProjectionColumn } from './bandwidth-projection.ts';
import { erroredNote, flagNote, isFlagged, missingChart, r4, type ChartSpec, type DatasetSpec } from './chart-spec.ts';
import { NEUTRAL, TRANSPORT_COLOURS, withAlpha } from './palette.ts';
import { byTransportOrder, transportLabel } from '../protocol/transports.ts';
import { count } from './format.ts';
import { rowLabel } from './headline.ts';
import { isErrored, isOk, onePerTransport, param, pushAtPoint, shortPollingSweep, stepsOf, type LoadPoint } from './select-steps.ts';

/** What each transport costs: bytes per message, connection set-up, idle connections, polling and bandwidth. */

export function bytesChart(id: string, results: Results, point: LoadPoint | null): ChartSpec {
  const base = {
    id,
    type: 'bar' as const,
    title: 'Bytes per delivered message',
    howToRead: 'Everything the clients read and wrote, per message delivered, both directions. Grey is the same for all (payload, then the JSON envelope); the coloured top is what the transport adds: headers, frames, empty polls, heartbeats.',
    x: { title: 'Transport', scale: 'category' as const },
    y: { title: 'Bytes per message (B)', scale: 'linear' as const, unit: 'B', stacked: true, min: 0 },
  };
  const steps = point ? byTransportOrder([...pushAtPoint(results, point).values()].filter(isOk).filter((s) => s.metrics.bytesPerMessage)) : [];
  if (steps.length === 0) return missingChart(base, 'Not measured: the push scenario was not run, or every step of it errored.');
  const b = steps.map((s) => s.metrics.bytesPerMessage!);
  return {
    ...base,
    x: { ...base.x, stacked: true },
    labels: steps.map((s) => rowLabel({ transport: s.transport, pollIntervalMs: param(s, 'pollIntervalMs') })),
    datasets: [
      { label: 'Payload', colour: NEUTRAL.payload, stack: 'bytes', data: b.map((m) => r4(m.payload)) },
      { label: 'Envelope (JSON fields)', colour: NEUTRAL.envelope, stack: 'bytes', data: b.map((m) => r4(m.envelope)) },
      { label: 'Transport (headers, framing, polls, heartbeats)', colour: steps.map((s) => TRANSPORT_COLOURS[s.transport]), legendColour: '#555', stack: 'bytes', data: b.map((m) => r4(m.transport.median)), flagged: steps.map(isFlagged) },
    ],
    notes: steps.flatMap((s) => flagNote(s)),
  };
}

export function handshakeBytesChart(id: string, results: Results): ChartSpec {
  const base = {
    id,
    type: 'bar' as const,
    title: 'Connection set-up: bytes',
    howToRead: 'Bytes read and written per connection until it is ready to receive: HTTP request and response, WebSocket upgrade, Socket.IO handshake. Lower is better.',
    x: { title: 'Transport', scale: 'category' as const },
    y: { title: 'Bytes until ready (B)', scale: 'linear' as const, unit: 'B', min: 0 },
  };
  const all = byTransportOrder([...onePerTransport(stepsOf(results, 'connect')).values()]);
  const steps = all.filter(isOk).filter((s) => s.metrics.setup);
  if (steps.length === 0) return missingChart(base, 'Not measured: the connect scenario was not run, or every step of it errored.');
  return {
    ...base,
    labels: steps.map((s) => transportLabel(s.transport)),
    datasets: [{ label: 'Set-up bytes per connection', colour: steps.map((s) => TRANSPORT_COLOURS[s.transport]), legendColour: '#555', data: steps.map((s) => r4(s.metrics.setup!.bytes.median)), flagged: steps.map(isFlagged) }],
    notes: [...all.filter(isErrored).map((s) => erroredNote(s)), ...steps.flatMap((s) => flagNote(s)), ...steps.flatMap((s) => s.notes.map((n) => `${transportLabel(s.transport)}: ${n}`))],
  };
}

export function handshakeTimeChart(id: string, results: Results): ChartSpec {
  const base = {
    id,
    type: 'bar' as const,
    title: 'Connection set-up: time until ready',
    howToRead: 'From starting to connect until the connection can receive, during a storm of simultaneous connections; solid bars p50, pale bars p99.',
    x: { title: 'Transport', scale: 'category' as const },
    y: { title: 'Set-up time (ms)', scale: 'linear' as const, unit: 'ms', min: 0 },
  };
  const steps = byTransportOrder([...onePerTransport(stepsOf(results, 'connect')).values()]).filter(isOk).filter((s) => s.metrics.setup?.time);
  if (steps.length === 0) return missingChart(base, 'Not measured: the connect scenario was not run, recorded no set-up times, or every step of it errored.');
  const colours = steps.map((s) => TRANSPORT_COLOURS[s.transport]);
  const ms = (p: 'p50' | 'p99') => steps.map((s) => r4(s.metrics.setup!.time![p].median / 1000));
  return {
    ...base,
    labels: steps.map((s) => transportLabel(s.transport)),
    datasets: [
      { label: 'p50', colour: colours, legendColour: '#555', data: ms('p50') },
      { label: 'p99', colour: colours.map((c) => withAlpha(c, 0.4)), legendColour: '#bbb', data: ms('p99') },
    ],
    notes: [`${count(param(steps[0], 'clients') ?? 0)} connections opened at once per repeat.`],
  };
}

export function idleChart(id: string, results: Results, what: 'bytes' | 'memory'): ChartSpec {
  const bytes = what === 'bytes';
  const base = {
    id,
    type: 'bar' as const,
    title: bytes ? 'Idle cost: bytes per connection per minute' : 'Idle cost: server memory per connection',
    howToRead: bytes
      ? 'Traffic of a connection that carries no messages: heartbeats, poll timeouts, empty polls. Log scale: each gridline is ten times the one below.'
      : 'Growth of the server\'s resident memory divided by the connections held open. Lower means more connections per gigabyte.',
    x: { title: 'Transport', scale: 'category' as const },
    y: bytes ? { title: 'B per connection per minute (log)', scale: 'logarithmic' as const, unit: 'B/min' } : { title: 'kB per connection (1 kB = 1,000 B)', scale: 'linear' as const, unit: 'kB', min: 0 },
  };
  const metric = bytes ? 'idleBytesPerConnectionPerMin' : 'memoryPerConnectionBytes';
  const steps = byTransportOrder([...onePerTransport(stepsOf(results, 'idle').filter(isOk).filter((s) => s.metrics[metric])).values()]);
  if (steps.length === 0) return missingChart(base, 'Not measured: the idle scenario was not run, or every step of it errored.');
  const values = steps.map((s) => s.metrics[metric]!.median);
  // A log axis cannot draw zero, and RSS that fell is noise: such bars are left out and named in a note.
  const zeros = bytes ? steps.filter((_, i) => values[i] === 0) : [];
  const noise = bytes ? [] : steps.filter((_, i) => values[i] <= 0);
  return {
    ...base,
    labels: steps.map((s) => rowLabel({ transport: s.transport, pollIntervalMs: param(s, 'pollIntervalMs') })),
    datasets: [{ label: bytes ? 'Bytes per connection per minute' : 'Memory per connection (kB)', colour: steps.map((s) => TRANSPORT_COLOURS[s.transport]), legendColour: '#555', data: values.map((v) => (bytes ? (v === 0 ? null : r4(v)) : v <= 0 ? null : r4(v / 1000))) }],
    notes: [
      ...zeros.map(
        (s) =>
          `${transportLabel(s.transport)}: 0 B in its ${count(param(s, 'idleMs') ?? 0)} ms idle window, not drawn on the log axis. Traffic with a longer period than the window (a heartbeat every 15 or 25 s) cannot show in it: raise --idle-ms above that period to measure it.`,
      ),
      ...noise.map((s) => `${transportLabel(s.transport)}: server memory did not grow measurably (median ${count(s.metrics.memoryPerConnectionBytes!.median)} B per connection): below the noise at ${count(param(s, 'clients') ?? 0)} connections, not drawn.`),
      ...steps.flatMap((s) => flagNote(s)),
    ],
  };
}

export function pollingChart(id: string, results: Results, point: LoadPoint | null): ChartSpec {
  const base = {
    id,
    type: 'line' as const,
    title: 'Short polling: interval against latency and bytes',
    howToRead: 'Polling more often cuts latency (left axis) but costs bandwidth even when nothing happens (right axis: bytes per client per second at one message per second). Long polling\'s p99 is drawn for comparison.',
    x: { title: 'Poll interval (ms)', scale: 'linear' as const, unit: 'ms', min: 0 },
    y: { title: 'Latency (ms)', scale: 'linear' as const, unit: 'ms', min: 0 },
    y2: { title: 'B/s per client at 1 message/s', scale: 'linear' as const, unit: 'B/s', min: 0 },
  };
  const sweep = point ? shortPollingSweep(results, point).filter(isOk).filter((s) => s.metrics.latency) : [];
  if (sweep.length < 2) return missingChart(base, 'Not measured: short polling was run at fewer than two poll intervals at the headline load.');
  const colour = TRANSPORT_COLOURS['short-polling'];
  const interval = (s: (typeof sweep)[number]) => param(s, 'pollIntervalMs')!;
  const projection = new Map<number, ProjectionColumn>(bandwidthProjection(results, point!).filter((c) => c.pollIntervalMs !== undefined && c.transport === 'short-polling').map((c) => [c.pollIntervalMs!, c]));
  const datasets: DatasetSpec[] = [
    { label: 'Short polling p50', group: 'latency', colour, data: sweep.map((s) => ({ x: interval(s), y: r4(s.metrics.latency!.p50.median / 1000) })), flagged: sweep.map(isFlagged) },
    { label: 'Short polling p99', group: 'latency', colour, dashed: true, data: sweep.map((s) => ({ x: interval(s), y: r4(s.metrics.latency!.p99.median / 1000) })), flagged: sweep.map(isFlagged) },
    { label: 'Bytes per client per second (right axis)', colour: NEUTRAL.envelope, axis: 'y2', data: sweep.map((s) => ({ x: interval(s), y: projection.has(interval(s)) ? r4(projection.get(interval(s))!.bytesPerClientPerSec) : null })) },
  ];
  const long = pushAtPoint(results, point!).get('long-polling');
  if (long && isOk(long) && long.metrics.latency) {
    const y = r4(long.metrics.latency.p99.median / 1000);
    datasets.push({ label: 'Long polling p99 (reference)', colour: TRANSPORT_COLOURS['long-polling'], dashed: true, data: [{ x: interval(sweep[0]), y }, { x: interval(sweep[sweep.length - 1]), y }] });
  }
  return { ...base, datasets, notes: sweep.flatMap((s) => flagNote(s, `${count(interval(s))} ms`)) };
}

export function bandwidthChart(id: string, results: Results, point: LoadPoint | null): ChartSpec {
  const base = {
    id,
    type: 'bar' as const,
    title: 'Bandwidth at one message per client per second',
    howToRead: 'Projected from the measured bytes: what N clients, each receiving one message a second, cost in total, payload included, both directions. Log scale: each gridline is ten times the one below.',
    x: { title: 'Connected clients', scale: 'category' as const },
    y: { title: 'Mbps (10^6 bit/s, log scale)', scale: 'logarithmic' as const, unit: 'Mbps' },
  };
  const columns = point ? bandwidthProjection(results, point) : [];
  if (columns.length === 0) return missingChart(base, 'Not measured: the push scenario recorded no bytes per message.');
  // Several short-polling intervals share one colour; paler means a longer interval.
  const shade = (c: ProjectionColumn, i: number) => (c.transport === 'short-polling' ? withAlpha(TRANSPORT_COLOURS[c.transport], 1 - 0.25 * i) : TRANSPORT_COLOURS[c.transport]);
  let polls = 0;
  return {
    ...base,
    labels: PROJECTION_CLIENTS.map((n) => `${count(n)} clients`),
    datasets: columns.map((c) => ({ label: c.label, colour: shade(c, c.transport === 'short-polling' ? polls++ : 0), data: c.mbps.map(r4) })),
    notes: columns.filter((c) => c.flagged).map((c) => `⚠ ${c.label}: projected from a flagged step (${c.stepId})`),
  };
}
