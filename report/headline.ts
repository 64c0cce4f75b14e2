import type { Results, Spread, StepResult } from '../results/schema.ts';
import { TRANSPORTS, type TransportName, transportLabel, transportProse } from '../protocol/transports.ts';
import { bytes, count, ms, times } from './format.ts';
import { conditionsLabel, describeConditions, headlinePoint, isOk, onePerTransport, param, pushAtPoint, reportedConditions, stepsOf, type LoadPoint } from './select-steps.ts';
import { outcomeOf } from '../results/step-outcome.ts';

/**
 * The headline: one row per transport at the headline load point, and plain-language verdicts drawn
 * only from ok rows whose figures support them (ranges that overlap are called a tie, not a win).
 */

export interface HeadlineRow {
  transport: TransportName;
  /** The push step at the headline point, when there is one. */
  step?: StepResult;
  /** 'not run': marked, with its reason (not applicable in a browser, skipped on this machine). */
  status: 'ok' | 'errored' | 'not run' | 'missing';
  /** Why the step errored (errored rows). */
  error?: { code: string; message: string };
  pollIntervalMs?: number;
  /** Corrected one-way latency, µs. */
  p50?: Spread;
  p99?: Spread;
  deliveredPerSec?: Spread;
  bytesPerMessage?: Spread;
  /** Total wire bytes per message over raw TCP's at the same point. */
  vsTcp?: number;
  memoryPerConnection?: Spread;
  lost?: number;
  expected?: number;
  generatorSaturated: boolean;
  unexplainedLoss: boolean;
}

export interface Headline {
  point: LoadPoint | null;
  rows: HeadlineRow[];
  verdicts: string[];
  /** The conditions the headline was measured under, in words, when not loopback with minimal headers ('' then). */
  conditions: string;
  /** Other conditions the run measured that the report does not draw (`rtt=40 headers=browser`). */
  otherConditions: string[];
}

/** "Short polling (100 ms)": the transport's name, with its interval when it polls on a timer. */
export function rowLabel(row: Pick<HeadlineRow, 'transport' | 'pollIntervalMs'>): string {
  const name = transportLabel(row.transport);
  return row.pollIntervalMs === undefined ? name : `${name} (${count(row.pollIntervalMs)} ms)`;
}

/** The headline at `point` (the run's headline load point, select-steps.ts headlinePoint). */
export function buildHeadline(results: Results, point: LoadPoint | null = headlinePoint(results)): Headline {
  const atPoint = point ? pushAtPoint(results, point) : new Map<TransportName, StepResult>();
  const memory = onePerTransport(stepsOf(results, 'idle').filter(isOk));
  const present = TRANSPORTS.filter((t) => results.steps.some((s) => s.transport === t));
  const tcp = atPoint.get('tcp');
  const tcpBytes = tcp && isOk(tcp) ? tcp.metrics.bytesPerMessage?.total.median : undefined;

  const rows = present.map((transport): HeadlineRow => {
    const step = atPoint.get(transport);
    const label = { transport, pollIntervalMs: step ? param(step, 'pollIntervalMs') : undefined };
    if (!step) return { ...label, status: 'missing', generatorSaturated: false, unexplainedLoss: false };
    if (!isOk(step)) return { ...label, step, status: outcomeOf(step) === 'not run' ? 'not run' : 'errored', error: step.error, generatorSaturated: false, unexplainedLoss: false };
    const m = step.metrics;
    const memoryPerConnection = memory.get(transport)?.metrics.memoryPerConnectionBytes ?? m.memoryPerConnectionBytes;
    const total = m.bytesPerMessage?.total;
    return {
      ...label,
      step,
      status: 'ok',
      p50: m.latency?.p50,
      p99: m.latency?.p99,
      deliveredPerSec: m.deliveredPerSec,
      bytesPerMessage: total,
      vsTcp: total && tcpBytes ? total.median / tcpBytes : undefined,
      memoryPerConnection,
      lost: m.delivery?.lost,
      expected: m.delivery?.expected,
      generatorSaturated: step.flags.generatorSaturated,
      unexplainedLoss: step.flags.unexplainedLoss,
    };
  });
  const drawn = reportedConditions(results);
  const others = [...new Set(results.steps.map(conditionsLabel))].filter((label) => label !== drawn && label !== '');
  return { point, rows, verdicts: point ? verdicts(results, point, rows) : [], conditions: describeConditions(drawn), otherConditions: others };
}

