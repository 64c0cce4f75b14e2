import type { OkStep, Results } from '../results/schema.ts';
import type { StepFinding } from './compare.ts';
import type { Thresholds } from './thresholds.ts';

/**
 * What the current run must show whatever the baseline says: no message doubled or reordered anywhere; no
 * message lost without a fault to explain it; after a drop, nothing lost (every transport resumes from its
 * cursor and the room's log still holds the gap); after a crash, nothing lost of what the restarted server
 * published; a stalled client dropped; every hostile input handled and a normal client served afterwards.
 */

type Outcome = Pick<StepFinding, 'verdict' | 'message'> & { on: keyof Thresholds['failOn'] };

function outcomes(step: OkStep): Outcome[] {
  const found: Outcome[] = [];
  const d = step.metrics.delivery;
  const r = step.metrics.reliability;
  if (d && (d.duplicated > 0 || d.outOfOrder > 0)) {
    found.push({ on: 'disorder', verdict: 'doubled or reordered', message: `${d.duplicated} deliveries doubled and ${d.outOfOrder} out of order (of ${d.expected})` });
  }
  if (step.scenario === 'drop') {
    if (d && d.lost > 0) found.push({ on: 'faultOutcomes', verdict: 'lost after a drop', message: `${d.lost} of ${d.expected} deliveries lost after the server cut the connections; the log still held the gap, so a resuming client loses nothing` });
  } else if (step.scenario === 'node-kill') {
    if (d && d.lost > 0) found.push({ on: 'faultOutcomes', verdict: 'lost after a node kill', message: `${d.lost} of ${d.expected} deliveries lost after a node was killed; the feed in Redis kept every message, so a client that moved nodes loses nothing` });
  } else if (step.scenario === 'crash' || step.scenario === 'redis-restart') {
    const after = r?.afterRestart;
    const what = step.scenario === 'crash' ? 'the restarted server' : 'the servers after Redis restarted';
    if (after && after.lost > 0) found.push({ on: 'faultOutcomes', verdict: 'lost after a restart', message: `${after.lost} of ${after.expected} deliveries ${what} published were lost` });
  } else if (d && d.lost > 0) {
    found.push({ on: 'loss', verdict: 'unexplained loss', message: `${d.lost} of ${d.expected} deliveries lost with no fault injected` });
  }
  const slow = r?.slowConsumer;
  if (slow && slow.dropped < slow.repeats) {
    found.push({ on: 'faultOutcomes', verdict: 'slow consumer kept', message: `the stalled client was not dropped in ${slow.repeats - slow.dropped} of ${slow.repeats} repeats: the server kept queueing for a client that reads nothing` });
  }
  const hostile = r?.hostile;
  if (hostile && hostile.handled < hostile.tried) {
    found.push({ on: 'faultOutcomes', verdict: 'hostile input not handled', message: `${hostile.tried - hostile.handled} of ${hostile.tried} hostile inputs not handled: ${hostile.failures.slice(0, 3).join('; ')}` });
  }
  if (hostile && !hostile.servedAfter) found.push({ on: 'faultOutcomes', verdict: 'hostile input not handled', message: 'no normal client was served after the hostile inputs' });
  return found;
}

export function judgeOutcomes(current: Results, thresholds: Thresholds): StepFinding[] {
  return current.steps.flatMap((step) =>
    step.status !== 'ok'
      ? []
      : outcomes(step).map(({ on, verdict, message }) => ({ kind: 'step' as const, severity: thresholds.failOn[on] ? ('fail' as const) : ('warn' as const), verdict, stepId: step.id, message })),
  );
}
