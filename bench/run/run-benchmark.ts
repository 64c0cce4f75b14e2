import { setTimeout as delay } from 'node:timers/promises';
import { RESULTS_SCHEMA_VERSION, type Environment, type Results, type StepResult } from '../../results/schema.ts';
import { startResourceWindow, EVENT_LOOP_RESOLUTION_MS, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { SCHEDULE_STRATEGY } from '../../servers/schedule.ts';
import { startBusyPoll } from './busy-poll.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { collectEnvironment, toolVersion } from './environment.ts';
import { BENCH_ERRORS, BenchError, toStepError } from './errors.ts';
import { HISTOGRAM_SIGNIFICANT_DIGITS } from '../measure/histogram.ts';
import { RunnerEvents } from './runner-events.ts';
import type { RepeatContext, RepeatMeasurement, ResourceSample, Scenario, ScenarioName, StepPlan } from '../scenarios/scenario.ts';
import { LOAD_SCHEDULE_STRATEGY } from '../scenarios/common.ts';
import { ServerPool } from './server-pool.ts';
import { summariseStep } from '../measure/summarise.ts';

/**
 * The runner: plans the steps, runs each step's repeats against a server child process (reused while the
 * start options stay the same), turns any failure into an errored row, and hands the results to its
 * subscribers. It never touches a client (scenarios do) and never prints (subscribers do).
 */

export interface RunOptions {
  config: ResolvedConfig;
  scenarios: Partial<Record<ScenarioName, Scenario>>;
  events?: RunnerEvents;
  /** Aborting (Ctrl-C) stops the current step, stops the servers and ends the run with what was measured. */
  signal?: AbortSignal;
  /** CPU to pin server children to (taskset), and how pinning was done, for results.method. */
  pinning?: { serverCpu?: number; description: string };
  environment?: Environment;
  summarise?: typeof summariseStep;
  /** How long a server child may take to be ready, ms. */
  readyTimeoutMs?: number;
}

export interface RunOutcome {
  results: Results;
  interrupted: boolean;
}

/** How long a scenario gets to close its clients after its step was aborted, ms. */
const SCENARIO_GRACE_MS = 2_000;

/** For each transport in config order, for each scenario in config order, the scenario's steps. */
export function buildPlan(config: ResolvedConfig, scenarios: Partial<Record<ScenarioName, Scenario>>): StepPlan[] {
  const steps: StepPlan[] = [];
  for (const transport of config.transports) {
    for (const name of config.scenarios) {
      const scenario = scenarios[name];
      if (!scenario) {
        // Still a row, so the missing scenario shows up as an errored step.
        steps.push({ id: `${name}/${transport}`, scenario: name, transport, params: {}, server: { transport } });
        continue;
      }
      steps.push(...scenario.plan(config, transport));
    }
  }
  return steps;
}

function erroredRow(step: StepPlan, error: { code: string; message: string }, repeats: number, notes: string[] = []): StepResult {
  return {
    id: step.id,
    scenario: step.scenario,
    transport: step.transport,
    params: step.params,
    status: 'errored',
    error,
    repeats,
    metrics: {},
    flags: { generatorSaturated: false, unexplainedLoss: false },
    notes,
  };
}

/** The load process's resource window for one repeat: open from the repeat's start unless the scenario reopens it. */
function generatorWindow(): RepeatContext['generator'] & { finish(): ResourceSample } {
  let window: ResourceWindow = startResourceWindow();
  let ended: ResourceSample | undefined;
  return {
    start() {
      window.end();
      window = startResourceWindow();
      ended = undefined;
    },
    end() {
      ended = window.end();
      return ended;
    },
    finish() {
      return ended ?? window.end();
    },
  };
}

export async function runBenchmark(options: RunOptions): Promise<RunOutcome> {
  const { config, scenarios } = options;
  const events = options.events ?? new RunnerEvents();
  const runSignal = options.signal ?? new AbortController().signal;
  const summarise = options.summarise ?? summariseStep;
  const startedAt = new Date();
  const environment = options.environment ?? collectEnvironment();
  const pool = new ServerPool({ cpu: options.pinning?.serverCpu, readyTimeoutMs: options.readyTimeoutMs, events });
  const plan = buildPlan(config, scenarios);
  const results: StepResult[] = [];
  const interrupted = (): BenchError => new BenchError(BENCH_ERRORS.INTERRUPTED, 'interrupted (Ctrl-C or SIGTERM) while this step ran');

  // Keys of the servers each step onwards still needs, so a server is stopped after its last step.
  const runnable = plan.map((step) => (scenarios[step.scenario] ? ServerPool.key(step.server) : undefined));
  const neededFrom = (index: number): Set<string> => new Set(runnable.slice(index).filter((key): key is string => key !== undefined));
  const serverOptions = plan.filter((step) => scenarios[step.scenario]).map((step) => step.server);

  events.emit('plan', { steps: plan, servers: neededFrom(0).size });

  const runStep = async (step: StepPlan, index: number): Promise<StepResult> => {
    const scenario = scenarios[step.scenario];
    if (!scenario) return erroredRow(step, { code: BENCH_ERRORS.UNKNOWN_SCENARIO, message: `no scenario '${step.scenario}' is registered` }, 0);
    const stepController = new AbortController();
    const signal = AbortSignal.any([runSignal, stepController.signal]);
    let timer: NodeJS.Timeout | undefined;
    const measurements: RepeatMeasurement[] = [];
    // A step may ask for its own number of repeats (the fault scenarios use faultRepeats).
    const repeats = step.repeats ?? config.repeats;
    let server: Awaited<ReturnType<ServerPool['acquire']>> | undefined;

    // Why the step failed: interruption and the runner's own reasons (timeout, server exit) come first.
    const reasonFor = async (error: unknown): Promise<unknown> => {
      if (runSignal.aborted) return interrupted();
      if (stepController.signal.aborted) return stepController.signal.reason;
      // A client often sees the dead socket before the child's exit is reported: give the exit a moment.
      if (server && (await Promise.race([server.exited.then(() => true), delay(250, false)]))) return server.exitError();
      return error;
    };

    try {
      server = await pool.acquire(step.server, signal);
      // The clock starts once the server is up: its start-up has its own bound (readyTimeoutMs).
      timer = setTimeout(() => {
        stepController.abort(new BenchError(BENCH_ERRORS.STEP_TIMEOUT, `the step did not finish within ${config.stepTimeoutMs} ms (stepTimeoutMs)`));
      }, config.stepTimeoutMs);
      for (let repeat = 0; repeat < repeats; repeat++) {
        if (signal.aborted) throw signal.reason;
        const generator = generatorWindow();
        const ctx: RepeatContext = {
          step,
          server,
          warmupMs: config.warmupMs,
          durationMs: config.durationMs,
          signal,
          generator,
          progress: (fraction) => {
            const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
            events.emit('progress', { index, total: plan.length, step, repeat, repeats, fraction: (repeat + f) / repeats });
          },
        };
        const live = server;
        let active = true;
        // The child dying mid-repeat aborts the step, so the scenario stops waiting on it.
        void live.exited.then(() => {
          if (active && !stepController.signal.aborted) stepController.abort(live.exitError());
        });
        let onAbort = (): void => {};
        const stopped = new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
        stopped.catch(() => {});
        const work = Promise.resolve().then(() => scenario.runRepeat(ctx));
        try {
          const measurement = await Promise.race([work, stopped]);
          measurement.generator ??= generator.finish();
          measurements.push(measurement);
        } catch (error) {
          if (!stepController.signal.aborted) stepController.abort(error);
          // Let the scenario close its clients before the next step starts.
          await Promise.race([work.catch(() => {}), delay(SCENARIO_GRACE_MS)]);
          throw error;
        } finally {
          active = false;
          signal.removeEventListener('abort', onAbort);
          generator.finish();
        }
        ctx.progress(1);
      }
      let summary;
      try {
        summary = summarise(step, measurements, { busyPoll: config.busyPoll });
      } catch (error) {
        throw new BenchError(BENCH_ERRORS.SUMMARY_FAILED, `summarising the repeats failed: ${(error as Error).message}`, { cause: error });
      }
      return {
        id: step.id,
        scenario: step.scenario,
        transport: step.transport,
        params: step.params,
        status: 'ok',
        repeats: measurements.length,
        metrics: summary.metrics,
        flags: summary.flags,
        notes: summary.notes,
      };
    } catch (error) {
      const reason = toStepError(await reasonFor(error));
      // A failed step may leave the server mid-schedule or holding clients: the next step gets a fresh one.
      if (server) await pool.discard(server);
      const notes = measurements.length > 0 ? [`${measurements.length} of ${repeats} repeats completed before the error; their figures are not reported`] : [];
      return erroredRow(step, reason, measurements.length, notes);
    } finally {
      clearTimeout(timer);
    }
  };

  const stopBusyPoll = config.busyPoll ? startBusyPoll() : undefined;
  try {
    // Every server up front, before anything is measured: starts run in parallel and never overlap a step.
    await pool.prestart(serverOptions, runSignal);
    for (const [index, step] of plan.entries()) {
      if (!runSignal.aborted) await pool.retain(neededFrom(index));
      if (runSignal.aborted) {
        results.push(erroredRow(step, { code: BENCH_ERRORS.NOT_RUN, message: 'not run: the run was interrupted before this step' }, 0));
        continue;
      }
      const began = performance.now();
      events.emit('step-start', { index, total: plan.length, step, expectedMs: (step.repeats ?? config.repeats) * (config.warmupMs + config.durationMs) });
      const result = await runStep(step, index);
      results.push(result);
      events.emit('step-done', { index, total: plan.length, step, result, elapsedMs: performance.now() - began });
    }
  } finally {
    stopBusyPoll?.();
    await pool.stopAll();
  }

  const finishedAt = new Date();
  const ok = results.filter((r) => r.status === 'ok').length;
  const starts = pool.startupTimes;
  const medianStart = starts.length > 0 ? [...starts].sort((a, b) => a - b)[starts.length >> 1]! : 0;
  const output: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'transport-bench', version: toolVersion() },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    profile: config.profile,
    config: { ...config },
    environment,
    method: {
      clock: 'process.hrtime.bigint() (CLOCK_MONOTONIC, shared by every process on one host), in µs; server publish stamps and client receive stamps are subtracted directly',
      schedule: `push and capacity: open loop inside the server process, message k of a step is due at start + k/rate; ${SCHEDULE_STRATEGY}. chat and rtt: open loop in the load process, the same way: ${LOAD_SCHEDULE_STRATEGY}`,
      latency: 'corrected latency from the intended send time (coordinated omission, as wrk2); uncorrected from the actual send time; scheduler lag = actual − intended',
      histogram: `hdr-histogram-js, 1 µs lowest discernible value, ${HISTOGRAM_SIGNIFICANT_DIGITS} significant digits; histograms of all repeats merged exactly`,
      warmup: `${config.warmupMs} ms before each measured window, discarded`,
      window: `${config.durationMs} ms measured per repeat`,
      repeats: `${config.repeats} per step (fault scenarios: ${config.faultRepeats}); figures are the median with min–max across repeats`,
      processes: `each transport's server in its own child process (node --import tsx servers/process-entry.ts), one per distinct start options, all started before the first step (two at a time) and reused across the steps and repeats that need them; load clients in the runner's process; ${starts.length} server start(s), median start-up ${Math.round(medianStart)} ms`,
      pinning: (options.pinning?.description ?? 'not pinned (no CPU pinning requested)') + (pool.unpinned > 0 ? `; ${pool.unpinned} server process(es) could not be pinned` : ''),
      resources: `CPU time (user+system) over wall time per window; RSS and heap at the window's end; event-loop utilisation (performance.eventLoopUtilization); event-loop delay p99 (monitorEventLoopDelay, ${EVENT_LOOP_RESOLUTION_MS} ms resolution, the resolution subtracted)`,
      stepTimeout: `${config.stepTimeoutMs} ms per step, then the step is errored (BENCH_ERR_STEP_TIMEOUT)`,
      busyPoll: config.busyPoll
        ? 'on: the load process kept a setImmediate chain pending, so it never slept and no idle-CPU wake-up entered latency; its CPU reads ~100 % by design and generator saturation was judged by event-loop delay alone'
        : 'off: the load process slept when idle, so latency at low rates includes waking its CPU (see --busy-poll)',
    },
    steps: results,
    summary: { steps: results.length, ok, errored: results.length - ok, durationMs: finishedAt.getTime() - startedAt.getTime() },
    interrupted: runSignal.aborted,
  };
  events.emit('run-done', { results: output, interrupted: runSignal.aborted });
  return { results: output, interrupted: runSignal.aborted };
}
