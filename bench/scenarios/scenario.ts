import type { NetworkConditions } from '../network/conditions.ts';
import type { BrowserSession } from '../browser/browser-session.ts';
import type { RequestHeaders } from '../../clients/request-headers.ts';
import type { z } from 'zod';
import type { ResourceSample, ScheduleReport, ScheduleRequest, ServerStats } from '../../protocol/server-ipc.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import type { TransportName } from '../../protocol/transports.ts';
import type { FAULT_SCENARIOS, SCENARIOS } from '../../results/schema.ts';
import type { ResolvedConfig } from '../config/config.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import type { IdSpec } from './step-id.ts';
import type { AgentSet } from '../agent/agent-set.ts';

/**
 * The contract between the runner (bench/run/: processes, repeats, errored rows, results) and the scenarios
 * (bench/scenarios/*.ts: what load to make and what to measure). A scenario never starts or stops a server
 * process and never writes results; the runner never touches a client.
 */

export type ScenarioName = (typeof SCENARIOS)[number];

/** The fault scenarios (docs/reliability.md): their loss is injected, not unexplained. */
export type FaultScenarioName = (typeof FAULT_SCENARIOS)[number];

/** A step's parameters: numbers, strings and flags (an absent optional one is left out of the results). */
export type StepParams = { [key: string]: number | string | boolean | undefined };

/** One step of the plan: a scenario, a transport and one combination of parameters (a point of a sweep). */
export interface StepPlan<P extends StepParams = StepParams> {
  /** Stable id, e.g. `push/ws/rate=1000/clients=10/payload=64`: compare matches steps by it (step-id.ts builds it). */
  id: string;
  scenario: ScenarioName;
  transport: TransportName;
  /** The scenario's own parameters, plus the conditions that differ from their defaults (step-id.ts). */
  params: P;
  /** How the server process must be started for this step (Socket.IO transports, feed payload size …). */
  server: ServerStartOptions;
  /** Repeats of this step when not the config's `repeats` (the fault scenarios use `faultRepeats`). */
  repeats?: number;
  /** Its time budget when longer than the config's `stepTimeoutMs` (capacity at 10,000 clients), ms. */
  timeoutMs?: number;
  /** The emulated network between its clients and the server (run --rtt, --jitter, --bandwidth); absent: loopback. */
  network?: NetworkConditions;
  /** Headers its clients send beyond their own (run --request-headers, --cookie-bytes); absent: none. */
  requestHeaders?: RequestHeaders;
  /**
   * The payload encoding of its publish schedules when not the server's own (run --payload-encoding
   * text,binary): true binary, false text. The server serves each message in its own encoding.
   */
  binary?: boolean;
  /** Where its clients run: in Chromium pages (run --client-runtime browser); absent: Node. */
  runtime?: 'browser';
  /** Server processes (nodes) of the transport sharing the run's feed, when more than 1 (run --nodes). */
  nodes?: number;
}

/** What a scenario's plan gives for one step; the runner adds the id and the conditions. */
export interface PlannedStep<P extends StepParams> {
  params: P;
  server: ServerStartOptions;
  repeats?: number;
  /** A longer time budget than the config's stepTimeoutMs, ms. */
  timeoutMs?: number;
}

/** The runner's handle on the server process of the current step. */
export interface ServerControl {
  readonly transport: TransportName;
  readonly host: string;
  readonly port: number;
  /** Every node's address when the transport runs on several (run --nodes); host and port are node 0's. */
  readonly endpoints?: readonly { host: string; port: number }[];
  /** Runs an open-loop publish schedule in the server process; resolves when it has finished. */
  schedule(request: ScheduleRequest): Promise<ScheduleReport>;
  /** Starts a resource window in the server process (CPU, memory, event loop). */
  startResourceWindow(): Promise<void>;
  /** Ends the window and returns its figures. */
  endResourceWindow(): Promise<ResourceSample>;
  stats(): Promise<ServerStats>;
  /** Cuts every client connection; the server keeps listening (fault scenarios). */
  dropConnections(): Promise<void>;
  /**
   * Loads the replacement process a later crash() will start listening (idempotent), so its start-up is
   * not part of the outage; crash() loads one itself when this was not called.
   */
  prepareCrash(): Promise<void>;
  /**
   * SIGKILLs the server process (no close, no goodbye: the in-memory feed and every connection are gone),
   * waits `downtimeMs`, then has a fresh process listen on the same port. Resolves once it listens.
   */
  crash(options?: { downtimeMs?: number }): Promise<CrashReport>;
  /** With several nodes (run --nodes): SIGKILLs node `index` for good, the others going on; resolves with the kill's time, µs. */
  killNode?(index: number): Promise<number>;
}

