import { polls, TRANSPORTS, transportLabel, type TransportName } from '../protocol/transports.ts';
import { FAULT_SCENARIOS, type ErroredStep, type OkStep, type Results, type StepResult } from '../results/schema.ts';
import { bytes, count, ms } from './format.ts';
import { isOk, reportedSteps } from './select-steps.ts';

/**
 * The reliability table: one row per transport (Socket.IO once per connection-state-recovery setting), one
 * cell per question the fault scenarios answer (docs/reliability.md). Cells are plain text here; the HTML
 * and the Markdown render (and escape) them.
 */

export type ColumnId = 'dropReconnect' | 'dropLoss' | 'crashReconnect' | 'crashLoss' | 'nodeKillReconnect' | 'nodeKillLoss' | 'redisRestartReconnect' | 'redisRestartLoss' | 'slowOutcome' | 'slowRss' | 'slowOthers' | 'hostile';

export const RELIABILITY_COLUMNS: ReadonlyArray<{ id: ColumnId; title: string; hint: string }> = [
  { id: 'dropReconnect', title: 'Reconnect after a drop', hint: "From the drop to each client's first message published after it: p50, then max" },
  { id: 'dropLoss', title: 'Lost after a drop', hint: 'Messages lost, doubled or out of order once the clients resumed (the log still held the gap)' },
  { id: 'crashReconnect', title: 'Reconnect after a crash', hint: "From the SIGKILL to each client's first message from the restarted server: p50, then max; the outage included" },
  { id: 'crashLoss', title: 'Lost after a crash', hint: 'Lost of the messages published before the kill (the in-memory log died with the process) + lost of those published after the restart' },
  { id: 'nodeKillReconnect', title: 'Moved after a node kill', hint: "run --nodes: one node SIGKILLed; from the kill to each of its clients' first message from another node: p50, then max" },
  { id: 'nodeKillLoss', title: 'Lost after a node kill', hint: 'Messages lost, doubled or out of order over every client (the feed in Redis kept them all)' },
  { id: 'redisRestartReconnect', title: 'Back after a Redis restart', hint: "run --feed redis: Redis SIGKILLed and restarted empty; from the kill to each client's first message of the new feed: p50, then max; the outage included" },
  { id: 'redisRestartLoss', title: 'Lost after a Redis restart', hint: 'Lost of the messages published before the kill (Redis kept nothing) + lost of those published after it came back' },
  { id: 'slowOutcome', title: 'Stalled client', hint: 'One client stops reading: whether and when the server dropped it' },
  { id: 'slowRss', title: 'Server RSS in the stall', hint: "Peak RSS while the client was stalled, its growth, and the share of the feed's log of the stalled client's room" },
  { id: 'slowOthers', title: 'Other clients in the stall', hint: 'Latency p50 / p99 of the clients that kept reading, and their loss' },
  { id: 'hostile', title: 'Hostile inputs handled', hint: 'Inputs answered as expected (4xx, close code, error line) of those sent; then a normal client must still be served' },
];

export interface ReliabilityCell {
  state: 'value' | 'missing' | 'errored' | 'not-applicable';
  text: string;
  /** A second, smaller line. */
  detail?: string;
  /** A warning about this figure, short. */
  flag?: string;
  /** The warning in full (a failure message), when the short one leaves something out. */
  flagDetail?: string;
}

export interface ReliabilityRow {
  transport: TransportName;
  label: string;
  cells: Record<ColumnId, ReliabilityCell>;
}

export interface Reliability {
  /** The columns to draw: node-kill's only when the run had several nodes. */
  columns: ReadonlyArray<(typeof RELIABILITY_COLUMNS)[number]>;
  rows: ReliabilityRow[];
  notes: string[];
}

const missing: ReliabilityCell = { state: 'missing', text: '–' };
const recoveryOff = (s: StepResult) => s.transport === 'socket-io' && s.params.socketIoRecovery === false;

