import { notRunHere } from '../protocol/tool-errors.ts';
import type { StepResult } from './schema.ts';

/**
 * How a step ended, for counting and showing: ok; errored (a failure, which fails the run); or not run here, a
 * step marked with its reason that does not fail the run: not applicable (raw TCP in a browser) or skipped on
 * this machine (a profile's browser step without chromium).
 */
export type StepOutcome = 'ok' | 'errored' | 'not run';

export function outcomeOf(step: StepResult): StepOutcome {
  if (step.status === 'ok') return 'ok';
  return notRunHere(step.error.code) ? 'not run' : 'errored';
}

/** "11 ok, 1 errored, 1 not run here", leaving out the outcomes no step had (but ok). */
export function outcomesText(steps: readonly StepResult[]): string {
  const counts = { ok: 0, errored: 0, 'not run': 0 };
  for (const step of steps) counts[outcomeOf(step)]++;
  return [`${counts.ok} ok`, counts.errored > 0 ? `${counts.errored} errored` : '', counts['not run'] > 0 ? `${counts['not run']} not run here` : ''].filter(Boolean).join(', ');
}