/** Two spreads are told apart only when their min–max ranges do not overlap. */
const separated = (low: Spread, high: Spread): boolean => low.max < high.min;

/** "short polling (100 ms)": the name inside a sentence. */
export function prose(row: Pick<HeadlineRow, 'transport' | 'pollIntervalMs'>): string {
  const name = transportProse(row.transport);
  return row.pollIntervalMs === undefined ? name : `${name} (${count(row.pollIntervalMs)} ms)`;
}

// 'ws' is a package name and keeps its lower case even at the start of a sentence.
const capitalise = (text: string): string => (text.startsWith('ws') ? text : text.charAt(0).toUpperCase() + text.slice(1));
const list = (items: string[]): string => new Intl.ListFormat('en', { type: 'conjunction' }).format(items);

function verdicts(results: Results, point: LoadPoint, rows: HeadlineRow[]): string[] {
  const out: string[] = [];
  const okRows = rows.filter((r) => r.status === 'ok');
  const web = okRows.filter((r) => r.transport !== 'tcp');
  const saturated = web.filter((r) => r.generatorSaturated);
  const timed = web.filter((r) => r.p99 && !r.generatorSaturated).sort((a, b) => a.p99!.median - b.p99!.median);

  if (timed.length >= 2) {
    const [best, next] = timed;
    const slowest = timed[timed.length - 1];
    out.push(
      separated(best.p99!, next.p99!)
        ? `At this load, ${prose(best)} has the lowest p99 latency: ${ms(best.p99!.median)}, against ${ms(next.p99!.median)} for ${prose(next)}, the next best (${times(next.p99!.median / best.p99!.median)} as long).`
        : `At this load, ${prose(best)} and ${prose(next)} share the lowest p99 latency (${ms(best.p99!.median)} and ${ms(next.p99!.median)}): their min–max ranges across repeats overlap, so neither clearly wins.`,
    );
    if (timed.length >= 3 && separated(next.p99!, slowest.p99!)) {
      out.push(`${capitalise(prose(slowest))} is the slowest: p99 ${ms(slowest.p99!.median)}, ${times(slowest.p99!.median / best.p99!.median)} that of ${prose(best)}.`);
    }
    const tcp = okRows.find((r) => r.transport === 'tcp' && r.p99 && !r.generatorSaturated);
    if (tcp) {
      out.push(
        separated(tcp.p99!, best.p99!)
          ? `The raw TCP floor reaches p99 ${ms(tcp.p99!.median)}, so even the best web transport takes ${times(best.p99!.median / tcp.p99!.median)} as long.`
          : `${capitalise(prose(best))}'s p99 is within the raw TCP floor's range (${ms(tcp.p99!.median)}): at this load the transport adds no measurable tail latency.`,
      );
    }
  }
  if (saturated.length > 0) {
    out.push(`Left out of the latency verdicts because the load generator was saturated (the figures describe the generator): ${list(saturated.map(prose))}.`);
  }

  const sized = web.filter((r) => r.bytesPerMessage).sort((a, b) => a.bytesPerMessage!.median - b.bytesPerMessage!.median);
  if (sized.length >= 2) {
    const [least, second, most] = [sized[0], sized[1], sized[sized.length - 1]];
    const vs = (r: HeadlineRow) => (r.vsTcp ? ` (${times(r.vsTcp)} raw TCP's)` : '');
    const leader = separated(least.bytesPerMessage!, second.bytesPerMessage!)
      ? `${capitalise(prose(least))} sends the fewest bytes per delivered message: ${bytes(least.bytesPerMessage!.median)}${vs(least)}`
      : `${capitalise(prose(least))} and ${prose(second)} send about as few bytes per delivered message as each other (${bytes(least.bytesPerMessage!.median)} and ${bytes(second.bytesPerMessage!.median)}, ranges overlapping)`;
    out.push(most === second || !separated(second.bytesPerMessage!, most.bytesPerMessage!) ? `${leader}.` : `${leader}; ${prose(most)} sends the most: ${bytes(most.bytesPerMessage!.median)}${vs(most)}.`);
  }

  const lossy = okRows.filter((r) => (r.lost ?? 0) > 0);
  const counted = okRows.filter((r) => r.lost !== undefined);
  if (lossy.length > 0) {
    for (const r of lossy) out.push(`${capitalise(prose(r))} lost ${count(r.lost!)} of ${count(r.expected!)} messages${r.unexplainedLoss ? ' with no fault injected (flagged: unexplained loss)' : ''}.`);
  } else if (counted.length >= 2) {
    out.push(`No transport lost a message at this load (${counted.length} checked by sequence number).`);
  }

  out.push(...capacityVerdict(results), ...capacityVerdict(results, 'ceiling'));
  const mem = web.filter((r) => r.memoryPerConnection && r.memoryPerConnection.median > 0).sort((a, b) => a.memoryPerConnection!.median - b.memoryPerConnection!.median);
  if (mem.length >= 2 && separated(mem[0].memoryPerConnection!, mem[mem.length - 1].memoryPerConnection!)) {
    const [low, high] = [mem[0], mem[mem.length - 1]];
    out.push(`Server memory per connection ranges from ${bytes(low.memoryPerConnection!.median)} (${transportProse(low.transport)}) to ${bytes(high.memoryPerConnection!.median)} (${transportProse(high.transport)}).`);
  }
  return out;
}