function errored(step: ErroredStep): ReliabilityCell {
  return { state: 'errored', text: '✖ errored', detail: `${step.error.code} ${step.error.message}` };
}

/** The step to show: an ok one rather than an errored one. */
function pick(steps: StepResult[]): StepResult | undefined {
  return steps.find(isOk) ?? steps[0];
}

function reconnectCell(step: StepResult | undefined, extra?: string): ReliabilityCell {
  if (!step) return missing;
  if (!isOk(step)) return errored(step);
  const r = step.metrics.reliability;
  if (!r?.reconnect) return { state: 'value', text: 'no client came back', flag: 'no client received anything after the fault' };
  const never = (r.clients ?? 0) - (r.resumed ?? 0);
  return {
    state: 'value',
    text: ms(r.reconnect.p50.median),
    detail: [`max ${ms(r.reconnect.max.median)}`, extra].filter(Boolean).join(' · '),
    ...(never > 0 ? { flag: `${count(never)} of ${count(r.clients!)} clients never came back` } : {}),
  };
}

function lossText(d: { lost: number; duplicated: number; outOfOrder: number }): string {
  const extra = [d.duplicated > 0 ? `${count(d.duplicated)} doubled` : '', d.outOfOrder > 0 ? `${count(d.outOfOrder)} out of order` : ''].filter(Boolean);
  return [`${count(d.lost)} lost`, ...extra].join(', ');
}

function dropLoss(step: StepResult | undefined): ReliabilityCell {
  if (!step) return missing;
  if (!isOk(step)) return errored(step);
  const d = step.metrics.delivery;
  if (!d) return missing;
  const bad = d.lost > 0 || d.duplicated > 0 || d.outOfOrder > 0;
  return { state: 'value', text: lossText(d), detail: `of ${count(d.expected)}`, ...(bad ? { flag: 'the log still held the gap: nothing should be lost or doubled' } : {}) };
}

function nodeKillReconnect(step: StepResult | undefined): ReliabilityCell {
  const cell = reconnectCell(step);
  const r = step && isOk(step) ? step.metrics.reliability : undefined;
  // Only the killed node's clients reconnected (the others never lost their node): say how many moved.
  if (!r || r.moved === undefined || cell.state !== 'value') return cell;
  return { ...cell, detail: [cell.detail, `${count(r.moved)} moved`].filter(Boolean).join(' · ') };
}

function redisRestartCells(step: StepResult | undefined): Pick<Record<ColumnId, ReliabilityCell>, 'redisRestartReconnect' | 'redisRestartLoss'> {
  const outage = step && isOk(step) && step.metrics.reliability?.outageMs ? `outage ${ms(step.metrics.reliability.outageMs.median * 1000)}` : undefined;
  return { redisRestartReconnect: reconnectCell(step, outage), redisRestartLoss: crashLoss(step, 'lost or doubled after Redis came back: the clients did not follow the new feed') };
}

function crashLoss(step: StepResult | undefined, afterFlag = 'lost or doubled after the restart: the clients did not follow the new feed'): ReliabilityCell {
  if (!step) return missing;
  if (!isOk(step)) return errored(step);
  const { beforeCrash: before, afterRestart: after } = step.metrics.reliability ?? {};
  if (!before || !after) return missing;
  const doubled = before.duplicated + after.duplicated;
  return {
    state: 'value',
    text: `${count(before.lost)} + ${count(after.lost)} lost${doubled > 0 ? `, ${count(doubled)} doubled` : ''}`,
    detail: `of ${count(before.expected)} before the kill + ${count(after.expected)} after`,
    ...(after.lost > 0 || doubled > 0 ? { flag: afterFlag } : {}),
  };
}

