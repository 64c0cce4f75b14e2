import type { ResolvedConfig } from '../config/config.ts';
import type { AnyScenario, ScenarioName, StepParams, StepPlan } from '../scenarios/scenario.ts';
import { conditionsOf, stepId } from '../scenarios/step-id.ts';

/**
 * The plan: for each transport in config order, for each scenario in config order, the scenario's steps,
 * each with its id built from its parameters and the conditions it runs under. A step's parameters are
 * checked against its scenario's schema here, once: a plan that breaks them is a bug in the harness.
 */

export type ScenarioSet = Partial<Record<ScenarioName, AnyScenario>>;

/** An absent optional parameter is left out, as the results store parameters. */
function present(params: StepParams): Record<string, number | string | boolean> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as Record<string, number | string | boolean>;
}

export function buildPlan(config: ResolvedConfig, scenarios: ScenarioSet): StepPlan[] {
  const steps: StepPlan[] = [];
  for (const transport of config.transports) {
    for (const name of config.scenarios) {
      const scenario = scenarios[name];
      if (!scenario) {
        // Still a row, so the missing scenario shows up as an errored step.
        steps.push({ id: `${name}/${transport}`, scenario: name, transport, params: {}, server: { transport } });
        continue;
      }
      for (const planned of scenario.plan(config, transport)) {
        const checked = scenario.params.safeParse(planned.params);
        if (!checked.success) throw new Error(`the ${name} scenario planned a step with bad parameters: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        const params = present({ ...planned.params, ...conditionsOf(planned.server) });
        const step: StepPlan = { id: stepId(name, transport, params, scenario.id), scenario: name, transport, params, server: planned.server };
        if (planned.repeats !== undefined) step.repeats = planned.repeats;
        steps.push(step);
      }
    }
  }
  return steps;
}
