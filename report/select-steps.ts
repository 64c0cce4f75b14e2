import { LOOPBACK_ONLY_SCENARIOS, type ErroredStep, type OkStep, type Results, type StepResult } from '../results/schema.ts';
import type { TransportName } from '../protocol/transports.ts';

/**
 * Picks the steps each part of the report shows. The headline compares transports at one load point:
 * the rate, client count and payload size the push scenario measured most often (where a rate sweep
 * and a client sweep cross), ties going to the heavier load and the smaller payload.
 */

export type Scenario = StepResult['scenario'];

export interface LoadPoint {
  rate: number;
  clients: number;
  payloadBytes: number;
}

/** The numeric step parameters the report reads (docs/results-format.md lists them per scenario). */
export type NumericParam = 'rate' | 'clients' | 'payloadBytes' | 'pollIntervalMs' | 'idleMs';

/** A numeric parameter of a step, or undefined when absent or not a number. */
export function param(step: StepResult, key: NumericParam): number | undefined {
  const value = step.params[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The step parameters of an emulated network, of extra request headers, of binary payloads and of clients in a browser
 * (docs/results-format.md, "Conditions"). A run that sweeps them holds several steps per transport at one load
 * point; the charts and tables draw one group of them, so that a 40 ms round trip is never compared with loopback.
 */
export const CONDITION_KEYS = ['rttMs', 'jitterMs', 'bandwidth', 'lossPercent', 'requestHeaders', 'cookieBytes', 'binary', 'clientRuntime', 'feed', 'nodes'] as const;

/** The conditions a step ran under, as text ('' for loopback with minimal headers and text payloads): `rtt=40 headers=browser`. */
export function conditionsLabel(step: StepResult): string {
  const short: Record<(typeof CONDITION_KEYS)[number], string> = { rttMs: 'rtt', jitterMs: 'jitter', bandwidth: 'bw', lossPercent: 'loss', requestHeaders: 'headers', cookieBytes: 'cookie', binary: 'binary', clientRuntime: 'runtime', feed: 'feed', nodes: 'nodes' };
  return CONDITION_KEYS.filter((k) => step.params[k] !== undefined)
    .map((k) => `${short[k]}=${String(step.params[k])}`)
    .join(' ');
}

const loopbackOnly = (step: StepResult): boolean => (LOOPBACK_ONLY_SCENARIOS as readonly string[]).includes(step.scenario);

/**
 * The conditions the report draws: loopback with minimal headers when the run has such steps, else the first
 * the run has (hostile and http-overhead, always on loopback, do not decide it).
 */
export function reportedConditions(results: Results): string {
  const labels = results.steps.filter((s) => !loopbackOnly(s)).map(conditionsLabel);
  return labels.includes('') ? '' : (labels[0] ?? '');
}

/**
 * The run seen under one set of conditions only (`rtt=50`): its steps under them and the loopback-only ones.
 * Every part of the report drawn from this view draws those conditions (the headline at a realistic RTT).
 */
export function underConditions(results: Results, label: string): Results {
  return { ...results, steps: results.steps.filter((s) => loopbackOnly(s) || conditionsLabel(s) === label) };
}

/** The run's steps under the conditions the report draws (reportedConditions), and the loopback-only ones. */
export function reportedSteps(results: Results): StepResult[] {
  const conditions = reportedConditions(results);
  return results.steps.filter((s) => loopbackOnly(s) || conditionsLabel(s) === conditions);
}

/** `rtt=40 headers=browser` as { rtt: '40', headers: 'browser' }. */
function labelParts(label: string): Record<string, string> {
  return Object.fromEntries(label.split(' ').filter((pair) => pair !== '').map((pair) => pair.split('=') as [string, string]));
}

/** `rtt=40 headers=browser` in words: "over an emulated 40 ms round trip, browser request headers" ('' for none). */
export function describeConditions(label: string): string {
  if (label === '') return '';
  const parts = labelParts(label);
  const words: string[] = [];
  if (parts.rtt !== undefined) words.push(`over an emulated ${parts.rtt} ms round trip${parts.jitter ? ` (± ${parts.jitter} ms jitter)` : ''}${parts.bw ? ` at ${parts.bw} per connection` : ''}${parts.loss ? ` losing ${parts.loss} % of packets` : ''}`);
  if (parts.headers !== undefined) words.push(`with ${parts.headers} request headers`);
  if (parts.cookie !== undefined) words.push(`with a ${parts.cookie} B cookie`);
  if (parts.binary !== undefined) words.push('with binary payloads');
  if (parts.runtime === 'browser') words.push('with the clients in Chromium');
  if (parts.nodes !== undefined) words.push(`on ${parts.nodes} server nodes`);
  if (parts.feed === 'redis') words.push('with the feed in Redis');
  return words.join(', ');
}

/**
 * The condition groups of `scenario` that differ from `base` in `key` only (rtt, nodes), with that key's value
 * (`absent` when a group has none: 0 ms over loopback, 1 node), sorted by it.
 */
export function groupsAlong(results: Results, scenario: Scenario, key: string, absent: number, base = reportedConditions(results)): { label: string; value: number }[] {
  const without = (label: string) => label.split(' ').filter((pair) => pair !== '' && !pair.startsWith(`${key}=`)).join(' ');
  const labels = new Set(results.steps.filter((s) => s.scenario === scenario).map(conditionsLabel));
  return [...labels]
    .filter((label) => without(label) === without(base))
    .map((label) => ({ label, value: Number(labelParts(label)[key] ?? absent) }))
    .sort((a, b) => a.value - b.value);
}

export function stepsOf(results: Results, scenario: Scenario): StepResult[] {
  return reportedSteps(results).filter((s) => s.scenario === scenario);
}

export const isOk = (step: StepResult): step is OkStep => step.status === 'ok';
export const isErrored = (step: StepResult): step is ErroredStep => step.status === 'errored';

function mode(values: number[], prefer: 'larger' | 'smaller'): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [value, n] of counts) {
    const bestCount = best === undefined ? -1 : counts.get(best)!;
    const better = prefer === 'larger' ? value > best! : value < best!;
    if (n > bestCount || (n === bestCount && better)) best = value;
  }
  return best;
}