function slowCells(transport: TransportName, step: StepResult | undefined, ran: boolean): Pick<Record<ColumnId, ReliabilityCell>, 'slowOutcome' | 'slowRss' | 'slowOthers'> {
  if (polls(transport) && ran) {
    const na: ReliabilityCell = { state: 'not-applicable', text: 'not applicable', detail: 'the client pulls' };
    return { slowOutcome: na, slowRss: { state: 'not-applicable', text: '–' }, slowOthers: { state: 'not-applicable', text: '–' } };
  }
  if (!step) return { slowOutcome: missing, slowRss: missing, slowOthers: missing };
  if (!isOk(step)) return { slowOutcome: errored(step), slowRss: missing, slowOthers: missing };
  const s = step.metrics.reliability?.slowConsumer;
  if (!s) return { slowOutcome: missing, slowRss: missing, slowOthers: missing };
  const slowOutcome: ReliabilityCell = s.dropAfterMs
    ? { state: 'value', text: `dropped after ${ms(s.dropAfterMs.median * 1000)}`, detail: `${count(s.dropped)}/${count(s.repeats)} repeats; bound ${bytes(s.maxBufferedBytes)}` }
    : { state: 'value', text: 'not dropped', detail: s.note };
  if (s.dropped < s.repeats) slowOutcome.flag = `not dropped in ${count(s.repeats - s.dropped)} of ${count(s.repeats)} repeats: the server kept queueing for a client that reads nothing`;
  const slowRss: ReliabilityCell =
    s.rssPeakBytes && s.rssBeforeBytes
      ? { state: 'value', text: bytes(s.rssPeakBytes.median), detail: `+${bytes(s.rssPeakBytes.median - s.rssBeforeBytes.median)}${s.logBytes ? `, ${bytes(s.logBytes.median)} of it the log` : ''}` }
      : missing;
  const latency = step.metrics.latency;
  const d = step.metrics.delivery;
  const slowOthers: ReliabilityCell = latency
    ? { state: 'value', text: `${ms(latency.p50.median)} / ${ms(latency.p99.median)}`, detail: d ? `${lossText(d)} of ${count(d.expected)}` : undefined, ...(d && d.lost > 0 ? { flag: 'clients that kept reading lost messages' } : {}) }
    : missing;
  return { slowOutcome, slowRss, slowOthers };
}

function hostileCell(step: StepResult | undefined): ReliabilityCell {
  if (!step) return missing;
  if (!isOk(step)) return errored(step);
  const h = step.metrics.reliability?.hostile;
  if (!h) return missing;
  const flag = h.handled < h.tried ? `${count(h.tried - h.handled)} not handled` : !h.servedAfter ? 'no client served afterwards' : undefined;
  return {
    state: 'value',
    text: `${count(h.handled)} of ${count(h.tried)}`,
    detail: `${count(h.skipped)} skipped${h.servedAfter ? '; client served after' : ''}`,
    ...(flag ? { flag } : {}),
    ...(h.failures.length > 0 ? { flagDetail: h.failures.join('; ') } : {}),
  };
}

