import { z } from 'zod';
import { TRANSPORTS } from '../protocol/transports.ts';
import { SCENARIOS, type OkStep, type Results, type StepResult } from '../results/schema.ts';
import { METRIC_IDS, METRICS } from '../results/metrics.ts';

/**
 * Checks between transports inside one run ("ws p99 latency below long-polling p99"). Unlike a baseline
 * comparison they hold on any machine, because both sides were measured on the same one at the same time.
 */

export const ratioCheckSchema = z.strictObject({
  /** Stable name, shown in the table and in messages. */
  id: z.string().min(1),
  /** Which scenario's steps to pair up. */
  scenario: z.enum(SCENARIOS),
  /** A metric id from results/metrics.ts; the median across repeats is used. */
  metric: z.enum(METRIC_IDS),
  left: z.enum(TRANSPORTS),
  /** '<': left must be strictly below factor × right; '<=': at most. */
  op: z.enum(['<', '<=']),
  right: z.enum(TRANSPORTS),
  /** Headroom: the right side is multiplied by this before comparing. Default 1. */
  factor: z.number().positive().default(1),
  /** 'fail' fails the build (exit 1); 'warn' only reports. Default 'fail'. */
  severity: z.enum(['fail', 'warn']).default('fail'),
});
export type RatioCheck = z.output<typeof ratioCheckSchema>;

/** The default set: each is a property of the protocols, not of the machine. */
export const DEFAULT_RATIO_CHECKS: readonly RatioCheck[] = [
  // Newline-delimited JSON is the floor: one byte per message against ws's two-byte frame header.
  { id: 'tcp-bytes-at-most-ws', scenario: 'push', metric: 'bytesPerMessage.total', left: 'tcp', op: '<=', right: 'ws', factor: 1, severity: 'fail' },
  // Raw TCP opens with a subscribe line and a ready line; ws needs an HTTP upgrade first; Socket.IO adds its own handshakes.
  { id: 'tcp-setup-bytes-below-ws', scenario: 'connect', metric: 'setup.bytes', left: 'tcp', op: '<', right: 'ws', factor: 1, severity: 'fail' },
  { id: 'ws-setup-bytes-below-socket-io', scenario: 'connect', metric: 'setup.bytes', left: 'ws', op: '<', right: 'socket-io', factor: 1, severity: 'fail' },
  // Short polling waits half an interval on average; ws delivers at once.
  { id: 'ws-p50-below-short-polling', scenario: 'push', metric: 'latency.p50', left: 'ws', op: '<', right: 'short-polling', factor: 1, severity: 'fail' },
  // An idle ws connection sends (almost) nothing; an idle short-polling client keeps polling.
  { id: 'ws-idle-bytes-below-short-polling', scenario: 'idle', metric: 'idleBytesPerConnectionPerMin', left: 'ws', op: '<', right: 'short-polling', factor: 1, severity: 'fail' },
  // Warnings only. A long poll must be re-issued after each response, but steps run one after another, so on a
  // shared machine a burst of load can hit one side only: ws p99 measured 2× long polling's once, same commit.
  { id: 'ws-p99-below-long-polling', scenario: 'push', metric: 'latency.p99', left: 'ws', op: '<', right: 'long-polling', factor: 1, severity: 'warn' },
  // At high rates a poll returns a large batch and its HTTP headers amortise below a ws frame header.
  { id: 'ws-bytes-below-long-polling', scenario: 'push', metric: 'bytesPerMessage.total', left: 'ws', op: '<', right: 'long-polling', factor: 1, severity: 'warn' },
  { id: 'ws-bytes-below-short-polling', scenario: 'push', metric: 'bytesPerMessage.total', left: 'ws', op: '<', right: 'short-polling', factor: 1, severity: 'warn' },
];

export interface RatioPair {
  leftStep: string;
  rightStep: string;
  left: number;
  right: number;
  passed: boolean;
}

export interface RatioOutcome {
  check: RatioCheck;
  /** The check in words. */
  text: string;
  /** 'skipped' when the run has no pair of ok, unsaturated steps carrying the metric. */
  verdict: 'pass' | 'fail' | 'skipped';
  /** Every pair of matching steps; the check fails when any pair fails. */
  pairs: RatioPair[];
}

export function describeCheck(check: RatioCheck): string {
  const label = METRICS[check.metric].label;
  const relation = check.op === '<' ? 'below' : 'at most';
  const factor = check.factor === 1 ? '' : `${check.factor} × `;
  return `${check.left} ${label} ${relation} ${factor}${check.right} ${label} (${check.scenario})`;
}

/**
 * Conditions that change every transport's figures, raw TCP's too: two steps compare only under the same ones
 * (a browser step's ws against a Node step's long polling compares Chromium with Node, not the transports).
 * Request headers and cookies are left out: raw TCP sends none, so its loopback step is the floor under them.
 */
const SHARED_CONDITIONS = ['clientRuntime', 'browserClientsPerHost', 'rttMs', 'jitterMs', 'bandwidth', 'lossPercent', 'binary', 'feed', 'nodes'] as const;

/**
 * Two steps are comparable when they ran under the same shared conditions and every other parameter they both
 * carry has the same value (poll interval is short-polling's own).
 */
function sameParams(a: StepResult, b: StepResult): boolean {
  if (SHARED_CONDITIONS.some((key) => a.params[key] !== b.params[key])) return false;
  return Object.keys(a.params).every((key) => !(key in b.params) || a.params[key] === b.params[key]);
}

/** Ok steps of one transport carrying the metric; a saturated generator measured itself, so its steps prove nothing. */
function candidates(run: Results, check: RatioCheck, transport: RatioCheck['left']): Array<{ step: OkStep; value: number }> {
  const metric = METRICS[check.metric];
  return run.steps
    .filter((step): step is OkStep => step.status === 'ok' && !step.flags.generatorSaturated && step.scenario === check.scenario && step.transport === transport)
    .flatMap((step) => {
      const value = metric.read(step.metrics)?.median;
      return value === undefined ? [] : [{ step, value }];
    });
}

// Code-unit order, not locale order: the table must read the same on every machine.
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function evaluateRatioCheck(run: Results, check: RatioCheck): RatioOutcome {
  const rights = candidates(run, check, check.right);
  const pairs: RatioPair[] = [];
  for (const left of candidates(run, check, check.left)) {
    for (const right of rights) {
      if (!sameParams(left.step, right.step)) continue;
      const bound = check.factor * right.value;
      const passed = check.op === '<' ? left.value < bound : left.value <= bound;
      pairs.push({ leftStep: left.step.id, rightStep: right.step.id, left: left.value, right: right.value, passed });
    }
  }
  pairs.sort((a, b) => byText(a.leftStep, b.leftStep) || byText(a.rightStep, b.rightStep));
  const verdict = pairs.length === 0 ? 'skipped' : pairs.every((pair) => pair.passed) ? 'pass' : 'fail';
  return { check, text: describeCheck(check), verdict, pairs };
}

export function evaluateRatioChecks(run: Results, checks: readonly RatioCheck[]): RatioOutcome[] {
  return checks.map((check) => evaluateRatioCheck(run, check));
}
