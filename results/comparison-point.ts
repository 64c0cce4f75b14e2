import type { StepResult } from './schema.ts';

/**
 * The comparison point of a step: its scenario and the parameters every transport shares. The steps of one
 * point (one per transport, short polling once per poll interval) measure the same load: the run interleaves
 * their repeats (bench/run/repeat-order.ts), and compare judges each transport by its ratio to the raw TCP
 * floor at the same point (compare/latency-gate.ts).
 */

/** Parameters that belong to one transport, left out of the comparison point. */
const OWN_PARAMS = new Set(['pollIntervalMs', 'socketIoRecovery', 'socketIoTransports', 'longPollTimeoutMs']);

export function comparisonPoint(step: Pick<StepResult, 'scenario' | 'params'>): string {
  const shared = Object.entries(step.params).filter(([key, value]) => !OWN_PARAMS.has(key) && value !== undefined);
  return `${step.scenario}|${JSON.stringify(shared.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
}
