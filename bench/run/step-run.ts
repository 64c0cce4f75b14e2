import { setTimeout as delay } from 'node:timers/promises';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import type { StepMetrics, StepResult } from '../../results/schema.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import type { ResolvedConfig } from '../config/config.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { GENERATOR_CPU_BOUND_PERCENT, spread, summariseStep } from '../measure/summarise.ts';
import type { AnyScenario, FeedControl, RepeatContext, StepPlan } from '../scenarios/scenario.ts';
import type { RunnerEvents } from './runner-events.ts';
import type { ServerPool } from './server-pool.ts';
import type { NetworkPaths } from '../network/network-path.ts';
import { lossNote, roundTripNote } from '../network/round-trip-arithmetic.ts';
import { fanOutWindowMs } from '../scenarios/fan-out.ts';
import type { BrowserSession } from '../browser/browser-session.ts';
import { toStepError } from './step-error.ts';
import type { AgentSet } from '../agent/agent-set.ts';

/**
 * One step of the plan as it runs: its repeats one at a time against a server from the pool, each bounded
 * by what is left of the step's time budget and aborted with the run; the first failure ends the step with
 * its reason. Once every repeat is measured, the step's row is the summary of its repeats.
 */

/** How long a scenario gets to close its clients after its repeat was aborted, ms. */
const SCENARIO_GRACE_MS = 2_000;

export interface RepeatEnvironment {
  config: ResolvedConfig;
  pool: ServerPool;
  events: RunnerEvents;
  /** Aborted on Ctrl-C or SIGTERM. */
  runSignal: AbortSignal;
  /** The emulated networks (bench/network/): the proxy a step with conditions connects its clients through. */
  network: NetworkPaths;
  /** The run's browser, for steps whose clients run in Chromium. */
  browser: BrowserSession;
  /** The feed's private Redis (run --feed redis), for the redis-restart fault. */
  feed?: FeedControl;
  /** The run's load agents (run --agents N). */
  agents?: AgentSet;
  /** The step's place in the plan, for the progress events. */
  index: number;
  total: number;
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

function erroredRow(step: StepPlan, error: { code: string; message: string }, repeats: number, notes: string[] = []): StepResult {
  return { id: step.id, scenario: step.scenario, transport: step.transport, params: step.params as StepResult['params'], status: 'errored', error, repeats, notes };
}

export class StepRun {
  readonly measurements: RepeatMeasurement[] = [];
  #error: { code: string; message: string } | undefined;
  /** Time the step's repeats have taken so far, ms: the step timeout bounds their sum. */
  #spentMs = 0;
  /** Wall time of the step's repeats so far, server acquisition included, ms. */
  elapsedMs = 0;
  #row: StepResult | undefined;

  constructor(
    readonly step: StepPlan,
    readonly scenario: AnyScenario | undefined,
    readonly repeats: number,
  ) {}

  /** Whether the step runs against a server at all (a registered scenario, and clients that can run where asked). */
  get needsServer(): boolean {
    return this.scenario !== undefined && !(this.step.runtime === 'browser' && browserRefusal(this.step, this.scenario));
  }

  /** Whether a repeat of this step is still to run with its clients in `browser`. */
  needsBrowser(browser: BrowserSession): boolean {
    return !this.done && this.step.runtime === 'browser' && browser.unavailable === undefined && this.needsServer;
  }

  /** No repeat is left to run: all were measured, or one failed. */
  get done(): boolean {
    return this.#error !== undefined || this.measurements.length >= this.repeats;
  }

