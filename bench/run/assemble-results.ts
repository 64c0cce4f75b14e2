import { RESULTS_SCHEMA_VERSION, type Environment, type Results, type StepResult } from '../../results/schema.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { toolVersion } from './environment.ts';

/** The results file of a run, from its rows and what the run knew about itself. */
export function assembleResults(run: {
  config: ResolvedConfig;
  environment: Environment;
  method: Record<string, string>;
  steps: StepResult[];
  startedAt: Date;
  finishedAt: Date;
  interrupted: boolean;
}): Results {
  const ok = run.steps.filter((r) => r.status === 'ok').length;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'transport-bench', version: toolVersion() },
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    profile: run.config.profile,
    config: { ...run.config },
    environment: run.environment,
    method: run.method,
    steps: run.steps,
    summary: { steps: run.steps.length, ok, errored: run.steps.length - ok, durationMs: run.finishedAt.getTime() - run.startedAt.getTime() },
    interrupted: run.interrupted,
  };
}
