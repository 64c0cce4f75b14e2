import type { TransportName } from '../servers/message.ts';
import type { ServerStats } from '../servers/transport-plugin.ts';
import type { StepMetrics } from '../results/schema.ts';

/**
 * The contract between the runner (bench/runner.ts: processes, repeats, errored rows, results) and the
 * scenarios (bench/scenarios/*.ts: what load to make and what to measure). A scenario never starts or
 * stops a server process and never writes results; the runner never touches a client.
 */

export type ScenarioName = 'push' | 'chat' | 'rtt' | 'connect' | 'idle' | 'capacity' | 'http-overhead';

export type StepParams = Record<string, number | string | boolean>;

/** One step of the plan: a scenario, a transport and one combination of parameters (a point of a sweep). */
export interface StepPlan {
  /** Stable id, e.g. `push/ws/rate=1000/clients=10/payload=64`: compare matches steps by it. */
  id: string;
  scenario: ScenarioName;
  transport: TransportName;
  params: StepParams;
  /** How the server process must be started for this step (Socket.IO transports, feed payload size …). */
  server: ServerStartOptions;
}

/** Options the runner passes to the server process it starts for a step. */
export interface ServerStartOptions {
  transport: TransportName;
  payloadBytes?: number;
  binary?: boolean;
  logLength?: number;
  socketIoTransports?: 'polling-upgrade' | 'websocket';
  socketIoRecovery?: boolean;
  longPollTimeoutMs?: number;
}

/** Resource figures of one process over one window (servers/resource-sampler.ts; units as in results/schema.ts). */
export type { ResourceSample } from '../servers/resource-sampler.ts';
import type { ResourceSample } from '../servers/resource-sampler.ts';

/** Open-loop publishing inside the server process, so the publisher is the server's own feed (servers/schedule.ts). */
export type { ScheduleRequest, ScheduleReport } from '../servers/schedule.ts';
import type { ScheduleRequest, ScheduleReport } from '../servers/schedule.ts';

/** The runner's handle on the server process of the current step. */
export interface ServerControl {
  readonly transport: TransportName;
  readonly host: string;
  readonly port: number;
  /** Runs an open-loop publish schedule in the server process; resolves when it has finished. */
  schedule(request: ScheduleRequest): Promise<ScheduleReport>;
  /** Starts a resource window in the server process (CPU, memory, event loop). */
  startResourceWindow(): Promise<void>;
  /** Ends the window and returns its figures. */
  endResourceWindow(): Promise<ResourceSample>;
  stats(): Promise<ServerStats>;
  /** Cuts every client connection; the server keeps listening (fault scenarios). */
  dropConnections(): Promise<void>;
}

/** What a scenario gets for one repeat of one step. */
export interface RepeatContext {
  readonly step: StepPlan;
  readonly server: ServerControl;
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

/**
 * The raw measurement of one repeat. Histograms are hdr-histogram-js histograms (µs); the runner's
 * summariser turns the repeats of a step into StepMetrics (medians with min–max, merged histograms).
 */
export interface RepeatMeasurement {
  /** Partial metrics already in their final per-repeat form (numbers become spreads across repeats). */
  values: Partial<Record<SpreadMetricName, number>>;
  /** Latency histograms of this repeat, by metric name. */
  histograms: Partial<Record<'latency' | 'latencyUncorrected' | 'schedulerLag' | 'setupTime', import('hdr-histogram-js').Histogram>>;
  delivery?: { expected: number; delivered: number; lost: number; duplicated: number; outOfOrder: number };
  /** Bytes per message split, when the scenario delivers messages. */
  bytes?: { payload: number; envelope: number };
  server?: ResourceSample;
  generator?: ResourceSample;
  /** Whole metrics a scenario produces itself (capacity, autocannon), copied into the step as they are. */
  extra?: Pick<StepMetrics, 'capacity' | 'autocannon'>;
  notes?: string[];
}

/** Metrics that are one number per repeat and become a median with min–max. */
export type SpreadMetricName =
  | 'deliveredPerSec'
  | 'publishedPerSec'
  | 'bytesPerMessage'
  | 'transportBytesPerMessage'
  | 'setupBytes'
  | 'emptyPollShare'
  | 'requestsPerSec'
  | 'idleBytesPerConnectionPerMin'
  | 'memoryPerConnectionBytes';

export interface Scenario {
  readonly name: ScenarioName;
  /** Steps of this scenario for one transport under the resolved config (empty when it does not apply). */
  plan(config: import('./config.ts').ResolvedConfig, transport: TransportName): StepPlan[];
  /** Runs one repeat of a step against a started server. Throws on a failure: the runner turns it into an errored row. */
  runRepeat(ctx: RepeatContext): Promise<RepeatMeasurement>;
}