  /** Runs the next repeat; a failure ends the step with its reason (the server is then discarded). */
  async runRepeat(env: RepeatEnvironment): Promise<void> {
    const { step, scenario } = this;
    if (!scenario) {
      this.#error = { code: TOOL_ERRORS.UNKNOWN_SCENARIO, message: `no scenario '${step.scenario}' is registered` };
      return;
    }
    const notApplicable = step.runtime === 'browser' ? browserRefusal(step, scenario) : undefined;
    if (notApplicable) {
      this.#error = { code: TOOL_ERRORS.NOT_APPLICABLE, message: notApplicable };
      return;
    }
    if (step.runtime === 'browser' && env.browser.unavailable !== undefined) {
      this.#error = { code: TOOL_ERRORS.SKIPPED, message: env.browser.unavailable };
      return;
    }
    const stepController = new AbortController();
    const signal = AbortSignal.any([env.runSignal, stepController.signal]);
    let server: Awaited<ReturnType<ServerPool['acquire']>> | undefined;
    let timer: NodeJS.Timeout | undefined;

    // Why the repeat failed: interruption and the runner's own reasons (timeout, server exit) come first.
    const reasonFor = async (error: unknown): Promise<unknown> => {
      if (env.runSignal.aborted) return new ToolError(TOOL_ERRORS.INTERRUPTED, 'interrupted (Ctrl-C or SIGTERM) while this step ran');
      if (stepController.signal.aborted) return stepController.signal.reason;
      // A client often sees the dead socket before the child's exit is reported: give the exit a moment.
      if (server && (await Promise.race([server.exited.then(() => true), delay(250, false)]))) return server.exitError();
      return error;
    };

    const began = performance.now();
    try {
      server = await env.pool.acquire(step.server, signal, step.nodes);
      // The clock starts once the server is up: its start-up has its own bound (readyTimeoutMs).
      const started = performance.now();
      const budgetMs = step.timeoutMs ?? env.config.stepTimeoutMs;
      timer = setTimeout(() => {
        stepController.abort(new ToolError(TOOL_ERRORS.STEP_TIMEOUT, `the step did not finish within ${budgetMs} ms (${step.timeoutMs ? "the step's own budget, above stepTimeoutMs" : 'stepTimeoutMs'})`));
      }, Math.max(0, budgetMs - this.#spentMs));
      try {
        this.measurements.push(await this.#measure(env, scenario, server, signal, stepController));
      } finally {
        this.#spentMs += performance.now() - started;
      }
    } catch (error) {
      this.#error = toStepError(await reasonFor(error));
      // A failed repeat may leave the server mid-schedule or holding clients: the next step gets a fresh one.
      if (server) await env.pool.discard(server);
    } finally {
      clearTimeout(timer);
      this.elapsedMs += performance.now() - began;
    }
  }

  /** One repeat of the scenario, raced against the step's abort; the scenario gets a grace period to close its clients. */
  async #measure(env: RepeatEnvironment, scenario: AnyScenario, server: NonNullable<Awaited<ReturnType<ServerPool['acquire']>>>, signal: AbortSignal, stepController: AbortController): Promise<RepeatMeasurement> {
    const repeat = this.measurements.length;
    const generator = generatorWindow();
    const ctx: RepeatContext = {
      step: this.step,
      params: scenario.params.parse(this.step.params),
      // Under emulated conditions the clients connect through the proxy; the server's controls stay direct.
      server: this.step.network ? await env.network.route(server, this.step.network) : server,
      ...(this.step.runtime === 'browser' ? { browser: env.browser } : {}),
      ...(env.feed ? { feed: env.feed } : {}),
      ...(env.agents ? { agents: env.agents } : {}),
      warmupMs: env.config.warmupMs,
      durationMs: env.config.durationMs,
      signal,
      generator,
      progress: (fraction) => {
        const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        env.events.emit('progress', { index: env.index, total: env.total, step: this.step, repeat, repeats: this.repeats, fraction: f });
      },
    };
    let active = true;
    // The child dying mid-repeat aborts the step, so the scenario stops waiting on it.
    void server.exited.then(() => {
      if (active && !stepController.signal.aborted) stepController.abort(server.exitError());
    });
    let onAbort = (): void => {};
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    stopped.catch(() => {});
    // The delay proxy's CPU over the repeat, when the step runs behind one: its share of the proxy processes' time.
    const proxyBefore = this.step.network ? { cpuUs: await env.network.cpuUs(), at: performance.now() } : undefined;
    const work = Promise.resolve().then(() => scenario.runRepeat(ctx));
    try {
      const measurement = await Promise.race([work, stopped]);
      measurement.generator ??= generator.finish();
      if (measurement.browser) {
        measurement.values.browserCpuPercent = measurement.browser.totalPercent;
        measurement.values.browserBusiestThreadPercent = measurement.browser.busiestThreadPercent;
      }
      const { inFlight = [], turn = [] } = measurement.browserPolls ?? {};
      if (inFlight.length > 0) measurement.values.browserPollInFlightMs = spread(inFlight).median;
      if (turn.length > 0) measurement.values.browserPollTurnMs = spread(turn).median;
      if (proxyBefore) {
        const usedUs = (await env.network.cpuUs()) - proxyBefore.cpuUs;
        measurement.values.proxyCpuPercent = (usedUs / 1_000 / Math.max(1, performance.now() - proxyBefore.at)) * 100;
      }
      ctx.progress(1);
      return measurement;
    } catch (error) {
      if (!stepController.signal.aborted) stepController.abort(error);
      // Let the scenario close its clients before the next repeat starts.
      await Promise.race([work.catch(() => {}), delay(SCENARIO_GRACE_MS)]);
      throw error;
    } finally {
      active = false;
      signal.removeEventListener('abort', onAbort);
      generator.finish();
    }
  }

  /** The step's row: its summary once every repeat is measured, else why it is missing figures. */
  result(options: { busyPoll: boolean; durationMs: number }): StepResult {
    if (this.#row) return this.#row;
    const row = this.#summarise(options);
    // Final once no repeat is left: the event and the results file show the same row.
    if (this.done) this.#row = row;
    return row;
  }

  #summarise(options: { busyPoll: boolean; durationMs: number }): StepResult {
    const done = this.measurements.length;
    if (this.#error) {
      const notes = done > 0 ? [`${done} of ${this.repeats} repeats completed before the error; their figures are not reported`] : [];
      return erroredRow(this.step, this.#error, done, notes);
    }
    if (done < this.repeats) {
      // The run stopped before this step finished: no figures from part of its repeats.
      return done === 0
        ? erroredRow(this.step, { code: TOOL_ERRORS.NOT_RUN, message: 'not run: the run was interrupted before this step' }, 0)
        : erroredRow(this.step, { code: TOOL_ERRORS.INTERRUPTED, message: `interrupted after ${done} of ${this.repeats} repeats` }, done);
    }
    let summary;
    try {
      summary = summariseStep(this.step, this.measurements, { busyPoll: options.busyPoll });
    } catch (error) {
      return erroredRow(this.step, { code: TOOL_ERRORS.SUMMARY_FAILED, message: `summarising the repeats failed: ${(error as Error).message}` }, done);
    }
    const { id, scenario, transport } = this.step;
    const delay = this.step.server.injectDelayMs;
    const interval = this.step.params.pollIntervalMs;
    const arithmetic = roundTripNote(this.step, summary.metrics, fanOutWindowMs(options.durationMs, typeof interval === 'number' ? interval : undefined));
    const loss = lossNote(this.step);
    const browser = browserNote(summary.metrics);
    const notes = [
      ...(delay ? [`TEST ONLY: the server delayed every delivery by ${delay} ms on purpose (run --inject-delay)`] : []),
      ...summary.notes,
      ...(arithmetic ? [arithmetic] : []),
      ...(loss ? [loss] : []),
      ...(browser ? [browser] : []),
    ];
    return { id, scenario, transport, params: this.step.params as StepResult['params'], status: 'ok', repeats: done, metrics: summary.metrics, flags: summary.flags, notes };
  }
}

/** What Chromium itself did in a browser step: its CPU, and for polling clients where a poll cycle's time went. */
function browserNote(metrics: StepMetrics): string | undefined {
  const { browserCpuPercent: cpu, browserBusiestThreadPercent: busiest, browserPollInFlightMs: inFlight, browserPollTurnMs: turn } = metrics;
  if (!cpu || !busiest) return undefined;
  const polling = inFlight && turn ? `; a poll cycle (median, Resource Timing): ${inFlight.median.toFixed(1)} ms in flight (fetch called to answer read: Chromium's queue, the server's hold, the read), then ${turn.median.toFixed(1)} ms of the page's turn before the next fetch` : '';
  return `Chromium over the window: ${cpu.median.toFixed(0)} % of a core in all its processes, ${busiest.median.toFixed(0)} % on its busiest thread (the step is flagged from ${GENERATOR_CPU_BOUND_PERCENT} %)${polling}`;
}

/** Why a step cannot run its clients in a browser, or undefined when it can. */
function browserRefusal(step: StepPlan, scenario: AnyScenario): string | undefined {
  if (step.transport === 'tcp') return 'not applicable in a browser: a page cannot open a raw TCP socket';
  if (scenario.browser !== true) return `the ${step.scenario} scenario does not run its clients in a browser yet (--client-runtime browser runs push only)`;
  return undefined;
}