function capacityVerdict(results: Results, scenario: 'capacity' | 'ceiling' = 'capacity'): string[] {
  const found = [...onePerTransport(stepsOf(results, scenario).filter(isOk)).values()]
    .filter((s) => s.transport !== 'tcp' && s.metrics.capacity)
    .map((s) => ({ step: s, capacity: s.metrics.capacity! }));
  if (found.length < 2) return [];
  const ceiling = scenario === 'ceiling';
  const value = (c: (typeof found)[number]) => (ceiling ? c.capacity.deliveredPerSec : c.capacity.lastPassing) ?? 0;
  found.sort((a, b) => value(b) - value(a));
  const top = found.filter((c) => value(c) === value(found[0]));
  const bottom = found[found.length - 1];
  if (value(top[0]) === value(bottom)) return [];
  const { slaP95Ms } = top[0].capacity;
  const name = (c: (typeof found)[number]) => prose({ transport: c.step.transport, pollIntervalMs: param(c.step, 'pollIntervalMs') });
  // When the top transports passed every step tried, or the generator gave out first, the true limit lies beyond what was measured.
  const beyond = top.every((c) => c.capacity.steps.every((s) => s.passed) || c.capacity.stoppedBy === 'generator');
  const beyondText = beyond ? (ceiling ? ' (at least: the load generator or the rates tried ran out first)' : ' (every step tried passed, so the limit is higher)') : '';
  if (ceiling) {
    const clients = param(top[0].step, 'clients');
    const bottomText = bottom.capacity.lastPassing === null ? `${name(bottom)} met it at no rate tried` : `${name(bottom)} the fewest: ${count(Math.round(value(bottom)))}/s`;
    return [
      `Throughput ceiling under a p95 SLA of ${count(slaP95Ms)} ms${clients ? ` with ${count(clients)} clients` : ''}: ${list(top.map(name))} delivered the most, ${count(Math.round(value(top[0])))} messages/s${beyondText}; ${bottomText}.`,
    ];
  }
  const unit = top[0].capacity.dimension === 'clients' ? 'clients' : 'messages/s';
  const rate = param(top[0].step, 'rate');
  const bottomText = bottom.capacity.lastPassing === null ? `${name(bottom)} met it at no step tried` : `${name(bottom)} the fewest: ${count(value(bottom))}`;
  return [`Under a p95 SLA of ${count(slaP95Ms)} ms${rate ? ` at ${count(rate)} messages/s` : ''}, ${list(top.map(name))} held the most ${unit}: ${count(value(top[0]))}${beyondText}; ${bottomText}.`];
}