/** The table, or null when no fault scenario was run. */
export function buildReliability(results: Results): Reliability | null {
  const steps = reportedSteps(results);
  const of = (scenario: StepResult['scenario'], transport: TransportName, off = false) =>
    steps.filter((s) => s.scenario === scenario && s.transport === transport && recoveryOff(s) === off);
  const faults = steps.filter((s) => (FAULT_SCENARIOS as readonly string[]).includes(s.scenario));
  if (faults.length === 0) return null;
  const slowRan = results.steps.some((s) => s.scenario === 'slow-consumer');
  const transports = TRANSPORTS.filter((t) => results.steps.some((s) => s.transport === t));
  const rows: ReliabilityRow[] = [];
  for (const transport of transports) {
    const crash = pick(of('crash', transport));
    rows.push({
      transport,
      label: transport === 'socket-io' ? `${transportLabel(transport)} (recovery on)` : transportLabel(transport),
      cells: {
        dropReconnect: reconnectCell(pick(of('drop', transport))),
        dropLoss: dropLoss(pick(of('drop', transport))),
        crashReconnect: reconnectCell(crash, crash && isOk(crash) && crash.metrics.reliability?.outageMs ? `outage ${ms(crash.metrics.reliability.outageMs.median * 1000)}` : undefined),
        crashLoss: crashLoss(crash),
        nodeKillReconnect: nodeKillReconnect(pick(of('node-kill', transport))),
        nodeKillLoss: dropLoss(pick(of('node-kill', transport))),
        ...redisRestartCells(pick(of('redis-restart', transport))),
        ...slowCells(transport, pick(of('slow-consumer', transport)), slowRan),
        hostile: hostileCell(pick(of('hostile', transport))),
      },
    });
    const off = pick(of('drop', transport, true));
    if (transport === 'socket-io' && off) {
      const notRun: ReliabilityCell = { state: 'not-applicable', text: '–' };
      rows.push({
        transport,
        label: `${transportLabel(transport)} (recovery off)`,
        cells: { dropReconnect: reconnectCell(off), dropLoss: dropLoss(off), crashReconnect: notRun, crashLoss: notRun, nodeKillReconnect: notRun, nodeKillLoss: notRun, redisRestartReconnect: notRun, redisRestartLoss: notRun, slowOutcome: notRun, slowRss: notRun, slowOthers: notRun, hostile: notRun },
      });
    }
  }
  // Columns of the scenarios that need several nodes or a feed in Redis only when the run had them.
  const ran = new Set(results.steps.map((s) => s.scenario));
  const hidden = new Set<ColumnId>([...(ran.has('node-kill') ? [] : (['nodeKillReconnect', 'nodeKillLoss'] as const)), ...(ran.has('redis-restart') ? [] : (['redisRestartReconnect', 'redisRestartLoss'] as const))]);
  const columns = RELIABILITY_COLUMNS.filter((c) => !hidden.has(c.id));
  return { columns, rows, notes: reliabilityNotes(results, slowRan) };
}

function reliabilityNotes(results: Results, slowRan: boolean): string[] {
  const notes: string[] = [];
  const drop = (off: boolean) => reportedSteps(results).filter(isOk).find((s) => s.scenario === 'drop' && s.transport === 'socket-io' && recoveryOff(s) === off);
  const [on, off] = [drop(false), drop(true)];
  if (on?.metrics.reliability?.reconnect && off?.metrics.reliability?.reconnect) {
    const say = (s: OkStep) => `p50 reconnect ${ms(s.metrics.reliability!.reconnect!.p50.median)}, ${lossText(s.metrics.delivery ?? { lost: 0, duplicated: 0, outOfOrder: 0 })}`;
    notes.push(`Socket.IO after a drop: with connection state recovery on (missed packets replayed), ${say(on)}; with it off (the handshake's cursor and the backlog fill the gap), ${say(off)}. Recovery off is measured in the drop scenario only: after a crash no session survives to recover, whatever the setting.`);
  }
  notes.push("Reconnect time runs from the fault to each client's first message published after it, so it includes the client's own backoff; after a crash it includes the outage too (the replacement process listens after the configured downtime).");
  notes.push('After a crash the feed is in memory, so its log died with the process: messages published before the kill but not yet delivered (still in flight, or not yet polled) are lost for good and counted, not hidden. The restarted feed numbers rooms from 1 again; the clients learn it from a reset (docs/protocol.md) and must lose nothing after the restart.');
  if (slowRan) notes.push('The stalled client reads nothing while its own room is fed large messages; the server should drop it once more than its per-client bound is queued, and the clients that keep reading should not notice. Short and long polling: not applicable, the client pulls.');
  notes.push('Hostile inputs: the corpus of malformed requests, frames and lines (conformance/corpus); each must get its 4xx, close code or error line, never a 5xx, a hang or a crash.');
  return notes;
}