/** When a crash() happened, in µs on the shared monotonic clock (protocol/clock.ts). */
export interface CrashReport {
  /** Just before the SIGKILL. */
  killedAt: number;
  /** The replacement was listening. */
  listeningAt: number;
}

/** The run's private Redis, where the feed lives (run --feed redis). */
export interface FeedControl {
  /** SIGKILLs redis-server (it keeps nothing on disk), waits `downtimeMs`, starts it again on the same socket, empty. */
  restart(options: { downtimeMs: number }): Promise<CrashReport>;
}

/** What a scenario gets for one repeat of one step. */
export interface RepeatContext<P extends StepParams = StepParams> {
  readonly step: StepPlan;
  /** The step's parameters, checked against the scenario's schema. */
  readonly params: P;
  readonly server: ServerControl;
  /** The run's browser, when the step's clients run in it (StepPlan.runtime). */
  readonly browser?: BrowserSession;
  /** The feed's private Redis, when the run started one (run --feed redis). */
  readonly feed?: FeedControl;
  /** The run's load agents (run --agents N, N > 1), where the fan-out scenarios' Node clients run. */
  readonly agents?: AgentSet;
  /** Warm-up before the measured window, ms (already resolved from the profile). */
  readonly warmupMs: number;
  /** Measured window, ms. */
  readonly durationMs: number;
  /** Aborted on Ctrl-C or when the runner gives up on the step (timeout, server died). */
  readonly signal: AbortSignal;
  /** Reports progress of this repeat, 0–1, for the progress bar. */
  progress(fraction: number): void;
  /** The load process's own resource window (the runner samples it around the repeat). */
  readonly generator: { start(): void; end(): ResourceSample };
}

export interface Scenario<P extends StepParams = StepParams> {
  readonly name: ScenarioName;
  /** The step parameters, declared once: the plan's output is checked against it, and runRepeat gets it typed. */
  readonly params: z.ZodType<P>;
  /**
   * Whether its clients can go through the emulated network (run --rtt …). False for scenarios whose load is
   * not the transport's clients (hostile's corpus, http-overhead's autocannon): they run once, on loopback.
   */
  readonly network?: false;
  /** Whether its publish schedules honour a step's payload encoding (StepPlan.binary): the fan-out scenarios. */
  readonly encodings?: true;
  /** Whether it can run its clients in a browser (StepPlan.runtime): push, for now. */
  readonly browser?: true;
  /** The fewest server nodes its steps need (node-kill: 2); steps at fewer nodes of a --nodes sweep are left out. */
  readonly minNodes?: number;
  /** How the step id is built from the parameters (step-id.ts). */
  readonly id: IdSpec<NoInfer<P>>;
  /** Steps of this scenario for one transport under the resolved config (empty when it does not apply). */
  plan(config: ResolvedConfig, transport: TransportName): PlannedStep<NoInfer<P>>[];
  /** Runs one repeat of a step against a started server. Throws on a failure: the runner turns it into an errored row. */
  runRepeat(ctx: RepeatContext<NoInfer<P>>): Promise<RepeatMeasurement>;
}

/** A scenario of any parameter type, as the registry and the runner hold them. */
export type AnyScenario = Scenario<any>;

/** Declares a scenario with its parameter type inferred from its schema. */
export function defineScenario<P extends StepParams>(scenario: Scenario<P>): Scenario<P> {
  return scenario;
}
