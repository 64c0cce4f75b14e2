import type { TransportName } from '../../protocol/message.ts';
import type { ServerStats } from '../../servers/transport-plugin.ts';
import type { StepMetrics } from '../../results/schema.ts';
import type { DeliveryCounts } from '../measure/sequence-tracker.ts';

/**
 * The contract between the runner (bench/run/run-benchmark.ts: processes, repeats, errored rows, results) and the
 * scenarios (bench/scenarios/*.ts: what load to make and what to measure). A scenario never starts or
 * stops a server process and never writes results; the runner never touches a client.
 */

export type ScenarioName = 'push' | 'chat' | 'rtt' | 'connect' | 'idle' | 'capacity' | 'http-overhead' | FaultScenarioName;

/** The fault scenarios (docs/reliability.md): their loss is injected, not unexplained. */
export type FaultScenarioName = 'drop' | 'crash' | 'slow-consumer' | 'hostile';

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
  /** Repeats of this step when not the config's `repeats` (the fault scenarios use `faultRepeats`). */
  repeats?: number;
}

/** Options the runner passes to the server process it starts for a step. */
export type { ServerStartOptions } from '../../servers/process-entry.ts';
import type { ServerStartOptions } from '../../servers/process-entry.ts';

/** Resource figures of one process over one window (servers/resource-sampler.ts; units as in results/schema.ts). */
export type { ResourceSample } from '../../servers/resource-sampler.ts';
import type { ResourceSample } from '../../servers/resource-sampler.ts';

/** Open-loop publishing inside the server process, so the publisher is the server's own feed (servers/schedule.ts). */
export type { ScheduleRequest, ScheduleReport } from '../../servers/schedule.ts';
import type { ScheduleRequest, ScheduleReport } from '../../servers/schedule.ts';

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
}

/** When a crash() happened, in µs on the shared monotonic clock (protocol/clock.ts). */
export interface CrashReport {
  /** Just before the SIGKILL. */
  killedAt: number;
  /** The replacement was listening. */
  listeningAt: number;
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
  histograms: Partial<Record<'latency' | 'latencyUncorrected' | 'schedulerLag' | 'setupTime' | 'reconnect', import('hdr-histogram-js').Histogram>>;
  delivery?: { expected: number; delivered: number; lost: number; duplicated: number; outOfOrder: number };
  /** Bytes per message split, when the scenario delivers messages. */
  bytes?: { payload: number; envelope: number };
  server?: ResourceSample;
  generator?: ResourceSample;
  /** Whole metrics a scenario produces itself (capacity, autocannon), copied into the step as they are. */
  extra?: Pick<StepMetrics, 'capacity' | 'autocannon'>;
  /** What a fault scenario measured in this repeat (summarised across repeats into metrics.reliability). */
  reliability?: ReliabilityRepeat;
  notes?: string[];
}

/** One repeat of a fault scenario; the reconnect times travel as `histograms.reconnect`. */
export interface ReliabilityRepeat {
  fault: FaultScenarioName;
  /** drop, crash: clients, and how many received a message published after the fault. */
  clients?: number;
  resumed?: number;
  /** crash: the outage, kill to the replacement listening, ms. */
  outageMs?: number;
  /** crash: deliveries of the messages published before the kill, and of those published after the restart. */
  beforeCrash?: DeliveryCounts;
  afterRestart?: DeliveryCounts;
  slowConsumer?: {
    note: string;
    dropped: boolean;
    /** From the stall to the server's drop, ms (when dropped). */
    dropAfterMs?: number;
    maxBufferedBytes: number;
    /** Server RSS before the stall and its peak during it, bytes. */
    rssBeforeBytes?: number;
    rssPeakBytes?: number;
    /** Bytes of the stalled client's room the feed's log still holds at the end (part of the RSS growth). */
    logBytes?: number;
  };
  hostile?: { tried: number; handled: number; skipped: number; failures: string[]; servedAfter: boolean };
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
  plan(config: import('../config/config.ts').ResolvedConfig, transport: TransportName): StepPlan[];
  /** Runs one repeat of a step against a started server. Throws on a failure: the runner turns it into an errored row. */
  runRepeat(ctx: RepeatContext): Promise<RepeatMeasurement>;
}
