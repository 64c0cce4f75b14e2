import { mulberry32 } from '../../protocol/mulberry32.ts';
import { comparisonPoint } from '../../results/comparison-point.ts';
import type { StepPlan } from '../scenarios/scenario.ts';

/**
 * The order the repeats run in. The repeats of one comparison point (the steps of a scenario at the same
 * parameters, one per transport) run interleaved in rounds: round r runs repeat r of every step of the point,
 * in an order shuffled anew each round, as Google Benchmark's random interleaving does. A burst of noise on
 * this shared machine then lands on every transport of the point rather than on one, and compare can judge
 * each transport by its ratio to the raw TCP floor measured in the same round.
 */


function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Positions in the plan of each repeat to run, in order: the comparison points in the order the plan first
 * meets them, each point's repeats in rounds, the steps of a round shuffled (seeded by `seed`).
 */
export function repeatOrder(plan: ReadonlyArray<Pick<StepPlan, 'scenario' | 'params'>>, repeatsOf: (index: number) => number, seed: number): number[] {
  const groups = new Map<string, number[]>();
  plan.forEach((step, index) => {
    const key = comparisonPoint(step as Parameters<typeof comparisonPoint>[0]);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const next = mulberry32(seed);
  const order: number[] = [];
  for (const members of groups.values()) {
    const rounds = Math.max(...members.map(repeatsOf));
    for (let round = 0; round < rounds; round++) order.push(...shuffle(members.filter((index) => round < repeatsOf(index)), next));
  }
  return order;
}
