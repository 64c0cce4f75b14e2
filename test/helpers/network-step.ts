import { summariseStep } from '../../bench/measure/summarise.ts';
import type { NetworkPaths } from '../../bench/network/network-path.ts';
import type { ResolvedConfig } from '../../bench/config/config.ts';
import type { RepeatContext, StepPlan } from '../../bench/scenarios/scenario.ts';
import { SCENARIO_REGISTRY } from '../../bench/scenarios/registry.ts';
import type { StepMetrics } from '../../results/schema.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { InProcessServer } from './in-process-server.ts';

/** One repeat of a step under its emulated network (`paths`), against a server in this process; its summarised metrics. */
export async function measureOverNetwork(step: StepPlan, config: ResolvedConfig, paths: NetworkPaths): Promise<StepMetrics> {
  const server = await InProcessServer.start(step.server);
  try {
    let window: ResourceWindow | undefined;
    const ctx: RepeatContext = {
      step,
      params: SCENARIO_REGISTRY[step.scenario].params.parse(step.params),
      server: await paths.route(server, step.network!),
      warmupMs: config.warmupMs,
      durationMs: config.durationMs,
      signal: new AbortController().signal,
      progress: () => {},
      generator: { start: () => void (window = startResourceWindow()), end: () => (window ?? startResourceWindow()).end() },
    };
    return summariseStep(step, [await SCENARIO_REGISTRY[step.scenario].runRepeat(ctx)], { busyPoll: false }).metrics;
  } finally {
    await server.close();
  }
}