export function pointOf(step: StepResult): LoadPoint | undefined {
  const rate = param(step, 'rate');
  const clients = param(step, 'clients');
  if (rate === undefined || clients === undefined) return undefined;
  return { rate, clients, payloadBytes: param(step, 'payloadBytes') ?? 0 };
}

export function atPoint(step: StepResult, point: LoadPoint): boolean {
  const p = pointOf(step);
  return p !== undefined && p.rate === point.rate && p.clients === point.clients && p.payloadBytes === point.payloadBytes;
}

/** The push load point the headline compares at, or null when the push scenario has no rows. */
export function headlinePoint(results: Results): LoadPoint | null {
  const points = stepsOf(results, 'push').map(pointOf).filter((p): p is LoadPoint => p !== undefined);
  if (points.length === 0) return null;
  // The payload first: a payload sweep at one rate and client count must not make that load the headline's.
  const payloadBytes = mode(points.map((p) => p.payloadBytes), 'smaller')!;
  const atPayload = points.filter((p) => p.payloadBytes === payloadBytes);
  const candidate: LoadPoint = {
    rate: mode(atPayload.map((p) => p.rate), 'larger')!,
    clients: mode(atPayload.map((p) => p.clients), 'larger')!,
    payloadBytes,
  };
  if (points.some((p) => p.rate === candidate.rate && p.clients === candidate.clients && p.payloadBytes === candidate.payloadBytes)) return candidate;
  // The modes need not meet (odd sweeps): fall back to the point measured most often.
  const key = (p: LoadPoint) => `${p.rate}/${p.clients}/${p.payloadBytes}`;
  const byKey = new Map<string, { point: LoadPoint; n: number }>();
  for (const p of points) byKey.set(key(p), { point: p, n: (byKey.get(key(p))?.n ?? 0) + 1 });
  return [...byKey.values()].sort((a, b) => b.n - a.n)[0].point;
}

/**
 * Prefers an ok row over an errored one, then the shortest poll interval (short polling's best latency), then
 * the step in the run's own Socket.IO mode over one swept in another (`mode=` in its id).
 */
function better<T extends StepResult>(a: T, b: T): T {
  if (isOk(a) !== isOk(b)) return isOk(a) ? a : b;
  const intervalA = param(a, 'pollIntervalMs') ?? Infinity;
  const intervalB = param(b, 'pollIntervalMs') ?? Infinity;
  if (intervalA !== intervalB) return intervalB < intervalA ? b : a;
  return a.params.socketIoTransports !== undefined && b.params.socketIoTransports === undefined ? b : a;
}

/** One step per transport among `steps`, chosen by `better`. */
export function onePerTransport<T extends StepResult>(steps: readonly T[]): Map<TransportName, T> {
  const chosen = new Map<TransportName, T>();
  for (const step of steps) {
    const current = chosen.get(step.transport);
    chosen.set(step.transport, current ? better(current, step) : step);
  }
  return chosen;
}

/** The push step of each transport at the headline point (short polling at its shortest interval). */
export function pushAtPoint(results: Results, point: LoadPoint): Map<TransportName, StepResult> {
  return onePerTransport(stepsOf(results, 'push').filter((s) => atPoint(s, point)));
}

/** Short-polling push steps at the point, one per poll interval, in interval order. */
export function shortPollingSweep(results: Results, point: LoadPoint): StepResult[] {
  return stepsOf(results, 'push')
    .filter((s) => s.transport === 'short-polling' && atPoint(s, point) && param(s, 'pollIntervalMs') !== undefined)
    .sort((a, b) => param(a, 'pollIntervalMs')! - param(b, 'pollIntervalMs')!);
}

/** Human words for the point: "1,000 messages/s to 50 clients, 64 B payloads". */
export function describePoint(point: LoadPoint): string {
  const n = new Intl.NumberFormat('en-US');
  return `${n.format(point.rate)} messages/s published, ${n.format(point.clients)} clients, ${n.format(point.payloadBytes)} B payloads`;
}
