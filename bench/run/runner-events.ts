import { EventEmitter } from 'node:events';
import type { Results, StepResult } from '../../results/schema.ts';
import type { StepPlan } from '../scenarios/scenario.ts';

/**
 * What the runner tells its subscribers (progress bar, plain lines, results writer, end table). Measuring
 * stays in bench/run/run-benchmark.ts; showing and writing subscribe here.
 */

export interface PlanEvent {
  steps: readonly StepPlan[];
  /** Server processes the plan needs (one per distinct start options), started before the first step. */
  servers: number;
}

export interface RepeatStartEvent {
  /** 0-based position of the step in the plan. */
  index: number;
  total: number;
  step: StepPlan;
  /** 0-based repeat about to run, of `repeats`. */
  repeat: number;
  repeats: number;
  /** Measuring time the repeat needs at least (warm-up + duration), ms: a hint for the display. */
  expectedMs: number;
}

export interface ProgressEvent {
  index: number;
  total: number;
  step: StepPlan;
  /** 0-based repeat now running. */
  repeat: number;
  repeats: number;
  /** Fraction of this repeat done, 0–1. */
  fraction: number;
}

export interface StepDoneEvent {
  index: number;
  total: number;
  /** Steps finished so far, this one included (repeats interleave, so not index + 1). */
  done: number;
  step: StepPlan;
  result: StepResult;
  /** Wall time of the step's repeats, server acquisition included, ms. */
  elapsedMs: number;
}

export interface ServerStartEvent {
  transport: StepPlan['transport'];
  pid: number;
  /** Spawn to ready, ms. */
  startupMs: number;
}

export interface RunDoneEvent {
  results: Results;
  /** True when the run was stopped early (Ctrl-C, SIGTERM); `results` holds what was measured. */
  interrupted: boolean;
}

export interface RunnerEventMap {
  plan: [PlanEvent];
  'repeat-start': [RepeatStartEvent];
  progress: [ProgressEvent];
  'step-done': [StepDoneEvent];
  'server-start': [ServerStartEvent];
  'run-done': [RunDoneEvent];
}

export class RunnerEvents extends EventEmitter<RunnerEventMap> {}
